import { defineModule } from '../module.js';
import dashboardRoutes from './routes.js';

export const dashboard = defineModule({
  name: 'dashboard',
  deps: [],
  auth: 'public', // the page shell and its bundles; the data behind them needs the token
  start: () => ({ routes: dashboardRoutes }),
});
