// The transport under both API clients: JSON, bytes and event streams over node:http(s) (exchange.ts) with the bearer token, a deadline
// per call, the response read against the route's zod schema, and every failure turned
// into one ApiError (errors.ts). Nothing here knows a path; core.ts and agent.ts do.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { ApiError, causeOf, oneLine } from './errors.js';
import { exchange, exchangeBytes, exchangeStream, type Exchange } from './exchange.js';
import { readSse, type SseMessage } from './sse.js';
import { Bases, tryAgain } from './failover.js';
import { VIA } from './via.js';
import type { Exchange as BusExchange } from '../bus/nats/rpc.js';

export interface HttpOptions {
  /**
   * base URL, e.g. http://127.0.0.1:7700 (a trailing slash is ignored); several, comma-separated,
   * for cores that all serve the API: a call that finds one unreachable or without a leader
   * (503 OSMO_NO_LEADER) moves on to the next (failover.ts)
   */
  base: string;
  /** with several bases: how long a call keeps moving between them before it gives up (default 15 s) */
  failoverMs?: number;
  /**
   * with several bases: how long the client stays on a base that forwards once a whole round
   * found none that leads (default 30 s), and the clock of that hold (failover.ts)
   */
  settle?: { holdMs?: number; now?: () => number };
  /** sent as `Authorization: Bearer <token>` when given */
  token?: string | undefined;
  /** deadline of one call unless the call names its own; default 60 s */
  timeoutMs?: number;
  /** carry the calls over this transport instead of fetch (NATS request/reply: src/bus/nats/rpc.ts) */
  exchange?: BusExchange;
  /**
   * send an `Idempotency-Key` (a new UUID per call, the same for that call's retries on other
   * bases) on every POST and PATCH, so a retry after a cut call acts once (the core's API
   * honours it: src/core/idempotency/). The CoreClient turns it on; the agent protocol has keys of its own.
   */
  idempotencyKeys?: boolean;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface CallOptions<S extends z.ZodType> {
  body?: unknown;
  query?: Query;
  /** the route's response schema for its 2xx answer */
  response: S;
  timeoutMs?: number;
  /** this call's Idempotency-Key (a caller retrying a call itself passes the key of its first try) */
  idempotencyKey?: string;
}

/** Builds "?a=1&b=x" from the defined entries, or "" when there are none. */
export function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class HttpClient {
  private readonly bases: Bases;
  private token: string | undefined;
  private readonly timeoutMs: number;
  private readonly exchange: BusExchange | undefined;
  private readonly idempotencyKeys: boolean;

  constructor(
    /** "core" or "agent", for messages */
    readonly service: string,
    o: HttpOptions,
  ) {
    this.bases = new Bases(o.base, {
      ...(o.failoverMs !== undefined ? { windowMs: o.failoverMs } : {}),
      ...(o.settle?.holdMs !== undefined ? { holdMs: o.settle.holdMs } : {}),
      ...(o.settle?.now ? { now: o.settle.now } : {}),
    });
    this.token = o.token;
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.exchange = o.exchange;
    this.idempotencyKeys = o.idempotencyKeys ?? false;
  }

  /** The Idempotency-Key header for one call (all its tries), when this client sends keys. */
  private keyHeader(method: string, given?: string): Record<string, string> {
    if (given !== undefined) return { 'idempotency-key': given };
    return this.idempotencyKeys && (method === 'POST' || method === 'PATCH') ? { 'idempotency-key': randomUUID() } : {};
  }

  /** the base URL calls go to now (with several, the last one that answered, or the leader it named) */
  get base(): string {
    return this.bases.current;
  }

  /** true while, with several bases, the client stays on one that forwards (none of them leads) */
  get holding(): boolean {
    return this.bases.holding;
  }

  /** From now on calls carry this bearer; the base the calls settled on stays. */
  useToken(token: string | undefined): void {
    this.token = token;
  }

  private headers(body: boolean, extra?: Record<string, string>): Record<string, string> {
    return {
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...extra,
    };
  }

  /**
   * The ApiError of a call that got no answer: "timeout" when its deadline passed, else
   * "unreachable" naming the base it went to (`info.base`).
   */
  private noAnswer(
    e: unknown,
    timedOut: boolean,
    info: { service: string; base: string; method: string; path: string },
    timeoutMs: number,
  ): ApiError {
    const { method, path, base } = info;
    if (timedOut)
      return new ApiError('timeout', `${method} ${path}: no answer from the ${this.service} at ${this.base} within ${timeoutMs} ms`, info, {
        cause: e,
      });
    return new ApiError('unreachable', `cannot reach the ${this.service} at ${base} (${causeOf(e)})`, info, { cause: e });
  }

  /** Sends one request and returns the answer read with `o.response`; throws ApiError otherwise. */
  async call<S extends z.ZodType>(method: string, path: string, o: CallOptions<S>): Promise<z.output<S>> {
    const { status, json } = await this.send(method, path, o.body, o.query, o.timeoutMs, o.idempotencyKey);
    const info = { service: this.service, base: this.base, method, path, status };
    if (status < 200 || status >= 300) {
      const body = (json && typeof json === 'object' ? json : {}) as { error?: unknown; code?: unknown };
      const error = typeof body.error === 'string' ? body.error : typeof json === 'string' && json ? json.slice(0, 200) : `HTTP ${status}`;
      throw new ApiError('status', `${method} ${path}: ${status} ${error}`, {
        ...info,
        error,
        ...(typeof body.code === 'string' ? { code: body.code } : {}),
      });
    }
    const parsed = o.response.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new ApiError(
        'bad-response',
        `${method} ${path}: the ${this.service} answered ${status} with an unexpected body (${where}${issue?.message ?? 'invalid'})`,
        info,
      );
    }
    return parsed.data;
  }

