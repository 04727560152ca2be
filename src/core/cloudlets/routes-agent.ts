// What a cloudlet agent reads from the core, with its node credential (the agent protocol's
// auth class: node credentials are good for /api/v1/agent/* only, docs/security.md): the
// whole catalog and the app files, which it caches to serve while the core is unreachable.
import { z } from 'zod';
import { AppView, ServiceView } from '../../model/index.js';
import type { CoreRoutes } from '../module.js';

export const AgentCatalog = z.object({ services: z.array(ServiceView), apps: z.array(AppView) });

const agentCatalogRoutes: CoreRoutes<'cloudlets'> = async (app, { ctx }) => {
  const c = ctx.cloudlets.catalog;
  const tags = ['agent protocol'];
  app.get(
    '/api/v1/agent/cloudlet/catalog',
    {
      config: { auth: 'agent' },
      schema: { tags, summary: "a cloudlet agent's copy of the catalog and the app metadata", response: { 200: AgentCatalog } },
    },
    async () => ({ services: await c.services(), apps: await c.apps() }),
  );
  app.get(
    '/api/v1/agent/cloudlet/apps/:id/file',
    {
      config: { auth: 'agent' },
      schema: { tags, summary: 'an app file, for the agent cache', params: z.object({ id: z.string().min(1).max(64) }) },
    },
    async (req, reply) => {
      const { app: a } = await c.appFile(req.params.id);
      return reply.header('content-type', 'application/octet-stream').header('x-md5', a.md5).send(c.openApp(a));
    },
  );
};

export default agentCatalogRoutes;
