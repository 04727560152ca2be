import { defineModule } from '../module.js';
import instanceRoutes from './routes.js';
import { InstanceService } from './service.js';

export const instances = defineModule({
  name: 'instances',
  deps: ['state', 'agents'],
  auth: 'client',
  start: ({ state, agents }) => ({ service: new InstanceService(state, agents), routes: instanceRoutes }),
});
