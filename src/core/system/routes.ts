// GET /healthz: up, with counts (public: load balancers and probes send no token).
import { z } from 'zod';
import { VERSION } from '../../shared/version.js';
import type { CoreRoutes } from '../module.js';

const systemRoutes: CoreRoutes<'state'> = async (app, { ctx }) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['system'], response: { 200: z.object({ status: z.literal('ok'), version: z.string(), nodes: z.number(), mels: z.number() }) } } }, async () => ({
    status: 'ok' as const,
    version: VERSION,
    nodes: ctx.state.nodes.size,
    mels: ctx.state.mels.size,
  }));
};

export default systemRoutes;
