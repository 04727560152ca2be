// Both directions of the agent protocol: commands to agents (AgentClient) and what
// agents send (register, heartbeat, event batches: routes.ts, Ingest).
import { defineModule } from '../module.js';
import { AgentClient } from './client.js';
import agentRoutes from './routes.js';
import { Ingest } from './service.js';

export const agents = defineModule({
  name: 'agents',
  deps: ['security', 'bus'],
  start: ({ security, bus }) => ({
    service: new AgentClient(
      (node) => security.commandTokenFor(node),
      (node) => bus.exchangeFor(node),
    ),
  }),
});

export const ingest = defineModule({
  name: 'ingest',
  deps: ['state', 'events', 'reconciler', 'metrics', 'nodes', 'security'],
  auth: 'agent',
  start: ({ state, events, reconciler, metrics }) => ({ service: new Ingest(state, events, reconciler, metrics), routes: agentRoutes }),
});
