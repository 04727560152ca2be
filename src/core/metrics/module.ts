// The core's Prometheus metrics and the samples query.
import { defineModule } from '../module.js';
import metricRoutes from './routes.js';
import { CoreMetrics } from './service.js';

export const metrics = defineModule({
  name: 'metrics',
  deps: ['store', 'state'],
  auth: 'client',
  start({ state, config }) {
    return { service: new CoreMetrics(state, config.processMetrics), routes: metricRoutes };
  },
});
