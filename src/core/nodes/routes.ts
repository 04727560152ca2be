import { z } from 'zod';
import { ErrorBody, NodeLayer, NodeStatus, NodeView, OkBody } from '../../model/index.js';
import type { CoreRoutes } from '../module.js';
import type { ClusterState, LiveNode } from '../state.js';
import { shownStatus } from './service.js';
import { notFound } from '../../shared/errors.js';
import { NODE_ID_MAX } from '../../bus/protocol.js';

export function nodeView(state: ClusterState, n: LiveNode): NodeView {
  return {
    id: n.id,
    address: n.address,
    status: shownStatus(n),
    layer: n.layer,
    domain: n.domain,
    labels: n.labels,
    capacity: n.capacity,
    allocated: state.allocated(n.id),
    drivers: n.drivers,
    version: n.version,
    schedulable: n.schedulable,
    draining: n.draining,
    lastHeartbeat: new Date(n.lastHeartbeat).toISOString(),
    load: {
      ...(n.load.cpu !== undefined ? { cpu: n.load.cpu } : {}),
      ...(n.load.mem !== undefined ? { mem: n.load.mem } : {}),
      ...(n.load.at ? { at: new Date(n.load.at).toISOString() } : {}),
    },
    instances: state.instancesOn(n.id).filter((i) => i.desired === 'run' && i.state !== 'lost').length,
  };
}

const Id = z.object({ id: z.string().min(1).max(NODE_ID_MAX) });

const nodeRoutes: CoreRoutes<'nodes' | 'state' | 'security'> = async (app, { ctx }) => {
  const tags = ['nodes'];
  app.get(
    '/api/v1/nodes',
    {
      schema: {
        tags,
        summary: 'all registered nodes',
        querystring: z.object({ status: NodeStatus.optional(), layer: NodeLayer.optional() }).strict(),
        response: { 200: z.object({ nodes: z.array(NodeView) }) },
      },
    },
    async (req) => {
      const nodes = [...ctx.state.nodes.values()]
        .map((n) => nodeView(ctx.state, n))
        .filter((n) => (!req.query.status || n.status === req.query.status) && (!req.query.layer || n.layer === req.query.layer));
      return { nodes: nodes.sort((a, b) => a.id.localeCompare(b.id)) };
    },
  );

  app.get('/api/v1/nodes/:id', { schema: { tags, params: Id, response: { 200: NodeView, 404: ErrorBody } } }, async (req) => {
    const n = ctx.state.nodes.get(req.params.id);
    if (!n) throw notFound(`node ${req.params.id} not found`);
    return nodeView(ctx.state, n);
  });

  const action = (path: string, summary: string, fn: (id: string) => Promise<LiveNode>) =>
    app.post(
      `/api/v1/nodes/:id/${path}`,
      { schema: { tags, summary, params: Id, response: { 200: NodeView, 404: ErrorBody } } },
      async (req) => nodeView(ctx.state, await fn(req.params.id)),
    );
  action('cordon', 'nothing new is placed on the node; what runs stays', (id) => ctx.nodes.cordon(id, false));
  action('uncordon', 'the node accepts placements again', (id) => ctx.nodes.cordon(id, true));
  action('drain', 'move every instance away (replacements first), then keep the node empty', (id) => ctx.nodes.drain(id, true));
  action('undrain', 'end a drain: the node accepts placements again', (id) => ctx.nodes.drain(id, false));

  app.delete(
    '/api/v1/nodes/:id',
    {
      schema: {
        tags,
        summary: 'forget a node (refused while it runs instances, unless down)',
        params: Id,
        response: { 200: OkBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      await ctx.nodes.remove(req.params.id);
      // the id is free again: the join token may register it anew
      await ctx.security.forgetNode(req.params.id);
      return { response: true as const, status: 200 };
    },
  );

  app.post(
    '/api/v1/nodes/:id/revoke',
    {
      // cutting a node off is a security act: a token even on loopback
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: "revoke the node's credential: its next call is refused (403) and it is marked down; it may join again only after `rm`",
        params: Id,
        response: { 200: NodeView, 404: ErrorBody },
      },
    },
    async (req) => {
      await ctx.security.revokeNode(req.params.id);
      return nodeView(ctx.state, await ctx.nodes.revoked(req.params.id));
    },
  );
};

export default nodeRoutes;
