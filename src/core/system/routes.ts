import { z } from 'zod';
import { VERSION } from '../../shared/version.js';
import type { CoreRoutes } from './plugin.js';

const systemRoutes: CoreRoutes = async (app, { ctx }) => {
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['system'], response: { 200: z.object({ status: z.literal('ok'), version: z.string(), nodes: z.number(), mels: z.number() }) } } }, async () => ({
    status: 'ok' as const,
    version: VERSION,
    nodes: ctx.state.nodes.size,
    mels: ctx.state.mels.size,
  }));
  app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus text format' } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
};

export default systemRoutes;
