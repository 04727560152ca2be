// The planner over HTTP: POST /api/v1/solve (a network → its figures; an LQNX model at
// /api/v1/solve/lqnx), POST /api/v1/plans (a planner input → a 24-hour plan, kept under an
// id), GET /api/v1/plans[/{id}] and POST /api/v1/plans/{id}/apply (one hour's VM counts →
// MEL replicas; with "follow", again at every UTC hour until DELETE /api/v1/plans/{id}/apply).
// Keeping plans and following them is PlanService's (service.ts).
import { z } from 'zod';
import { ErrorBody, OkBody } from '../../model/index.js';
import { NetworkSchema, PlanInputSchema, PlanResultSchema, SolveMethodSchema, solve, solveLqnx } from '../../planner/index.js';
import type { CoreRoutes } from '../module.js';

const Figures = z.record(z.string(), z.number());
const SolveView = z.object({
  method: z.enum(['exact', 'amva', 'linearizer']),
  classes: z.record(z.string(), z.object({ throughput: z.number(), responseTime: z.number() })),
  stations: z.record(z.string(), z.object({ utilization: Figures, queueLength: Figures, residenceTime: Figures })),
  auto: z.object({ reason: z.string() }).optional(),
  iterations: z.number().optional(),
});
const PlanSummary = z.object({
  id: z.string(),
  createdAt: z.string(),
  feasible: z.boolean(),
  dailyCost: z.number(),
  currency: z.string(),
  peakDailyCost: z.number(),
});
const FollowView = z.object({ mels: z.record(z.string(), z.string()), provider: z.string().optional(), nextAt: z.string() });
const PlanView = z.object({ id: z.string(), createdAt: z.string(), plan: PlanResultSchema, following: FollowView.optional() });
const ApplyBody = z.object({
  /** tier name → MEL name */
  mels: z.record(z.string(), z.string().min(1)).refine((m) => Object.keys(m).length > 0, { error: 'name at least one tier → MEL' }),
  /** which hour's counts (default: the current UTC hour) */
  hour: z.number().int().min(0).max(23).optional(),
  /** only this provider's VMs (default: the sum over the plan's providers) */
  provider: z.string().optional(),
  /** keep applying: the hour's counts again at the start of every UTC hour */
  follow: z.boolean().default(false),
});
const Replicas = z.record(z.string(), z.number().int());
const ApplyView = z.object({
  id: z.string(),
  hour: z.number().int(),
  replicas: Replicas,
  schedule: z.array(z.object({ hour: z.number().int(), replicas: Replicas })),
  following: FollowView.optional(),
});

const plannerRoutes: CoreRoutes<'plans'> = async (app, { ctx }) => {
  const tags = ['planner'];
  app.post(
    '/api/v1/solve',
    {
      schema: {
        tags,
        summary: 'solve a closed queueing network (docs/planner.md, "The network format")',
        querystring: z.object({ method: SolveMethodSchema.default('auto') }),
        body: NetworkSchema,
        response: { 200: SolveView, 400: ErrorBody },
      },
    },
    async (req) => solve(req.body, { method: req.query.method }),
  );

  // LQNX arrives as XML text; the parser is registered in this plugin's scope only.
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post(
    '/api/v1/solve/lqnx',
    {
      schema: {
        tags,
        summary:
          'solve an LQN model (LQNX, body as application/xml) by reduction to a closed network; adds per-task and per-entry throughputs',
        querystring: z.object({ method: SolveMethodSchema.default('auto') }),
        body: z.string().min(1, { error: 'send the LQNX document as the body (content-type application/xml)' }),
        response: {
          200: SolveView.extend({
            tasks: z.record(z.string(), z.object({ throughput: z.number() })),
            entries: z.record(z.string(), z.object({ throughput: z.number() })),
          }),
          400: ErrorBody,
        },
      },
    },
    async (req) => solveLqnx(req.body, { method: req.query.method }),
  );

  app.post(
    '/api/v1/plans',
    {
      schema: {
        tags,
        summary: 'plan the cheapest 24-hour deployment; the plan is kept under its id',
        querystring: z.object({ seed: z.coerce.number().int().nonnegative().default(1) }),
        body: PlanInputSchema,
        response: { 201: PlanView, 400: ErrorBody },
      },
    },
    async (req, reply) => {
      const plan = await ctx.plans.create(req.body, req.query.seed);
      reply.status(201);
      return plan;
    },
  );

  app.post(
    '/api/v1/plans/:id/apply',
    {
      schema: {
        tags,
        summary: "scale MELs to one hour's counts of a plan (tier → MEL); follow: again every UTC hour",
        params: z.object({ id: z.string() }),
        body: ApplyBody,
        response: { 200: ApplyView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => ctx.plans.apply(req.params.id, req.body),
  );

  app.delete(
    '/api/v1/plans/:id/apply',
    {
      schema: {
        tags,
        summary: 'stop following a plan hour by hour (replicas stay as they are)',
        params: z.object({ id: z.string() }),
        response: { 200: OkBody, 404: ErrorBody },
      },
    },
    async (req) => {
      await ctx.plans.unfollow(req.params.id);
      return { response: true as const, status: 200 };
    },
  );

  app.get(
    '/api/v1/plans',
    {
      schema: {
        tags,
        summary: 'stored plans (the newest 100 and any being followed), newest last',
        response: { 200: z.object({ plans: z.array(PlanSummary) }) },
      },
    },
    async () => ({ plans: ctx.plans.list() }),
  );

  app.get(
    '/api/v1/plans/:id',
    { schema: { tags, params: z.object({ id: z.string() }), response: { 200: PlanView, 404: ErrorBody } } },
    async (req) => ctx.plans.get(req.params.id),
  );
};

export default plannerRoutes;
