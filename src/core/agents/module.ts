// Both directions of the agent protocol: commands to agents (AgentClient) and what
// agents send (register, heartbeat, event batches: routes.ts, Ingest).
import { defineModule } from '../module.js';
import { AgentClient } from './client.js';
import agentRoutes from './routes.js';
import { Ingest } from './service.js';

export const agents = defineModule({
  name: 'agents',
  deps: [],
  start: ({ token }) => ({ service: new AgentClient(token) }),
});

export const ingest = defineModule({
  name: 'ingest',
  deps: ['state', 'events', 'reconciler', 'metrics', 'nodes'],
  auth: 'agent',
  start: ({ state, events, reconciler, metrics }) => ({ service: new Ingest(state, events, reconciler, metrics), routes: agentRoutes }),
});