  /**
   * The raw exchange: status and body (parsed JSON, or the text when it is not JSON).
   * Throws ApiError only when there is no answer at all.
   */
  async send(
    method: string,
    path: string,
    body?: unknown,
    query?: Query,
    timeoutMs = this.timeoutMs,
    idempotencyKey?: string,
  ): Promise<{ status: number; json: unknown }> {
    if (this.exchange) return this.sendOverExchange(this.exchange, method, path, body, query, timeoutMs);
    const payload = body === undefined ? null : JSON.stringify(body);
    // made once: every try of this call, on whichever base, carries the same key
    const key = this.keyHeader(method, idempotencyKey);
    const res = await this.bases.call(
      (base) => this.sendTo(base, method, path, payload, query, timeoutMs, key),
      (r) => tryAgain(r.status, r.text),
      (r) => r.via,
    );
    return { status: res.status, json: parseBody(res.text) };
  }

  private async sendTo(
    base: string,
    method: string,
    path: string,
    payload: string | null,
    query: Query | undefined,
    timeoutMs: number,
    key: Record<string, string>,
  ): Promise<Exchange> {
    const info = { service: this.service, base, method, path };
    try {
      return await exchange(`${base}${path}${queryString(query)}`, method, this.headers(payload !== null, key), payload, timeoutMs);
    } catch (e) {
      throw this.noAnswer(e, (e as { timedOut?: boolean }).timedOut === true, info, timeoutMs);
    }
  }

  private async sendOverExchange(
    exchange: BusExchange,
    method: string,
    path: string,
    body: unknown,
    query: Query | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; json: unknown }> {
    const info = { service: this.service, base: this.base, method, path };
    try {
      const r = await exchange({
        method: method as 'GET' | 'PUT' | 'POST' | 'DELETE',
        path: `${path}${queryString(query)}`,
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { body } : {}),
        timeoutMs,
      });
      return { status: r.status, json: parseBody(r.text) };
    } catch (e) {
      throw this.noAnswer(e, (e as Error).name === 'TimeoutError', info, timeoutMs);
    }
  }

  /**
   * A call whose body or answer is not JSON (file uploads and downloads): the body as given,
   * the answer as bytes. Non-2xx answers throw ApiError like `call`.
   */
  async bytes(
    method: string,
    path: string,
    o: { body?: Uint8Array; contentType?: string; query?: Query; timeoutMs?: number } = {},
  ): Promise<{ status: number; headers: Headers; data: Uint8Array }> {
    const info = { service: this.service, base: this.base, method, path };
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    // node:https rather than fetch: the CAs this process trusts (trustCa) apply
    let res: { status: number; headers: Headers; data: Uint8Array };
    try {
      res = await exchangeBytes(
        `${this.base}${path}${queryString(o.query)}`,
        method,
        this.headers(false, { ...(o.contentType ? { 'content-type': o.contentType } : {}), ...this.keyHeader(method) }),
        o.body ?? null,
        timeoutMs,
      );
    } catch (e) {
      throw this.noAnswer(e, (e as { timedOut?: boolean }).timedOut === true, info, timeoutMs);
    }
    const data = res.data;
    if (res.status < 200 || res.status > 299) {
      const text = new TextDecoder().decode(data);
      let error = text.slice(0, 200) || `HTTP ${res.status}`;
      let code: string | undefined;
      try {
        const j = JSON.parse(text) as { error?: unknown; code?: unknown };
        if (typeof j.error === 'string') error = j.error;
        if (typeof j.code === 'string') code = j.code;
      } catch {
        // keep the text
      }
      throw new ApiError('status', `${method} ${path}: ${res.status} ${oneLine(error)}`, {
        ...info,
        status: res.status,
        error,
        ...(code ? { code } : {}),
      });
    }
    return { status: res.status, headers: res.headers, data };
  }

  /**
   * Follows a server-sent event stream: `on` per message until it returns true, the
   * stream ends, or `signal` aborts. Non-2xx answers throw ApiError like `call`.
   */
  async stream(
    path: string,
    query: Query | undefined,
    on: (m: SseMessage) => boolean | void,
    opts: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<void> {
    const info = { service: this.service, base: this.base, method: 'GET', path };
    if (this.exchange) throw new ApiError('unreachable', `the ${this.service} at ${this.base} is on the bus: no event stream there`, info);
    let res: Response;
    try {
      // with several cores, the stream opens on the first that has a leader to forward to
      res = await this.bases.call(
        async (base) => {
          try {
            return await exchangeStream(
              `${base}${path}${queryString(query)}`,
              this.headers(false, { accept: 'text/event-stream', ...opts.headers }),
              opts.signal,
            );
          } catch (e) {
            if (opts.signal?.aborted) throw e;
            throw new ApiError(
              'unreachable',
              `cannot reach the ${this.service} at ${base} (${causeOf(e)})`,
              { ...info, base },
              { cause: e },
            );
          }
        },
        (r) => r.status === 503,
        (r) => r.headers.get(VIA),
      );
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw e;
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      let error = text.slice(0, 200) || `HTTP ${res.status}`;
      try {
        const j = JSON.parse(text) as { error?: unknown };
        if (typeof j.error === 'string') error = j.error;
      } catch {
        // keep the text
      }
      throw new ApiError('status', `GET ${path}: ${res.status} ${oneLine(error)}`, { ...info, status: res.status, error });
    }
    try {
      await readSse(res.body, on);
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw new ApiError('unreachable', `the ${this.service} at ${this.base} closed the event stream (${causeOf(e)})`, info, { cause: e });
    }
  }
}

/** parsed JSON, or the text when it is not JSON (a proxy's error page, /metrics), or undefined when empty */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
