// The reconciler: decide (pure) → commit → dispatch, plus sync with what agents run.
import { defineModule } from '../module.js';
import { Reconciler } from './reconciler.js';

export const reconciler = defineModule({
  name: 'reconciler',
  deps: ['state', 'events', 'agents', 'metrics', 'scheduler'],
  leaderOnly: true,
  start(ctx) {
    const r = new Reconciler(ctx.state, ctx.events, ctx.agents, ctx.metrics, ctx.scheduler, ctx.config.reconciler);
    r.start();
    return { service: r, stop: () => r.close() };
  },
});
