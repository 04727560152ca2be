import { z } from 'zod';
import { ErrorBody, InstanceState, InstanceView } from '../model.js';
import type { InstanceRecord } from '../../store/index.js';
import { conflict, notFound } from '../../shared/errors.js';
import type { CoreRoutes } from './plugin.js';

export function instanceView(i: InstanceRecord): InstanceView {
  return { ...i, createdAt: new Date(i.createdAt).toISOString(), updatedAt: new Date(i.updatedAt).toISOString() };
}

const instanceRoutes: CoreRoutes = async (app, { ctx }) => {
  const tags = ['instances'];
  app.get('/api/v1/instances', {
    schema: { tags, summary: 'every instance the core placed (or could not place yet)', querystring: z.object({ mel: z.string().optional(), node: z.string().optional(), state: InstanceState.optional() }).strict(), response: { 200: z.object({ instances: z.array(InstanceView) }) } },
  }, async (req) => {
    const q = req.query;
    const list = [...ctx.state.instances.values()].filter((i) => (!q.mel || i.mel === q.mel) && (!q.node || i.node === q.node) && (!q.state || i.state === q.state));
    list.sort((a, b) => a.mel.localeCompare(b.mel) || a.createdAt - b.createdAt);
    return { instances: list.map(instanceView) };
  });

  app.get('/api/v1/instances/:id', { schema: { tags, params: z.object({ id: z.string().min(1) }), response: { 200: InstanceView, 404: ErrorBody } } }, async (req) => {
    const i = ctx.state.instances.get(req.params.id) ?? ctx.state.instanceByName(req.params.id);
    if (!i) throw notFound(`instance ${req.params.id} not found`);
    return instanceView(i);
  });

  app.get('/api/v1/instances/:id/logs', {
    schema: {
      tags,
      summary: "the newest output (stdout + stderr) of an instance, read from its node's agent",
      params: z.object({ id: z.string().min(1) }),
      querystring: z.object({ bytes: z.coerce.number().int().min(1).max(1 << 20).default(64 * 1024) }).strict(),
      response: { 200: z.object({ id: z.string(), node: z.string(), name: z.string(), logs: z.string() }), 404: ErrorBody, 409: ErrorBody },
    },
  }, async (req) => {
    const i = ctx.state.instances.get(req.params.id) ?? ctx.state.instanceByName(req.params.id);
    if (!i) throw notFound(`instance ${req.params.id} not found`);
    const node = i.node ? ctx.state.nodes.get(i.node) : undefined;
    if (!node) throw conflict(`instance ${i.id} is not placed on a node yet (state ${i.state}): no logs`);
    return { id: i.id, node: node.id, name: i.name, logs: await ctx.agents.logs(node.address, i.name, req.query.bytes) };
  });
};

export default instanceRoutes;
