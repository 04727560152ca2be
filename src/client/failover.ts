// Several core URLs (`--core URL1,URL2`, OSMO_CORE): every core serves the API (a follower
// forwards to the leader), so a call may go to any. One that finds its core unreachable, or
// answering 503 OSMO_NO_LEADER (the lead is moving), goes to the next, round after round,
// for a bounded time; the caller sees one answer, or the last failure. The client stays on
// the core that answered. A call cut after it was sent (the core died mid-request) may
// have taken effect there: the CoreClient's POSTs carry one Idempotency-Key for all their
// tries (http.ts), so the core answers the retry from the first try instead of acting again;
// other calls are PUTs and DELETEs, safe to repeat.
import { isApiError } from './errors.js';

const codeOf = (text: string): unknown => {
  try {
    return (JSON.parse(text) as { code?: unknown }).code;
  } catch {
    return undefined;
  }
};

/** The answer of a core that cannot serve the call now: no leader to forward to. */
export function noLeader(text: string): boolean {
  return codeOf(text) === 'OSMO_NO_LEADER';
}

/**
 * An answer another try may turn into the real one: no leader (503), or the first try of
 * this call, cut on its way back through another core, still running on the leader (409).
 */
export function tryAgain(status: number, text: string): boolean {
  return (status === 503 && noLeader(text)) || (status === 409 && codeOf(text) === 'OSMO_IDEMPOTENCY_IN_FLIGHT');
}

export class Bases {
  private readonly list: string[];
  private at = 0;

  constructor(
    spec: string,
    private readonly windowMs = 15_000,
  ) {
    const list = spec
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean);
    this.list = list.length > 0 ? list : [spec.replace(/\/+$/, '')];
  }

  get current(): string {
    return this.list[this.at]!;
  }

  /**
   * `attempt` against the current base; with several, against the next while it throws
   * "unreachable" or its answer is `retry`-able, until one answers or the window passed.
   */
  async call<T>(attempt: (base: string) => Promise<T>, retry: (answer: T) => boolean): Promise<T> {
    if (this.list.length === 1) return attempt(this.list[0]!);
    const deadline = Date.now() + this.windowMs;
    for (let misses = 1; ; misses++) {
      let answer: { value: T } | undefined;
      try {
        answer = { value: await attempt(this.current) };
        if (!retry(answer.value)) return answer.value;
      } catch (e) {
        if (!isApiError(e) || e.kind !== 'unreachable') throw e;
        if (Date.now() >= deadline) throw e;
      }
      if (answer && Date.now() >= deadline) return answer.value;
      this.at = (this.at + 1) % this.list.length;
      // a whole round without an answer: a new leader is being chosen, give it a moment
      if (misses % this.list.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
  }
}
