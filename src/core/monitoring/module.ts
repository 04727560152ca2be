// The OCCI monitoring server: its service lives in its route plugin (built and loaded
// there from the state and the store's kv).
import { defineModule } from '../module.js';
import occiRoutes from './routes.js';

export const monitoring = defineModule({
  name: 'monitoring',
  deps: ['state', 'store'],
  auth: 'client', // OCCI: /occi/… and /.well-known/org/ogf/occi/-/
  start: () => ({ routes: occiRoutes }),
});
