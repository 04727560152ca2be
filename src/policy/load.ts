// The load factor L and its smoothing. A node's L is never one instantaneous sample:
// each term is an EWMA over the monitoring period, and a value nobody refreshed within
// the staleness timeout is unknown (undefined), not "zero load".
import type { Resources } from '../model/index.js';
import type { PolicyDocument } from './document.js';

/** The three normalised terms of L, each in [0,1]. */
export interface LoadTerms {
  cpu: number;
  mem: number;
  io: number;
}

const clamp01 = (x: number): number => (Number.isFinite(x) ? (x < 0 ? 0 : x > 1 ? 1 : x) : 0);

/**
 * L = (w_cpu·cpu + w_mem·mem + w_io·io) / (w_cpu + w_mem + w_io).
 * Dividing by the weight sum keeps L in [0,1] whatever the weights, so thresholds keep
 * their meaning when an operator changes weights at run time.
 */
export function loadFactor(t: LoadTerms, w: PolicyDocument['weights']): number {
  const sum = w.cpu + w.mem + w.io;
  if (sum <= 0) return 0;
  return (w.cpu * clamp01(t.cpu) + w.mem * clamp01(t.mem) + w.io * clamp01(t.io)) / sum;
}

/** One measurement: the terms at time ts (ms). */
export interface LoadSample extends LoadTerms {
  ts: number;
}

/**
 * Exponentially weighted moving average of the terms with time constant tau (the
 * monitoring period): alpha = 1 - exp(-dt/tau), so irregular sample spacing weighs
 * correctly. Samples older than the last one are ignored (at-least-once delivery).
 */
export class LoadTracker {
  private terms: LoadTerms | undefined;
  private lastTs = -Infinity;

  constructor(
    private tauMs: number,
    private stalenessMs: number,
  ) {}

  /** Policy changes apply to the next sample and read. */
  configure(tauMs: number, stalenessMs: number): void {
    this.tauMs = tauMs;
    this.stalenessMs = stalenessMs;
  }

  add(s: LoadSample): void {
    if (s.ts <= this.lastTs) return;
    const cur = { cpu: clamp01(s.cpu), mem: clamp01(s.mem), io: clamp01(s.io) };
    // A stale average says nothing about now: restart from the fresh sample.
    if (!this.terms || s.ts - this.lastTs > this.stalenessMs) this.terms = cur;
    else {
      const a = 1 - Math.exp(-(s.ts - this.lastTs) / Math.max(1, this.tauMs));
      const t = this.terms;
      this.terms = { cpu: t.cpu + a * (cur.cpu - t.cpu), mem: t.mem + a * (cur.mem - t.mem), io: t.io + a * (cur.io - t.io) };
    }
    this.lastTs = s.ts;
  }

  /** Smoothed terms, or undefined when no sample arrived within the staleness timeout. */
  smoothed(now: number): LoadTerms | undefined {
    if (!this.terms || now - this.lastTs > this.stalenessMs) return undefined;
    return this.terms;
  }

  /** Smoothed L with the given weights, or undefined when stale. */
  load(now: number, w: PolicyDocument['weights']): number | undefined {
    const t = this.smoothed(now);
    return t ? loadFactor(t, w) : undefined;
  }

  get lastSampleTs(): number {
    return this.lastTs;
  }
}

/** Usage of one instance as its guest monitors report it. */
export interface GuestUsage {
  /** CPU in cores (1.0 = one full core) */
  cpuCores: number;
  memBytes: number;
  /** disk + network bytes/s */
  ioBytesPerSec: number;
}

/**
 * The guest load source: the sum of a node's instances' usage against the node's declared
 * capacity. This is what lets several test nodes share one machine with different loads.
 */
export function guestTerms(instances: Iterable<GuestUsage>, capacity: Resources & { ioBytesPerSec?: number }): LoadTerms {
  let cpu = 0;
  let mem = 0;
  let io = 0;
  for (const u of instances) {
    cpu += u.cpuCores;
    mem += u.memBytes;
    io += u.ioBytesPerSec;
  }
  return {
    cpu: clamp01(cpu / capacity.cpus),
    mem: clamp01(mem / capacity.memoryBytes),
    // 100 MB/s as the nominal I/O capacity when the node declares none.
    io: clamp01(io / (capacity.ioBytesPerSec ?? 100e6)),
  };
}
