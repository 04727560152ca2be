// POST /api/v1/instances/{id}/migrate {"node"?}: manual make-before-break migration.
// Answers when the move is done (200) or rolled back (503 with the reason); a refusal by
// the destination's acceptance policy is 409.
import { z } from 'zod';
import { ErrorBody } from '../../model/index.js';
import { unavailable } from '../../shared/errors.js';
import type { CoreRoutes } from '../module.js';
import { LoadsView, MigrateBody, MigrationDone } from './schema.js';

const migrationRoutes: CoreRoutes<'engine'> = async (app, { ctx }) => {
  app.get(
    '/api/v1/loads',
    {
      schema: {
        tags: ['policies'],
        summary: "the policy engine's view: smoothed L, hysteresis state, pending and in-flight per node; instance loads",
        response: { 200: LoadsView },
      },
    },
    async () => {
      const s = ctx.engine.snapshot();
      return {
        nodes: s.nodes.map((n) => ({
          id: n.id,
          ...(n.load !== undefined ? { load: n.load } : {}),
          overloaded: n.overloaded,
          inFlight: !!n.inFlight,
          pendingLoad: (n.pending ?? []).reduce((a, e) => a + e.load, 0),
          acceptance: n.acceptance,
        })),
        instances: s.instances.map((i) => ({
          id: i.id,
          mel: i.mel,
          node: i.node,
          ...(i.load !== undefined ? { load: i.load } : {}),
          movable: i.movable !== false,
        })),
      };
    },
  );

  app.post(
    '/api/v1/instances/:id/migrate',
    {
      schema: {
        tags: ['instances'],
        summary: 'move a running instance (make-before-break)',
        params: z.object({ id: z.string().min(1) }),
        body: MigrateBody.default({}),
        response: { 200: MigrationDone, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => {
      const out = await ctx.engine.manual(req.params.id, req.body?.node);
      if (!out.ok || !out.newInstance)
        throw unavailable(`migration of ${out.instance} to ${out.to} rolled back: ${out.error ?? 'unknown error'}`);
      return {
        instance: out.instance,
        newInstance: out.newInstance,
        mel: out.mel,
        from: out.from,
        to: out.to,
        ms: out.ms,
        reason: out.reason,
      };
    },
  );
};

export default migrationRoutes;
