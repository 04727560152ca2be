// The monitor service: one running sampler per (metric, source), each on its own period.
// PUT starts or re-times a pair, DELETE stops it; every tick publishes one sample event per
// target on the bus (channel "sample") and start/retime/stop publish a "monitor" event.
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
  timer?: NodeJS.Timeout;
  /** when the next tick is due (ms since epoch): ticks keep a fixed rate, not a fixed gap */
  due: number;
  stopped: boolean;
}

export class MonitorService {
  private readonly running = new Map<string, Running>();

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
      cur.period = period;
      if (cur.timer) clearTimeout(cur.timer);
      cur.due = Date.now() + period * 1000;
      this.schedule(cur);
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
      due: Date.now() + period * 1000,
      stopped: false,
    };
    this.running.set(key, m);
    this.schedule(m);
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
          m.period = period;
          if (m.timer) clearTimeout(m.timer);
          m.due = Date.now() + period * 1000;
          this.schedule(m);
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
    if (m.timer) clearTimeout(m.timer);
  }

  // One timer per finished tick (not setInterval), so a slow engine never stacks ticks. Each
  // tick is due one period after the previous one was due (not after it ended), so neither the
  // sampling time nor a late timer stretches the period; a source slower than the period for
  // longer than one period is not caught up in a burst: the schedule restarts from now.
  private schedule(m: Running): void {
    const timer = setTimeout(() => void this.tick(m, timer), Math.max(0, m.due - Date.now()));
    timer.unref();
    m.timer = timer;
  }

  private async tick(m: Running, timer: NodeJS.Timeout): Promise<void> {
    const periodMs = m.period * 1000;
    m.due += periodMs;
    if (m.due < Date.now() - periodMs) m.due = Date.now();
    try {
      const readings = await m.sampler.sample();
      if (m.stopped || m.timer !== timer) return; // stopped or re-timed while sampling
      for (const r of readings) {
        this.bus.publish('sample', { type: 'sample', source: m.source, metric: m.metric, target: r.target, fields: r.fields });
      }
      m.samples++;
    } catch (e) {
      this.onError(e, m);
    }
    if (!m.stopped && m.timer === timer) this.schedule(m);
  }
}
