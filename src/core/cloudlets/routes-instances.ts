// /api/v1/cloudlets: which nodes are cloudlets, the instances devices started on them with
// their users, and moving one to another cloudlet (its users find the new address in the
// old cloudlet's mailbox).
import { z } from 'zod';
import { ErrorBody } from '../../model/index.js';
import type { CoreRoutes } from '../module.js';

const InstanceView = z.object({
  id: z.string(),
  serviceId: z.string(),
  node: z.string(),
  users: z.array(z.string()),
  instance: z.string().nullable(),
  container: z.string().nullable(),
  state: z.string(),
  address: z.string().nullable(),
  hostPort: z.number().nullable(),
});
const CloudletNode = z.object({
  node: z.string(),
  status: z.string(),
  address: z.string(),
  port: z.number(),
  layer: z.string(),
  domain: z.string(),
});

const cloudletInstanceRoutes: CoreRoutes<'cloudlets' | 'state'> = async (app, { ctx }) => {
  const tags = ['cloudlets'];
  app.get(
    '/api/v1/cloudlets',
    {
      config: { auth: 'client' },
      schema: {
        tags,
        summary: 'nodes serving the cloudlet API, and the instances devices started on them',
        response: { 200: z.object({ cloudlets: z.array(CloudletNode), instances: z.array(InstanceView) }) },
      },
    },
    async () => ({
      cloudlets: [...ctx.state.nodes.values()]
        .filter((n) => n.labels['osmo.cloudlet/address'] !== undefined)
        .map((n) => ({
          node: n.id,
          status: n.status,
          address: n.labels['osmo.cloudlet/address']!,
          port: Number(n.labels['osmo.cloudlet/port'] ?? 9999),
          layer: n.layer,
          domain: n.domain,
        })),
      instances: ctx.cloudlets.instances.list(),
    }),
  );
  app.post(
    '/api/v1/cloudlets/instances/:id/migrate',
    {
      schema: {
        tags,
        summary:
          'move a device-started instance to another cloudlet (make-before-break); each user gets a mailbox message with the new address',
        params: z.object({ id: z.string().min(1).max(128) }),
        body: z.object({ node: z.string().min(1).max(128) }).strict(),
        response: { 200: InstanceView, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => ctx.cloudlets.instances.migrate(req.params.id, req.body.node),
  );
};

export default cloudletInstanceRoutes;
