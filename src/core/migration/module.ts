// The policy engine's two modules: its memory (PolicyState, fed by the live sample stream;
// the scheduler reads it too) and the engine itself (rounds, monitors, migrations, routes).
import { defineModule } from '../module.js';
import { PolicyEngine } from './service.js';
import { PolicyState } from './policy-state.js';
import migrationRoutes from './routes.js';

export const policyState = defineModule({
  name: 'policyState',
  deps: ['state', 'events', 'policies'],
  start({ state, events, policies }) {
    const ps = new PolicyState(state, (node) => policies.forNode(node));
    const stop = events.live.subscribe('sample', (e) => ps.loads.onEvent(e));
    return { service: ps, stop };
  },
});

export const engine = defineModule({
  name: 'engine',
  deps: ['state', 'events', 'metrics', 'agents', 'reconciler', 'policies', 'policyState'],
  leaderOnly: true,
  auth: 'client',
  start(ctx) {
    const e = new PolicyEngine(ctx);
    e.start();
    return { service: e, routes: migrationRoutes, stop: () => e.stop() };
  },
});
