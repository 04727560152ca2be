// A bounded wait: the answer of `p`, or undefined when it fails or takes longer than `ms`.
// For reads whose answer is optional (a heartbeat's instance list, a scrape's instance
// series) from an engine that may hang: the caller goes on without it; `p` is not cancelled.

/**
 * @example
 * const names = await withinMs(deploy.list(), 500); // undefined after 500 ms
 */
export async function withinMs<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
