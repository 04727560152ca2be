// Leaves the event loop room for heartbeats and API calls while a rollout goes out. A
// reconcile pass and a deploy request are work the core chooses to start; acknowledgements,
// heartbeats and API calls are work that arrives. When the loop was busier than
// `maxUtilization` over the last window, chosen work waits for a window with room (never
// longer than `maxWaitMs`, so a core on an overloaded machine still makes progress). Off by
// default: at 1,000 nodes it made the median heartbeat and API call 2–5 × shorter while
// placing, but not the p99 (set by stretches of arriving work it cannot hold back), and the
// rollout 5–30 % slower (docs/benchmarks.md, "Headroom while placing").
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface HeadroomOptions {
  /** event-loop utilization (0–1) above which chosen work waits; 1 turns the gate off */
  maxUtilization: number;
  /** the window utilization is measured over */
  windowMs: number;
  /** the longest chosen work waits for room */
  maxWaitMs: number;
}

export class Headroom {
  private mark: EventLoopUtilization = performance.eventLoopUtilization();
  private markAt = performance.now();
  private util = 0;
  private waiters: Array<() => void> = [];
  private waitingSince = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: HeadroomOptions) {}

  /** The loop's utilization over the last full window (refreshed at most once a window). */
  utilization(): number {
    const now = performance.now();
    if (now - this.markAt >= this.opts.windowMs) {
      const next = performance.eventLoopUtilization();
      this.util = performance.eventLoopUtilization(next, this.mark).utilization;
      this.mark = next;
      this.markAt = now;
    }
    return this.util;
  }

  /**
   * Resolves at once when the loop has room, otherwise at the first window that has it.
   *
   * @example
   * const room = new Headroom({ maxUtilization: 0.8, windowMs: 20, maxWaitMs: 250 });
   * await room.wait(); // then start the pass
   */
  wait(): Promise<void> {
    if (this.opts.maxUtilization >= 1 || (this.waiters.length === 0 && this.utilization() <= this.opts.maxUtilization)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      if (this.waiters.length === 0) this.waitingSince = performance.now();
      this.waiters.push(resolve);
      this.timer ??= setTimeout(() => this.tick(), this.opts.windowMs);
    });
  }

  private tick(): void {
    this.timer = null;
    const waited = performance.now() - this.waitingSince;
    if (this.utilization() > this.opts.maxUtilization && waited < this.opts.maxWaitMs) {
      this.timer = setTimeout(() => this.tick(), this.opts.windowMs);
      return;
    }
    this.release();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.release();
  }

  private release(): void {
    const go = this.waiters;
    this.waiters = [];
    for (const r of go) r();
  }
}
