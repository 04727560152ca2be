// The OCCI monitoring server: its service and the sensor deployer live in its route plugin
// (built and loaded there from the state and the store's kv; the deployer reads the live
// events and stops when the API closes).
import { defineModule } from '../module.js';
import occiRoutes from './routes.js';

export const monitoring = defineModule({
  name: 'monitoring',
  deps: ['state', 'store', 'events', 'agents', 'sla'],
  auth: 'client', // OCCI: /occi/… and /.well-known/org/ogf/occi/-/
  start: () => ({ routes: occiRoutes }),
});
