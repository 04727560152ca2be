// The monitor service: one running sampler per (metric, source), each on its own period.
// PUT starts or re-times a pair, DELETE stops it; every tick publishes one sample event per
// target on the bus (channel "sample") and start/retime/stop publish a "monitor" event.
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
}

interface Running extends ActiveMonitor {
  sampler: Sampler;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export class MonitorService {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly bus: PubSub<AgentEventBody>,
    private readonly guest: GuestSource,
    private readonly onError: (e: unknown, m: ActiveMonitor) => void = () => {},
    private readonly paths: ProcPaths = PROC,
  ) {}

  /** Starts the (metric, source) monitor, or changes its period if it runs. */
  async start(metric: MetricName, source: SampleSource, period: number): Promise<'started' | 'retimed'> {
    const key = `${metric}:${source}`;
    const cur = this.running.get(key);
    if (cur) {
      cur.period = period;
      if (cur.timer) clearTimeout(cur.timer);
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
    if (this.running.has(key)) return this.start(metric, source, period);
    const m: Running = { metric, source, period, startedAt: new Date().toISOString(), samples: 0, sampler, stopped: false };
    this.running.set(key, m);
    this.schedule(m);
    this.bus.publish('monitor', { type: 'monitor', metric, source, action: 'started', period });
    return 'started';
  }

  stop(metric: MetricName, source: SampleSource): void {
    const key = `${metric}:${source}`;
    const m = this.running.get(key);
    if (!m) throw notFound(`monitor ${metric} is not running for source "${source}"`);
    this.halt(m);
    this.running.delete(key);
    this.bus.publish('monitor', { type: 'monitor', metric, source, action: 'stopped', period: m.period });
  }

  list(): ActiveMonitor[] {
    return [...this.running.values()].map(({ metric, source, period, startedAt, samples }) => ({ metric, source, period, startedAt, samples }));
  }

  close(): void {
    for (const m of this.running.values()) this.halt(m);
    this.running.clear();
  }

  private halt(m: Running): void {
    m.stopped = true;
    if (m.timer) clearTimeout(m.timer);
  }

  // One timer per finished tick (not setInterval), so a slow engine never stacks ticks; the
  // delay subtracts the time the tick took, so samples keep the requested period when they can.
  private schedule(m: Running, delayMs = m.period * 1000): void {
    const timer = setTimeout(() => void this.tick(m, timer), Math.max(0, delayMs));
    timer.unref();
    m.timer = timer;
  }

  private async tick(m: Running, timer: NodeJS.Timeout): Promise<void> {
    const started = Date.now();
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
    if (!m.stopped && m.timer === timer) this.schedule(m, m.period * 1000 - (Date.now() - started));
  }
}
