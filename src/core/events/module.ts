// The event log (every agent and core event, one table and one live stream) and the
// retention job that keeps it and the samples table bounded.
import { scheduleRetention } from '../../store/retention.js';
import { defineModule } from '../module.js';
import eventRoutes from './routes.js';
import { EventLog } from './service.js';

export const events = defineModule({
  name: 'events',
  deps: ['store'],
  auth: 'client',
  start({ store }) {
    return { service: new EventLog(store), routes: eventRoutes };
  },
});

export const retention = defineModule({
  name: 'retention',
  deps: ['store'],
  leaderOnly: true,
  start({ store }) {
    return { stop: scheduleRetention(store) };
  },
});
