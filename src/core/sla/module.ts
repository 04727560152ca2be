// The SLA manager (WS-Agreement, after the Atos SLA core): its service and enforcement loop
// live in its route plugin, built from the store (its tables migrate themselves there).
import { defineModule } from '../module.js';
import slaRoutes from './routes.js';

export const sla = defineModule({
  name: 'sla',
  deps: ['store'],
  auth: 'client', // /sla-service/…, the Atos SLA core's API
  start: () => ({ routes: slaRoutes }),
});
