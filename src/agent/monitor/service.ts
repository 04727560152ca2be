// The monitor service: one running sampler per (metric, source), each on its own period.
// PUT starts or re-times a pair, DELETE stops it; every tick publishes one sample event per
// target on the bus (channel "sample") and start/retime/stop publish a "monitor" event.
// Monitors of one period share one clock (one timer): they are sampled in one turn of the
// event loop instead of each timer waking the process on its own; on a small box the
// process's wakeups cost more than the sampling code (docs/benchmarks.md, "Issue 14").
// Several clients may share a pair (the seed's caller, the core's policy engine, OCCI
// sensors): each PUT names an optional holder, the pair runs at the shortest period its
// holders asked for, and a DELETE naming a holder stops the sampler only when no holder is left.
import type { PubSub } from '../../bus/pubsub.js';
import type { AgentEventBody } from '../../bus/events.js';
import type { MetricName, SampleSource } from '../../model/index.js';
import { notFound, unavailable } from '../../shared/errors.js';
import { createSampler, type GuestSource, type ProcPaths, type Sampler, PROC } from './samplers.js';

export interface ActiveMonitor {
  metric: MetricName;
  source: SampleSource;
  /** seconds */
  period: number;
  startedAt: string;
  samples: number;
  /** who asked for it ("" = a caller that named no holder: the seed's API) */
  holders: string[];
}

interface Running extends Omit<ActiveMonitor, 'holders'> {
  /** holder -> the period it asked for (s) */
  wants: Map<string, number>;
  sampler: Sampler;
  /** the clock of its period (undefined once stopped) */
  clock?: Clock;
  /** a sample() under way: the clock does not start another (a slow source never stacks ticks) */
  busy: boolean;
  /** the clock ticked while it was busy: it samples once more as soon as it is done */
  missed: boolean;
  /** bumped on every re-time and stop: a sample begun before is not published */
  generation: number;
  stopped: boolean;
}

/** One timer for every monitor of one period. */
interface Clock {
  periodMs: number;
  members: Set<Running>;
  timer?: NodeJS.Timeout;
  /** when the next tick is due (ms since epoch): ticks keep a fixed rate, not a fixed gap */
  due: number;
}

export class MonitorService {
  private readonly running = new Map<string, Running>();
  private readonly clocks = new Map<number, Clock>();

  constructor(
    private readonly bus: PubSub<AgentEventBody>,
    private readonly guest: GuestSource,
    private readonly onError: (e: unknown, m: Pick<ActiveMonitor, 'metric' | 'source'>) => void = () => {},
    private readonly paths: ProcPaths = PROC,
  ) {}

  /** Starts the (metric, source) monitor, or changes its period if it runs. */
  async start(metric: MetricName, source: SampleSource, asked: number, holder = ''): Promise<'started' | 'retimed'> {
    const key = `${metric}:${source}`;
    const cur = this.running.get(key);
    if (cur) {
      cur.wants.set(holder, asked);
      const period = Math.min(...cur.wants.values());
      this.retime(cur, period);
      this.bus.publish('monitor', { type: 'monitor', metric, source, action: 'retimed', period });
      return 'retimed';
    }
    const sampler = createSampler(metric, source, this.guest, this.paths);
    try {
      await sampler.prime();
    } catch (e) {
      throw unavailable(`monitor ${metric}/${source} cannot read its source: ${(e as Error).message}`);
    }
    // a concurrent PUT for the same pair may have won while we primed: re-time that one
    if (this.running.has(key)) return this.start(metric, source, asked, holder);
    const period = asked;
    const m: Running = {
      metric,
      source,
      period,
      wants: new Map([[holder, asked]]),
      startedAt: new Date().toISOString(),
      samples: 0,
      sampler,
      busy: false,
      missed: false,
      generation: 0,
      stopped: false,
    };
    this.running.set(key, m);
    this.join(m);
    this.bus.publish('monitor', { type: 'monitor', metric, source, action: 'started', period });
    return 'started';
  }

  /**
   * Without a holder (the seed's DELETE) the monitor stops whoever holds it; with one, only
   * that holder lets go, and the sampler stops (or slows down) when the others allow it.
   */
  stop(metric: MetricName, source: SampleSource, holder?: string): void {
    const key = `${metric}:${source}`;
    const m = this.running.get(key);
    if (!m) throw notFound(`monitor ${metric} is not running for source "${source}"`);
    if (holder) {
      if (!m.wants.delete(holder)) throw notFound(`monitor ${metric} for source "${source}" has no holder "${holder}"`);
      if (m.wants.size > 0) {
        const period = Math.min(...m.wants.values());
        if (period !== m.period) {
          this.retime(m, period);
          this.bus.publish('monitor', { type: 'monitor', metric, source, action: 'retimed', period });
        }
        return;
      }
    }
    this.halt(m);
    this.running.delete(key);
    this.bus.publish('monitor', { type: 'monitor', metric, source, action: 'stopped', period: m.period });
  }

  list(): ActiveMonitor[] {
    return [...this.running.values()].map(({ metric, source, period, startedAt, samples, wants }) => ({
      metric,
      source,
      period,
      startedAt,
      samples,
      holders: [...wants.keys()].sort(),
    }));
  }

  close(): void {
    for (const m of this.running.values()) this.halt(m);
    this.running.clear();
  }

  private halt(m: Running): void {
    m.stopped = true;
    m.generation++;
    this.leave(m);
  }

  private retime(m: Running, period: number): void {
    m.generation++;
    this.leave(m);
    m.period = period;
    this.join(m);
  }

  /** Puts a monitor on the clock of its period, starting that clock if it is new. */
  private join(m: Running): void {
    const periodMs = m.period * 1000;
    let c = this.clocks.get(periodMs);
    if (!c) {
      c = { periodMs, members: new Set(), due: Date.now() + periodMs };
      this.clocks.set(periodMs, c);
      this.arm(c);
    }
    c.members.add(m);
    m.clock = c;
  }

  private leave(m: Running): void {
    const c = m.clock;
    m.clock = undefined;
    m.missed = false;
    if (!c) return;
    c.members.delete(m);
    if (c.members.size === 0) {
      if (c.timer) clearTimeout(c.timer);
      this.clocks.delete(c.periodMs);
    }
  }

  // One timer per tick (not setInterval), re-armed for when the next tick is due: one period
  // after the previous one was due (not after it ran), so a late timer does not stretch the
  // period; after a stall longer than a period the schedule restarts from now (no burst).
  private arm(c: Clock): void {
    c.timer = setTimeout(() => this.fire(c), Math.max(0, c.due - Date.now()));
    c.timer.unref();
  }

  private fire(c: Clock): void {
    if (this.clocks.get(c.periodMs) !== c) return; // stopped meanwhile
    const now = Date.now();
    c.due += c.periodMs;
    if (c.due < now - c.periodMs) c.due = now;
    for (const m of c.members) {
      if (m.busy) m.missed = true;
      else void this.tick(m);
    }
    this.arm(c);
  }

  private async tick(m: Running): Promise<void> {
    const generation = m.generation;
    m.busy = true;
    try {
      const readings = await m.sampler.sample();
      if (m.generation === generation) {
        for (const r of readings) {
          this.bus.publish('sample', { type: 'sample', source: m.source, metric: m.metric, target: r.target, fields: r.fields });
        }
        m.samples++;
      }
    } catch (e) {
      if (m.generation === generation) this.onError(e, m);
    } finally {
      m.busy = false;
    }
    // a source slower than the period is caught up once, not in a burst
    if (m.missed && !m.stopped) {
      m.missed = false;
      void this.tick(m);
    }
  }
}
