// The failure detector's arithmetic, pure: an accrual detector after Hayashibara et al.
// ("The φ accrual failure detector", 2004), the scheme Cassandra and Akka use. Each node's
// heartbeat inter-arrival times, as the core sees them, feed a sliding window; the
// suspicion level φ of a silence is -log10 of the probability that a heartbeat this late
// would still come, under a normal distribution fitted to the window. On a quiet machine
// the intervals are regular and φ climbs steeply soon after a few missed beats; on a loaded
// one they scatter, the fitted spread widens and the same silence means less, so the
// detector waits longer by itself instead of calling busy nodes dead. Fixed floors
// (suspectMs, downMs) keep it from ever judging earlier than a few missed heartbeats.

/** What the detector needs to know (a subset of the core's LivenessOptions). */
export interface DetectorOptions {
  /** heartbeat interval asked of agents: the expected interval until a node has a history */
  heartbeatMs: number;
  /** never suspect before this much silence */
  suspectMs: number;
  /** never down before this much silence */
  downMs: number;
  /** φ from which a node is suspect */
  suspectPhi: number;
  /** φ from which a node is down (its instances are replaced) */
  downPhi: number;
  /** lower bound of the fitted spread: perfectly regular beats must not make φ a cliff */
  minStdMs: number;
  /** a silence this much beyond the mean interval is tolerated before φ starts to climb */
  pauseMs: number;
  /** inter-arrival times kept per node */
  window: number;
}

/** Inter-arrival times of one node's heartbeats, in a ring of fixed size (no allocation per beat). */
export class ArrivalWindow {
  private readonly ring: Float64Array;
  private next = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private last = NaN;

  constructor(size: number) {
    this.ring = new Float64Array(Math.max(2, size));
  }

  /** A heartbeat arrived at `at` (ms). */
  record(at: number): void {
    if (!Number.isNaN(this.last)) {
      const x = Math.max(0, at - this.last);
      if (this.count === this.ring.length) {
        const old = this.ring[this.next]!;
        this.sum -= old;
        this.sumSq -= old * old;
      } else this.count++;
      this.ring[this.next] = x;
      this.next = (this.next + 1) % this.ring.length;
      this.sum += x;
      this.sumSq += x * x;
    }
    this.last = at;
  }

  /** intervals held */
  get size(): number {
    return this.count;
  }

  /** Mean and standard deviation of the intervals, or the expected ones while fewer than two are known. */
  stats(expectedMs: number): { mean: number; std: number } {
    // a fresh node has no history: assume the asked-for interval with a quarter of it as spread
    if (this.count < 2) return { mean: expectedMs, std: expectedMs / 4 };
    const mean = this.sum / this.count;
    const variance = Math.max(0, this.sumSq / this.count - mean * mean);
    return { mean, std: Math.sqrt(variance) };
  }
}

/**
 * φ of a silence of `silenceMs` given the fitted mean and spread: -log10 P(interval > silence).
 * The normal tail uses the logistic approximation of Bowling et al. (2009), which keeps
 * φ finite and monotone far into the tail (an erfc would underflow to Infinity).
 */
export function phi(silenceMs: number, mean: number, std: number): number {
  const y = (silenceMs - mean) / std;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  // both branches are the same -log10(1 - F(y)), written to stay accurate on either side
  return silenceMs > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}

export type Verdict = 'ready' | 'suspect' | 'down';

/** The verdict on one node's silence, with the φ it was judged by. */
export function judge(
  silenceMs: number,
  window: Pick<ArrivalWindow, 'stats'>,
  o: DetectorOptions,
): { verdict: Verdict; phi: number; mean: number; std: number } {
  const s = window.stats(o.heartbeatMs);
  const std = Math.max(s.std, o.minStdMs);
  const p = phi(silenceMs, s.mean + o.pauseMs, std);
  const verdict: Verdict =
    silenceMs >= o.downMs && p >= o.downPhi ? 'down' : silenceMs >= o.suspectMs && p >= o.suspectPhi ? 'suspect' : 'ready';
  return { verdict, phi: p, mean: s.mean, std };
}

/**
 * The heartbeat interval asked of a fleet of `nodes`, and the detector's times stretched by
 * the same factor. Beyond `maxPerSecond` heartbeats a second for the whole fleet, the interval
 * grows with the number of nodes, as Nomad's servers stretch their heartbeat TTLs
 * (max_heartbeats_per_second): 5,000 agents beating twice a second would be 10,000 requests a
 * second, more than a core should spend on liveness alone. The floors and the tolerated pause
 * stretch with the interval, so a node beating at the slower pace is never judged by the
 * faster one. `maxPerSecond` 0: no limit.
 */
export function paced<T extends DetectorOptions>(o: T, nodes: number, maxPerSecond: number): T {
  if (maxPerSecond <= 0) return o;
  const interval = Math.max(o.heartbeatMs, Math.ceil((nodes * 1000) / maxPerSecond));
  if (interval === o.heartbeatMs) return o;
  const k = interval / o.heartbeatMs;
  return {
    ...o,
    heartbeatMs: interval,
    suspectMs: Math.round(o.suspectMs * k),
    downMs: Math.round(o.downMs * k),
    pauseMs: Math.round(o.pauseMs * k),
  };
}
