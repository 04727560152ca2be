// MELs: the desired state, changed through the API; placement is the reconciler's.
import { defineModule } from '../module.js';
import melRoutes from './routes.js';
import { MelService } from './service.js';

export const mels = defineModule({
  name: 'mels',
  deps: ['state', 'events', 'reconciler'],
  auth: 'client',
  start: ({ state, events, reconciler }) => ({ service: new MelService(state, events, reconciler), routes: melRoutes }),
});
