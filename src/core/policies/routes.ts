// GET/PUT /api/v1/policies and /api/v1/nodes/{id}/policies: every M.A.E.A.I. parameter with
// type, unit, range and current value; PUT takes a partial document (400 and no change
// when invalid).
import { z } from 'zod';
import { ErrorBody } from '../../model/index.js';
import { describe } from '../../policy/document.js';
import { notFound } from '../../shared/errors.js';
import type { CoreRoutes } from '../module.js';
import { GlobalPolicyChanged, GlobalPolicyView, NodePolicyChanged, NodePolicyView, PolicyPatchBody as Body } from './schema.js';

const Id = z.object({ id: z.string().min(1).max(128) });

const policyRoutes: CoreRoutes<'policies' | 'state'> = async (app, { ctx }) => {
  const tags = ['policies'];
  app.get(
    '/api/v1/policies',
    {
      schema: {
        tags,
        summary: 'the global policy: every parameter with type, unit, range and current value',
        response: { 200: GlobalPolicyView },
      },
    },
    async () => {
      const p = ctx.policies;
      const doc = p.globalDocument();
      return {
        policy: doc as unknown as Record<string, unknown>,
        parameters: describe(doc).map((x) => ({ ...x, allowed: x.allowed ? [...x.allowed] : undefined })),
        overrides: p.set.nodes as Record<string, Record<string, unknown>>,
      };
    },
  );

  app.put(
    '/api/v1/policies',
    {
      schema: {
        tags,
        summary: 'change one or several global parameters (partial document)',
        body: Body,
        response: { 200: GlobalPolicyChanged, 400: ErrorBody },
      },
    },
    async (req) => {
      const r = await ctx.policies.patchGlobal(req.body);
      return { policy: r.policy as unknown as Record<string, unknown>, changes: r.changes };
    },
  );

  app.get(
    '/api/v1/nodes/:id/policies',
    {
      schema: {
        tags,
        summary: "a node's effective policy and its override",
        params: Id,
        response: { 200: NodePolicyView, 404: ErrorBody },
      },
    },
    async (req) => {
      const p = ctx.policies;
      if (!ctx.state.nodes.has(req.params.id)) throw notFound(`node ${req.params.id} not found`);
      const doc = p.forNode(req.params.id);
      return {
        node: req.params.id,
        policy: doc as unknown as Record<string, unknown>,
        override: p.override(req.params.id),
        parameters: describe(doc).map((x) => ({ ...x, allowed: x.allowed ? [...x.allowed] : undefined })),
      };
    },
  );

  app.put(
    '/api/v1/nodes/:id/policies',
    {
      schema: {
        tags,
        summary: "change a node's override (partial document, merged over the global one)",
        params: Id,
        body: Body,
        response: { 200: NodePolicyChanged, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const r = await ctx.policies.patchNode(req.params.id, req.body);
      return { policy: r.policy as unknown as Record<string, unknown>, override: r.override, changes: r.changes };
    },
  );

  app.delete(
    '/api/v1/nodes/:id/policies',
    {
      schema: {
        tags,
        summary: "drop a node's override (it follows the global policy again)",
        params: Id,
        response: { 200: z.object({ response: z.literal(true), status: z.number() }), 404: ErrorBody },
      },
    },
    async (req) => {
      await ctx.policies.clearNode(req.params.id);
      return { response: true as const, status: 200 };
    },
  );
};

export default policyRoutes;
