// The agent's side of the agent <-> core wire contract (src/bus/protocol.ts): register,
// heartbeat, and event batches. Plain fetch with a bearer token and a timeout; responses
// are validated with the contract's own schemas so a wrong core answer is an error here,
// not a surprise later.
import type { z } from 'zod';
import {
  EventBatchResponse as EventBatchResponseSchema,
  RegisterResponse as RegisterResponseSchema,
  type EventBatch,
  type HeartbeatRequest,
  type RegisterRequest,
} from '../../bus/protocol.js';

export class CoreError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the core could not be reached */
    readonly status: number,
  ) {
    super(message);
    this.name = 'CoreError';
  }
  /** worth retrying: unreachable, overloaded, or a server error */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500 || this.status === 401 || this.status === 403;
  }
}

export interface CoreClientOptions {
  url: string;
  token?: string;
  timeoutMs?: number;
}

export class CoreClient {
  private readonly base: string;
  constructor(private readonly o: CoreClientOptions) {
    this.base = o.url.replace(/\/+$/, '');
  }

  register(req: RegisterRequest): Promise<RegisterResponse> {
    return this.post('/api/v1/agent/register', req, RegisterResponseSchema);
  }

  async heartbeat(req: HeartbeatRequest): Promise<void> {
    await this.post('/api/v1/agent/heartbeat', req, undefined);
  }

  sendEvents(batch: EventBatch): Promise<EventBatchResponse> {
    return this.post('/api/v1/agent/events', batch, EventBatchResponseSchema);
  }

  private async post<S extends z.ZodType>(path: string, body: unknown, schema: S | undefined): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new CoreError(`core ${this.base} unreachable: ${(e as Error).message}`, 0);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new CoreError(`core ${path} answered ${res.status}: ${text.slice(0, 300)}`, res.status);
    if (!schema) return undefined as z.infer<S>;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CoreError(`core ${path} answered with invalid JSON`, 502);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new CoreError(`core ${path} answered an unexpected body: ${parsed.error.message}`, 502);
    return parsed.data;
  }
}

type EventBatchResponse = z.infer<typeof EventBatchResponseSchema>;
type RegisterResponse = z.infer<typeof RegisterResponseSchema>;

/** Exponential back-off with full jitter: 250 ms, 500 ms, ... capped at maxMs. */
export function backoffMs(attempt: number, baseMs = 250, maxMs = 30_000): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}
