// Delivers the outbox to a remote sink in order, in batches, at least once: a batch leaves
// the outbox only after the sink acknowledged it; failures are retried with exponential
// back-off. Only one batch is in flight at a time, so order is kept.
import type { AgentEvent } from '../../bus/events.js';
import { backoffMs, CoreError } from './core-client.js';
import type { Outbox } from './outbox.js';

export type SendBatch = (events: AgentEvent[]) => Promise<void>;

export interface ForwarderOptions {
  outbox: Outbox;
  send: SendBatch;
  /** wait this long after the first new event so batches carry more than one event */
  lingerMs?: number;
  maxBatch?: number;
  log?: (msg: string) => void;
  /** a batch the sink rejects as malformed (4xx other than auth) is dropped, not retried forever */
  onReject?: (events: number, why: string) => void;
}

export class Forwarder {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private attempt = 0;
  private stopped = false;
  delivered = 0;
  /** events the sink refused as malformed and that were dropped (never retried) */
  rejected = 0;
  failures = 0;
  lastError: string | undefined;

  constructor(private readonly o: ForwarderOptions) {}

  /** Something new is in the outbox: deliver soon (unless we are backing off). */
  kick(): void {
    if (this.stopped || this.busy || this.timer) return;
    this.schedule(this.o.lingerMs ?? 200);
  }

  /**
   * The sink is known to be back (the agent just registered): forget the back-off and
   * deliver now, rather than sleep out a long wait earned while the core was away.
   */
  resume(): void {
    if (this.stopped) return;
    this.attempt = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.busy) this.schedule(0);
  }

  /** Tries to deliver everything now (used at shutdown); gives up after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.busy) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const b = this.o.outbox.peek(this.o.maxBatch ?? 1000);
      if (b.events.length === 0) return true;
      if (!(await this.deliver())) return false;
    }
    return false;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.stopped || this.busy) return;
    const ok = await this.deliver();
    if (this.stopped) return;
    if (!ok) this.schedule(backoffMs(this.attempt++));
    else if (this.o.outbox.peek(1).events.length > 0) this.schedule(0);
  }

  /** One batch; true when it was acknowledged (or there was nothing to send). */
  private async deliver(): Promise<boolean> {
    this.busy = true;
    try {
      const batch = this.o.outbox.peek(this.o.maxBatch ?? 1000);
      if (batch.events.length === 0) return true;
      try {
        await this.o.send(batch.events);
      } catch (e) {
        if (e instanceof CoreError && !e.retryable) {
          this.rejected += batch.events.length;
          this.o.onReject?.(batch.events.length, e.message);
          this.o.outbox.ack(batch.next);
          return true;
        }
        this.failures++;
        if (this.lastError !== (e as Error).message) this.o.log?.(`event delivery failed, retrying with back-off: ${(e as Error).message}`);
        this.lastError = (e as Error).message;
        return false;
      }
      this.o.outbox.ack(batch.next);
      this.delivered += batch.events.length;
      this.attempt = 0;
      this.lastError = undefined;
      return true;
    } finally {
      this.busy = false;
    }
  }
}
