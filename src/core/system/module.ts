import { defineModule } from '../module.js';
import systemRoutes from './routes.js';

export const system = defineModule({
  name: 'system',
  deps: ['state', 'store'],
  auth: 'client', // /healthz declares itself public
  start: () => ({ routes: systemRoutes }),
});
