// Prometheus metrics of one core (own registry: several cores may share a test process).
import '../shared/defer-heavy-deps.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterState } from './state.js';

export class CoreMetrics {
  readonly registry = new Registry();
  readonly reconcileSeconds: Histogram;
  readonly apiSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly placements: Counter;
  readonly eventsIngested: Counter<'type'>;
  readonly rebalanceRounds: Counter;

  constructor(state: ClusterState, withDefaults = true) {
    if (withDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'osmo_core_' });
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
    new Gauge({ name: 'osmo_mels', help: 'MELs (desired state entries)', registers: [this.registry], collect() { this.set(state.mels.size); } });
    this.reconcileSeconds = new Histogram({ name: 'osmo_reconcile_duration_seconds', help: 'one reconcile pass', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
    this.apiSeconds = new Histogram({ name: 'osmo_api_request_duration_seconds', help: 'core API latency', labelNames: ['method', 'route', 'status'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
    this.placements = new Counter({ name: 'osmo_placements_total', help: 'instances placed on nodes', registers: [this.registry] });
    this.eventsIngested = new Counter({ name: 'osmo_agent_events_total', help: 'agent events accepted (after dedupe)', labelNames: ['type'], registers: [this.registry] });
    // lets an observer know a rebalance round ran (a quiet period is only quiet after one)
    this.rebalanceRounds = new Counter({ name: 'osmo_rebalance_rounds_total', help: 'policy engine rebalance rounds run', registers: [this.registry] });
  }
}
