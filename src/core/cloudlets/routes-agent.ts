// What a cloudlet agent reads from the core, with its node credential (the agent protocol's
// auth class: node credentials are good for /api/v1/agent/* only, docs/security.md): the
// whole catalog and the app files, which it caches to serve while the core is unreachable.
import { z } from 'zod';
import {
  AppView,
  CloudletAssigned,
  CloudletInstanceId,
  CloudletReport,
  DeviceId,
  MailboxMessage,
  ServiceId,
  ServiceView,
  ErrorBody,
  OkBody,
} from '../../model/index.js';
import type { CoreRoutes } from '../module.js';
import { renderedAs } from '../http/statuses.js';

export const AgentCatalog = z.object({ services: z.array(ServiceView), apps: z.array(AppView) });

const Node = z.string().min(1).max(128);

const agentCatalogRoutes: CoreRoutes<'cloudlets' | 'security'> = async (app, { ctx }) => {
  const inst = ctx.cloudlets.instances;
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
      schema: {
        tags,
        summary: 'an app file, for the agent cache',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: renderedAs('the file', ['application/octet-stream']), 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const { app: a } = await c.appFile(req.params.id);
      return reply.header('content-type', 'application/octet-stream').header('x-md5', a.md5).send(c.openApp(a));
    },
  );

  app.put(
    '/api/v1/agent/cloudlet/instances/:id',
    {
      config: { auth: 'agent' },
      schema: {
        tags,
        summary: 'a cloudlet reports an instance it started for devices (the first report adopts it as a pinned MEL)',
        params: z.object({ id: CloudletInstanceId }),
        body: CloudletReport,
        response: { 200: z.object({ id: z.string(), users: z.array(z.string()) }), 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      ctx.security.checkNode(req.principal!, req.body.node);
      return inst.report(req.params.id, req.body);
    },
  );
  app.delete(
    '/api/v1/agent/cloudlet/instances/:id',
    {
      config: { auth: 'agent' },
      schema: {
        tags,
        summary: "the instance's last user left; the cloudlet removed it",
        params: z.object({ id: CloudletInstanceId }),
        querystring: z.object({ node: Node }),
        response: { 200: OkBody, 403: ErrorBody },
      },
    },
    async (req) => {
      ctx.security.checkNode(req.principal!, req.query.node);
      await inst.release(req.params.id, req.query.node);
      return { response: true as const, status: 200 };
    },
  );
  app.get(
    '/api/v1/agent/cloudlet/assigned',
    {
      config: { auth: 'agent' },
      schema: {
        tags,
        summary: 'the device-started instances the core has on this cloudlet',
        querystring: z.object({ node: Node }),
        response: { 200: z.object({ instances: z.array(CloudletAssigned) }), 403: ErrorBody },
      },
    },
    async (req) => {
      ctx.security.checkNode(req.principal!, req.query.node);
      return { instances: inst.assigned(req.query.node) };
    },
  );
  app.get(
    '/api/v1/agent/cloudlet/messages',
    {
      config: { auth: 'agent' },
      schema: {
        tags,
        summary: "a device's unread mailbox on this cloudlet (marked read once delivered)",
        querystring: z.object({ node: Node, device: DeviceId, serviceId: ServiceId.optional() }),
        response: { 200: z.object({ messages: z.array(MailboxMessage) }), 403: ErrorBody },
      },
    },
    async (req) => {
      ctx.security.checkNode(req.principal!, req.query.node);
      return { messages: await inst.messages(req.query.node, req.query.device, req.query.serviceId) };
    },
  );
};

export default agentCatalogRoutes;
