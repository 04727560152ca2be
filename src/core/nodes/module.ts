// The node registry: registration, liveness (failure detector), cordon and drain.
import { Gauge } from 'prom-client';
import { defineModule } from '../module.js';
import nodeRoutes from './routes.js';
import { Registry } from './service.js';

export const nodes = defineModule({
  name: 'nodes',
  deps: ['state', 'events', 'reconciler', 'metrics', 'security'],
  auth: 'client',
  start({ state, events, reconciler, metrics, config }) {
    const r = new Registry(state, events, reconciler, config.liveness);
    new Gauge({
      name: 'osmo_liveness_skipped_ticks',
      help: 'failure-detector ticks skipped because the core itself was stalled (nodes were not judged on its silence)',
      registers: [metrics.registry],
      collect() {
        this.set(r.skippedTicks);
      },
    });
    r.start();
    return { service: r, routes: nodeRoutes, stop: () => r.stop() };
  },
});
