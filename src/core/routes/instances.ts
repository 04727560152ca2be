import { z } from 'zod';
import { ErrorBody, InstanceState, InstanceView } from '../model.js';
import type { InstanceRecord } from '../../store/index.js';
import { notFound } from '../../shared/errors.js';
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
};

export default instanceRoutes;
