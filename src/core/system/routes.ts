// GET /healthz: up, with counts (public: load balancers and probes send no token).
import { CoreHealth } from '../../model/index.js';
import { VERSION } from '../../shared/version.js';
import type { CoreRoutes } from '../module.js';

const systemRoutes: CoreRoutes<'state'> = async (app, { ctx }) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['system'], response: { 200: CoreHealth } } }, async () => ({
    status: 'ok' as const,
    version: VERSION,
    nodes: ctx.state.nodes.size,
    mels: ctx.state.mels.size,
  }));
};

export default systemRoutes;
