// The node registry: registration, liveness (failure detector), cordon and drain.
import { defineModule } from '../module.js';
import nodeRoutes from './routes.js';
import { Registry } from './service.js';

export const nodes = defineModule({
  name: 'nodes',
  deps: ['state', 'events', 'reconciler'],
  auth: 'client',
  start({ state, events, reconciler, config }) {
    const r = new Registry(state, events, reconciler, config.liveness);
    r.start();
    return { service: r, routes: nodeRoutes, stop: () => r.stop() };
  },
});
