// Plans over HTTP; the hourly follow timers are leader work once several cores run.
import { defineModule } from '../module.js';
import plannerRoutes from './routes.js';
import { PlanService } from './service.js';

export const plans = defineModule({
  name: 'plans',
  deps: ['store', 'mels'],
  leaderOnly: true,
  auth: 'client',
  async start({ store, mels }) {
    const p = new PlanService(store, mels);
    await p.load();
    return { service: p, routes: plannerRoutes, stop: () => p.stop() };
  },
});
