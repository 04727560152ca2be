// One HTTP exchange over node:http(s) with keep-alive: what HttpClient.send uses instead of
// fetch. A core talks to a thousand agents: undici's per-origin pools, web streams and
// abort-signal plumbing cost it about a third of its CPU and much of its memory while
// placing (docs/benchmarks.md, core), and node:http is loaded anyway by the server side.
// Failures look like fetch's (an Error whose `cause` carries the OS code), so causeOf()
// reads both alike.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import { VIA } from './via.js';

// few idle sockets per origin (a core keeps one origin per agent, each idle socket costs
// memory), closed after 9 s idle: before the keep-alive timeout of osmo's servers (10 s,
// src/shared/http-limits.ts), and after the heartbeat interval of a fleet of up to 9,000
// nodes (the core paces larger fleets to slower beats): at 4 s, 5,000 agents beating every
// 5 s opened a thousand connections a second, and the core's accept queue overflowed
const agentOptions = { keepAlive: true, maxFreeSockets: 4, scheduling: 'lifo' as const, timeout: 9000 };
// one origin that carries a whole fleet's share of requests (a follower forwarding to its
// leader): with 4 idle sockets, ≈ 500 forwarded heartbeats a second each opened a connection
// and the leader's accept queue overflowed
const oneOriginOptions = { ...agentOptions, maxFreeSockets: 256 };
let plainOne: HttpAgent | undefined;
let tlsOne: HttpsAgent | undefined;
const trusted = new Set<string>();
/**
 * Pools by a hash of the origin, 256 of them. On each idle socket's timeout node's Agent looks
 * for it among the idle sockets of every origin the pool holds (`Object.keys(freeSockets)
 * .some(… includes …)` in node:_http_agent), so one pool for a 5,000-node fleet made every
 * idle close a scan of thousands of origins: 10 % of a 5,000-node leader's CPU in a profile
 * (docs/benchmarks.md). A pool per origin would cost an Agent object per node; 256 keep the
 * scan to a few dozen origins at that size.
 */
const SHARDS = 256;
const pools = new Map<string, HttpAgent>();

/**
 * Trusts one more CA (PEM) for every HTTPS exchange of this process, beside the system's CAs
 * and NODE_EXTRA_CA_CERTS: the core trusts its own CA for its calls to agents, an agent the
 * core's CA it pinned, the CLI the one named by --ca. Certificates are still checked against
 * the host name.
 */
export function trustCa(pem: string): void {
  if (trusted.has(pem)) return;
  trusted.add(pem);
  for (const [origin, a] of pools)
    if (origin.startsWith('https:')) {
      a.destroy();
      pools.delete(origin);
    }
  tlsOne?.destroy();
  tlsOne = undefined;
}

function httpsAgent(options: typeof agentOptions): HttpsAgent {
  // giving `ca` replaces the default store, so the default store is given too
  const extra = process.env.NODE_EXTRA_CA_CERTS ? readExtra(process.env.NODE_EXTRA_CA_CERTS) : [];
  return new HttpsAgent(trusted.size === 0 ? options : { ...options, ca: [...rootCertificates, ...extra, ...trusted] });
}

/** The pool for an origin's shard (created on first use). */
function poolFor(u: URL): HttpAgent {
  // FNV-1a over the origin
  let h = 0x811c9dc5;
  for (let i = 0; i < u.origin.length; i++) h = Math.imul(h ^ u.origin.charCodeAt(i), 0x01000193);
  const key = `${u.protocol}${(h >>> 0) % SHARDS}`;
  let a = pools.get(key);
  if (!a) pools.set(key, (a = u.protocol === 'https:' ? httpsAgent(agentOptions) : new HttpAgent(agentOptions)));
  return a;
}

function readExtra(file: string): string[] {
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

/** node:http or node:https for the URL, with this process's keep-alive pool for its origin. */
function transport(u: URL, oneOrigin = false): { request: typeof httpRequest; agent: HttpAgent } {
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  if (!oneOrigin) return { request, agent: poolFor(u) };
  if (u.protocol === 'https:') return { request, agent: (tlsOne ??= httpsAgent(oneOriginOptions)) };
  return { request, agent: (plainOne ??= new HttpAgent(oneOriginOptions)) };
}

/**
 * A request on this process's shared agents (so the same trusted CAs as `exchange`) that the
 * caller writes and reads itself: a core replica streams a forwarded request through it.
 */
export function openRequest(u: URL, method: string, headers: OutgoingHttpHeaders, signal: AbortSignal): ClientRequest {
  // its own pool: a follower sends all it forwards to one origin, its leader
  const { request, agent } = transport(u, true);
  return request(u, { method, headers, agent, signal });
}

/** An answer's head as fetch's Headers (repeated headers joined, as fetch does). */
function headersOf(res: IncomingMessage): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
  return out;
}

