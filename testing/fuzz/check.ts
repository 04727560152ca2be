// Sends the fuzzer's requests through Stoplight Prism's validation proxy (`prism proxy
// <doc> <server> --errors --validate-request false`: every request reaches the server, every
// answer is checked against the document) and collects failures:
//   - a violation Prism reports: the `sl-violations` header (any severity: an undocumented
//     status is only a "warning" there) or its VIOLATIONS error body;
//   - any 5xx from the server;
//   - no answer at all (a hang or a crash).
// Two narrow cases bypass Prism, each checked here instead (status documented for the
// operation, content type documented for that status, no 5xx):
//   - operations documenting text/event-stream: Prism buffers a whole upstream answer before
//     validating it, and a stream never ends; an answer that is not a stream is then also
//     sent through Prism;
//   - requests Prism cannot route (NO_PATH_MATCHED_ERROR / NO_METHOD_MATCHED_ERROR: e.g. an
//     encoded "/" in a path segment) are sent to the server directly;
//   - a JSON body of `null`: Prism 5.14 never forwards it (the request hangs), so it goes to
//     the server directly.
import type { FuzzRequest, Operation } from './requests.js';

export interface Failure {
  target: string;
  op: string;
  kind: string;
  request: string;
  status: number;
  problem: string;
}

export interface Target {
  name: string;
  /** the server itself */
  direct: string;
  /** Prism in front of it */
  prism: string;
  /** a 5xx the environment makes legitimate (see docs/testing.md), or undefined */
  expected5xx?: (r: FuzzRequest, status: number, body: string) => boolean;
}

const REQUEST_TIMEOUT_MS = 30_000;

function documented(op: Operation, status: number, contentType: string): string | undefined {
  const r = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
  if (!r) return `status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`;
  const types = Object.keys(r.content ?? {});
  const type = contentType.split(';')[0]!.trim();
  if (types.length && !types.includes(type)) return `content type ${type} is not documented for ${status} (${types.join(', ')})`;
  return undefined;
}

const isStream = (op: Operation) => Object.values(op.responses).some((r) => r.content?.['text/event-stream'] !== undefined);

async function send(base: string, r: FuzzRequest, headersOnly = false): Promise<{ status: number; headers: Headers; body: string }> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(`${base}${r.url}`, {
      method: r.method,
      headers: r.headers,
      signal: ctl.signal,
      ...(r.body !== undefined ? { body: r.body } : {}),
    });
    if (headersOnly && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      ctl.abort();
      return { status: res.status, headers: res.headers, body: '' };
    }
    return { status: res.status, headers: res.headers, body: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}

const describe = (r: FuzzRequest) =>
  `${r.method} ${r.url.length > 160 ? `${r.url.slice(0, 160)}…` : r.url}${r.body !== undefined ? ` body ${r.body.slice(0, 120)}` : ''}`;

/** Sends one request and returns what is wrong with the answer, if anything. */
export async function check(t: Target, r: FuzzRequest): Promise<Failure | undefined> {
  const fail = (status: number, problem: string): Failure => ({
    target: t.name,
    op: `${r.op.method} ${r.op.path}`,
    kind: r.kind,
    request: describe(r),
    status,
    problem,
  });
  const own = (a: { status: number; headers: Headers; body: string }) => {
    if (a.status >= 500 && !t.expected5xx?.(r, a.status, a.body)) return fail(a.status, `server error: ${a.body.slice(0, 300)}`);
    const d = documented(r.op, a.status, a.headers.get('content-type') ?? '');
    return d ? fail(a.status, d) : undefined;
  };
  try {
    if (isStream(r.op)) {
      const a = await send(t.direct, r, true);
      const bad = own(a);
      if (bad || (a.headers.get('content-type') ?? '').startsWith('text/event-stream')) return bad;
    }
    if (r.body === 'null') return own(await send(t.direct, r));
    const a = await send(t.prism, r);
    const violations = a.headers.get('sl-violations');
    if (violations) return fail(a.status, `prism: ${violations.slice(0, 600)}`);
    if ((a.headers.get('content-type') ?? '').startsWith('application/problem+json')) {
      const p = JSON.parse(a.body) as { type?: string; validation?: unknown };
      if (p.type?.endsWith('#NO_PATH_MATCHED_ERROR') || p.type?.endsWith('#NO_METHOD_MATCHED_ERROR')) return own(await send(t.direct, r));
      if (p.type?.startsWith('https://stoplight.io/prism/errors#'))
        return fail(a.status, `prism: ${p.type} ${JSON.stringify(p.validation ?? a.body).slice(0, 600)}`);
    }
    if (a.status >= 500 && !t.expected5xx?.(r, a.status, a.body)) return fail(a.status, `server error: ${a.body.slice(0, 300)}`);
    return undefined;
  } catch (e) {
    return fail(0, `no answer: ${(e as Error).message}`);
  }
}
