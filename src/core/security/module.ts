// Credentials and tokens (service.ts) and their API (routes.ts): started before anything
// that talks to agents, because the agent client signs its commands with it.
import { defineModule } from '../module.js';
import tokenRoutes from './routes.js';
import { Security } from './service.js';

export const security = defineModule({
  name: 'security',
  deps: ['store', 'state'],
  // minting tokens and rotating the join token need a token even on loopback
  auth: 'admin',
  async start({ store, state, config, token }) {
    return { service: await Security.open(store, state, config.dataDir, token, config.ca?.fingerprint), routes: tokenRoutes };
  },
});
