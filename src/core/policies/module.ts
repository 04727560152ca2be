// The run-time policy manager: loaded from the store before anything schedules.
import { defineModule } from '../module.js';
import policyRoutes from './routes.js';
import { PolicyService } from './service.js';

export const policies = defineModule({
  name: 'policies',
  deps: ['store', 'state', 'events'],
  auth: 'client',
  async start(ctx) {
    const p = new PolicyService(ctx);
    await p.load();
    return { service: p, routes: policyRoutes };
  },
});
