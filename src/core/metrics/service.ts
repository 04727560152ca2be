// The core's numbers: its own Prometheus metrics (own registry: several cores may share a
// test process), and the stored samples of the agents as time series.
import '../../shared/defer-heavy-deps.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { invalid } from '../../shared/errors.js';
import type { SampleQuery, Store } from '../../store/index.js';
import type { ClusterState } from '../state.js';

export class CoreMetrics {
  readonly registry = new Registry();
  readonly reconcileSeconds: Histogram;
  readonly passCommitSeconds: Histogram;
  readonly apiSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly placements: Counter;
  readonly eventsIngested: Counter<'type'>;
  readonly rebalanceRounds: Counter;
  readonly forwardedRequests: Counter<'route'>;

  constructor(state: ClusterState, withDefaults = true) {
    if (withDefaults) {
      collectDefaultMetrics({ register: this.registry, prefix: 'osmo_core_' });
      // these walk every handle and resource of the process on each scrape: with 5,000 agents'
      // sockets open they were most of a scrape's cost (docs/benchmarks.md, 2026-12-02), for
      // counts nobody alerts on; the open-fd gauge stays (fd exhaustion is a real failure)
      for (const k of ['handles', 'requests', 'resources'])
        for (const n of [`osmo_core_nodejs_active_${k}`, `osmo_core_nodejs_active_${k}_total`]) this.registry.removeSingleMetric(n);
    }
    new Gauge({
      name: 'osmo_nodes',
      help: 'registered nodes by status',
      labelNames: ['status'],
      registers: [this.registry],
      collect() {
        const by: Record<string, number> = { ready: 0, suspect: 0, down: 0, draining: 0 };
        for (const n of state.nodes.values()) {
          const k = n.draining && n.status !== 'down' ? 'draining' : n.status;
          by[k] = (by[k] ?? 0) + 1;
        }
        for (const [k, v] of Object.entries(by)) this.set({ status: k }, v);
      },
    });
    new Gauge({
      name: 'osmo_instances',
      help: 'instances by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const by: Record<string, number> = { pending: 0, starting: 0, running: 0, stopping: 0, failed: 0, lost: 0 };
        for (const i of state.instances.values()) by[i.state] = (by[i.state] ?? 0) + 1;
        for (const [k, v] of Object.entries(by)) this.set({ state: k }, v);
      },
    });
    new Gauge({
      name: 'osmo_mels',
      help: 'MELs (desired state entries)',
      registers: [this.registry],
      collect() {
        this.set(state.mels.size);
      },
    });
    this.reconcileSeconds = new Histogram({
      name: 'osmo_reconcile_duration_seconds',
      help: 'one reconcile pass over every MEL (the passes over changed MELs only, in between, are not counted)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.registry],
    });
    this.passCommitSeconds = new Histogram({
      name: 'osmo_reconcile_commit_seconds',
      help: "a reconcile pass's commit of what it placed, changed and logged (every pass that wrote something), wait for the store included",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.apiSeconds = new Histogram({
      name: 'osmo_api_request_duration_seconds',
      help: 'core API latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [this.registry],
    });
    this.placements = new Counter({ name: 'osmo_placements_total', help: 'instances placed on nodes', registers: [this.registry] });
    this.eventsIngested = new Counter({
      name: 'osmo_agent_events_total',
      help: 'agent events accepted (after dedupe)',
      labelNames: ['type'],
      registers: [this.registry],
    });
    // lets an observer know a rebalance round ran (a quiet period is only quiet after one)
    this.rebalanceRounds = new Counter({
      name: 'osmo_rebalance_rounds_total',
      help: 'policy engine rebalance rounds run',
      registers: [this.registry],
    });
    // several cores: each of these cost a follower and the leader; agents given every core's
    // URL settle on the leader, so it grows only while they find it (client/failover.ts)
    this.forwardedRequests = new Counter({
      name: 'osmo_core_forwarded_requests_total',
      help: 'requests that reached this core (the leader) through a follower, by route',
      labelNames: ['route'],
      registers: [this.registry],
    });
  }
}

/** Raw samples are kept this long; older ones are 1-minute averages (store/retention.ts). */
export const RAW_RETENTION_MS = 3_600_000;

export interface SeriesQuery extends Partial<Omit<SampleQuery, 'metric'>> {
  metric?: 'cpu' | 'mem' | 'net' | 'disk';
}

export interface Series {
  node: string;
  target: string;
  metric: string;
  field: string;
  unit: string;
  points: Array<{ ts: number; avg: number; min: number; max: number; n: number }>;
}

/** Stored samples as one series per (node, target, metric, field), bucketed by `step`. */
export async function querySeries(
  store: Store,
  q: SeriesQuery,
  now = Date.now(),
): Promise<{ from: number; to: number; step: number; series: Series[] }> {
  const to = q.to ?? now;
  const from = q.from ?? to - 3_600_000;
  if (from >= to) throw invalid(`querystring.from (${from}) must be before to (${to})`);
  // about 300 points by default, in whole seconds
  const step = q.step ?? Math.max(1000, Math.ceil((to - from) / 300 / 1000) * 1000);
  const points = await store.samples.query({ ...q, from, to, step }, now - RAW_RETENTION_MS);
  const series = new Map<string, Series>();
  for (const p of points) {
    const key = `${p.node}\u0000${p.target}\u0000${p.metric}\u0000${p.field}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { node: p.node, target: p.target, metric: p.metric, field: p.field, unit: p.unit, points: [] }));
    s.points.push({ ts: p.ts, avg: p.avg, min: p.min, max: p.max, n: p.n });
  }
  return { from, to, step, series: [...series.values()] };
}
