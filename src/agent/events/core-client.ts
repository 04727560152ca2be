// The agent's side of the agent <-> core wire contract (src/bus/protocol.ts): register,
// heartbeat, and event batches, over the shared transport (src/client/http.ts: bearer
// token, a deadline per call). The bearer is the node's own credential once the core has
// issued one, the join token before that. Answers are read with the contract's own schemas so a wrong
// core answer is an error here, not a surprise later.
import type { z } from 'zod';
import {
  EventBatchResponse as EventBatchResponseSchema,
  HeartbeatResponse as HeartbeatResponseSchema,
  RegisterResponse as RegisterResponseSchema,
  type EventBatch,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterRequest,
} from '../../bus/protocol.js';
import { HttpClient, type Query } from '../../client/http.js';
import { isApiError } from '../../client/errors.js';
import type { Exchange } from '../../bus/nats/rpc.js';

export class CoreError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the core could not be reached */
    readonly status: number,
  ) {
    super(message);
    this.name = 'CoreError';
  }
  /**
   * worth retrying: unreachable, overloaded, a server error, or "node not registered" (404):
   * a batch can reach a core that just came back before the agent's registration does, and
   * the agent registers by itself
   */
  get retryable(): boolean {
    return (
      this.status === 0 ||
      this.status === 404 ||
      this.status === 408 ||
      this.status === 429 ||
      this.status >= 500 ||
      this.status === 401 ||
      this.status === 403
    );
  }
}

export interface CoreClientOptions {
  url: string;
  /** the join token */
  token?: string;
  /** this node's credential, when the core issued one before */
  credential?: string;
  timeoutMs?: number;
  /** reach the core over the bus (NATS request/reply) instead of HTTP; `url` is then only for messages */
  exchange?: Exchange;
}

export class CoreClient {
  private readonly http: HttpClient;
  private credential: string | undefined;
  constructor(private readonly o: CoreClientOptions) {
    this.credential = o.credential;
    this.http = this.transport();
  }

  private transport(): HttpClient {
    return new HttpClient('core', {
      base: this.o.url,
      token: this.credential ?? this.o.token,
      timeoutMs: this.o.timeoutMs ?? 10_000,
      ...(this.o.exchange ? { exchange: this.o.exchange } : {}),
    });
  }

  /** true while calls carry the node credential rather than the join token */
  get usingCredential(): boolean {
    return this.credential !== undefined;
  }

  /**
   * From now on, calls carry this credential (undefined: the join token again). The same
   * transport: with several cores, the one the calls settled on (the leader) stays.
   */
  useCredential(credential: string | undefined): void {
    this.credential = credential;
    this.http.useToken(this.credential ?? this.o.token);
  }

  /** the core URL calls go to now (with several, the one they settled on) */
  get base(): string {
    return this.http.base;
  }

  register(req: RegisterRequest): Promise<RegisterResponse> {
    return this.post('/api/v1/agent/register', req, RegisterResponseSchema);
  }

  heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.post('/api/v1/agent/heartbeat', req, HeartbeatResponseSchema);
  }

  sendEvents(batch: EventBatch): Promise<EventBatchResponse> {
    return this.post('/api/v1/agent/events', batch, EventBatchResponseSchema);
  }

  /** Any other agent-protocol call (the cloudlet's catalog and instance reports), with this node's bearer. */
  call<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown, query?: Query): Promise<z.output<S>> {
    return this.wrap(() => this.http.call(method, path, { body, response: schema, ...(query ? { query } : {}) }));
  }

  /** A file of the agent protocol (an app of the cloudlet repository), as bytes. */
  async bytes(path: string): Promise<Uint8Array> {
    return (await this.wrap(() => this.http.bytes('GET', path, { timeoutMs: 300_000 }))).data;
  }

  private post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.output<S>> {
    return this.wrap(() => this.http.call('POST', path, { body, response: schema }));
  }

  private async wrap<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (!isApiError(e)) throw e;
      // status 0: nothing answered (retry); an answer outside the contract counts as a bad gateway
      const status = e.kind === 'status' ? (e.status ?? 0) : e.kind === 'bad-response' ? 502 : 0;
      throw new CoreError(
        e.kind === 'unreachable' || e.kind === 'timeout' ? `core ${this.http.base} unreachable: ${e.message}` : `core ${e.message}`,
        status,
      );
    }
  }
}

type EventBatchResponse = z.infer<typeof EventBatchResponseSchema>;
type RegisterResponse = z.infer<typeof RegisterResponseSchema>;

/** Exponential back-off with full jitter: 250 ms, 500 ms, ... capped at maxMs. */
export function backoffMs(attempt: number, baseMs = 250, maxMs = 30_000): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}
