// GET /api/v1/instances[/{id}[/logs]]: what the core placed (or could not place yet).
import { z } from 'zod';
import { ErrorBody, InstanceLogs, InstanceState, InstanceView } from '../../model/index.js';
import type { CoreRoutes } from '../module.js';
import { instanceView } from './service.js';

const instanceRoutes: CoreRoutes<'instances'> = async (app, { ctx }) => {
  const tags = ['instances'];
  app.get(
    '/api/v1/instances',
    {
      schema: {
        tags,
        summary: 'every instance the core placed (or could not place yet)',
        querystring: z.object({ mel: z.string().optional(), node: z.string().optional(), state: InstanceState.optional() }).strict(),
        response: { 200: z.object({ instances: z.array(InstanceView) }) },
      },
    },
    async (req) => ({ instances: ctx.instances.list(req.query) }),
  );

  app.get(
    '/api/v1/instances/:id',
    { schema: { tags, params: z.object({ id: z.string().min(1) }), response: { 200: InstanceView, 404: ErrorBody } } },
    async (req) => instanceView(ctx.instances.find(req.params.id)),
  );

  app.get(
    '/api/v1/instances/:id/logs',
    {
      schema: {
        tags,
        summary: "the newest output (stdout + stderr) of an instance, read from its node's agent",
        params: z.object({ id: z.string().min(1) }),
        querystring: z
          .object({
            bytes: z.coerce
              .number()
              .int()
              .min(1)
              .max(1 << 20)
              .default(64 * 1024),
          })
          .strict(),
        response: { 200: InstanceLogs, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => ctx.instances.logs(req.params.id, req.query.bytes),
  );
};

export default instanceRoutes;