export interface Exchange {
  status: number;
  text: string;
  /** the answer's x-osmo-via (via.ts): which core of a cluster answered, and whether it forwarded */
  via?: string;
}

/**
 * Sends one request; resolves with the status and the body as text, rejects when there is no
 * answer. `agent`: a connection pool of the caller's own instead of the process's (a process
 * simulating many nodes gives each its own, as each real node has).
 */
export function exchange(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | null,
  timeoutMs: number,
  agent?: HttpAgent,
): Promise<Exchange> {
  const u = new URL(url);
  const h: Record<string, string | number> = { ...headers };
  if (body !== null) h['content-length'] = Buffer.byteLength(body);
  return once(u, method, h, body, timeoutMs, agent).catch((e: Error & { reused?: boolean }) => {
    // a kept-alive socket the server closed just as it was reused: the request never reached it
    if (!e.reused || (e.cause as { code?: string } | undefined)?.code !== 'ECONNRESET') throw e;
    return once(u, method, h, body, timeoutMs, agent);
  });
}

function once(
  u: URL,
  method: string,
  h: Record<string, string | number>,
  body: string | null,
  timeoutMs: number,
  own?: HttpAgent,
): Promise<Exchange> {
  return sendOnce(u, method, h, body, timeoutMs, own, (res, done) => {
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (c: string) => (text += c));
    const via = res.headers[VIA];
    res.on('end', () => done(typeof via === 'string' ? { status: res.statusCode ?? 0, text, via } : { status: res.statusCode ?? 0, text }));
  });
}

/**
 * One request with a deadline, on `own` or else the process's shared agents: `read` gathers
 * the answer and hands the result to `done`. Rejects with an Error whose `cause` is the
 * socket's, `timedOut` set when the deadline cut it and `reused` when a kept-alive socket
 * broke before any answer.
 */
function sendOnce<T>(
  u: URL,
  method: string,
  h: Record<string, string | number>,
  body: string | Uint8Array | null,
  timeoutMs: number,
  own: HttpAgent | undefined,
  read: (res: IncomingMessage, done: (result: T) => void) => void,
): Promise<T> {
  const t = transport(u);
  const request = t.request;
  const agent = own ?? t.agent;
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let gotResponse = false;
    const req = request(u, { method, headers: h, agent }, (res: IncomingMessage) => {
      gotResponse = true;
      read(res, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('timed out'));
    }, timeoutMs);
    function fail(e: Error): void {
      clearTimeout(timer);
      reject(Object.assign(new Error(`${method} ${u.href} failed`, { cause: e }), { timedOut, reused: req.reusedSocket && !gotResponse }));
    }
    req.on('error', fail);
    req.end(body ?? undefined);
  });
}

/**
 * One request whose body and answer are bytes (file uploads and downloads), on the same
 * agents (so the same trusted CAs) as `exchange`; rejects like it, `timedOut` set on a deadline.
 */
export function exchangeBytes(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | null,
  timeoutMs: number,
): Promise<{ status: number; headers: Headers; data: Uint8Array }> {
  const u = new URL(url);
  const h: Record<string, string | number> = { ...headers, 'content-length': body?.byteLength ?? 0 };
  if (body === null && (method === 'GET' || method === 'HEAD')) delete h['content-length'];
  return sendOnce(u, method, h, body, timeoutMs, undefined, (res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done({ status: res.statusCode ?? 0, headers: headersOf(res), data: new Uint8Array(Buffer.concat(chunks)) }));
  });
}

/**
 * A GET whose answer is read as it comes (server-sent events), on the same agents as
 * `exchange`, so the same trusted CAs: fetch would trust only the system's and
 * NODE_EXTRA_CA_CERTS. Resolves with the answer's head as a fetch Response, its body a stream.
 */
export function exchangeStream(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  const u = new URL(url);
  const { request, agent } = transport(u);
  return new Promise((resolve, reject) => {
    const req = request(u, { method: 'GET', headers, agent, ...(signal ? { signal } : {}) }, (res: IncomingMessage) => {
      const body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
      resolve(new Response(body, { status: res.statusCode ?? 502, headers: headersOf(res) }));
    });
    req.on('error', (e) => reject(new Error(`GET ${u.href} failed`, { cause: e })));
    req.end();
  });
}
