// The planner over HTTP: POST /api/v1/solve (a network → its figures; an LQNX model at
// /api/v1/solve/lqnx), POST /api/v1/plans
// (a planner input → a 24-hour plan, kept under an id), GET /api/v1/plans[/{id}] and
// POST /api/v1/plans/{id}/apply (one hour's VM counts → MEL replicas).
// The planner is pure; plans live in this process's memory (the newest 100), so they do
// not survive a restart — a store table would.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ErrorBody } from '../model.js';
import { notFound } from '../../shared/errors.js';
import { NetworkSchema, PlanInputSchema, PlanResultSchema, SolveMethodSchema, planAsync, replicaSchedule, solve, solveLqnx, type PlanResult } from '../../planner/index.js';
import type { CoreRoutes } from './plugin.js';

const KEEP = 100;

const Figures = z.record(z.string(), z.number());
const SolveView = z.object({
  method: z.enum(['exact', 'amva', 'linearizer']),
  classes: z.record(z.string(), z.object({ throughput: z.number(), responseTime: z.number() })),
  stations: z.record(z.string(), z.object({ utilization: Figures, queueLength: Figures, residenceTime: Figures })),
  auto: z.object({ reason: z.string() }).optional(),
  iterations: z.number().optional(),
});
const PlanSummary = z.object({ id: z.string(), createdAt: z.string(), feasible: z.boolean(), dailyCost: z.number(), currency: z.string(), peakDailyCost: z.number() });
const PlanView = z.object({ id: z.string(), createdAt: z.string(), plan: PlanResultSchema });
const ApplyBody = z.object({
  /** tier name → MEL name */
  mels: z.record(z.string(), z.string().min(1)).refine((m) => Object.keys(m).length > 0, { error: 'name at least one tier → MEL' }),
  /** which hour's counts (default: the current UTC hour) */
  hour: z.number().int().min(0).max(23).optional(),
  /** only this provider's VMs (default: the sum over the plan's providers) */
  provider: z.string().optional(),
});
const Replicas = z.record(z.string(), z.number().int());
const ApplyView = z.object({ id: z.string(), hour: z.number().int(), replicas: Replicas, schedule: z.array(z.object({ hour: z.number().int(), replicas: Replicas })) });

interface Stored {
  id: string;
  createdAt: string;
  plan: PlanResult;
}

const summary = (s: Stored) => ({ id: s.id, createdAt: s.createdAt, feasible: s.plan.feasible, dailyCost: s.plan.dailyCost, currency: s.plan.currency, peakDailyCost: s.plan.peakPlan.dailyCost });

const plannerRoutes: CoreRoutes = async (app, { ctx }) => {
  const tags = ['planner'];
  const plans = new Map<string, Stored>();

  app.post('/api/v1/solve', {
    schema: { tags, summary: 'solve a closed queueing network (docs/planner.md, "The network format")', querystring: z.object({ method: SolveMethodSchema.default('auto') }), body: NetworkSchema, response: { 200: SolveView, 400: ErrorBody } },
  }, async (req) => solve(req.body, { method: req.query.method }));

  // LQNX arrives as XML text; the parser is registered in this plugin's scope only.
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/api/v1/solve/lqnx', {
    schema: {
      tags,
      summary: 'solve an LQN model (LQNX, body as application/xml) by reduction to a closed network; adds per-task and per-entry throughputs',
      querystring: z.object({ method: SolveMethodSchema.default('auto') }),
      body: z.string().min(1, { error: 'send the LQNX document as the body (content-type application/xml)' }),
      response: { 200: SolveView.extend({ tasks: z.record(z.string(), z.object({ throughput: z.number() })), entries: z.record(z.string(), z.object({ throughput: z.number() })) }), 400: ErrorBody },
    },
  }, async (req) => solveLqnx(req.body, { method: req.query.method }));

  app.post('/api/v1/plans', {
    schema: { tags, summary: 'plan the cheapest 24-hour deployment; the plan is kept under its id', querystring: z.object({ seed: z.coerce.number().int().nonnegative().default(1) }), body: PlanInputSchema, response: { 201: PlanView, 400: ErrorBody } },
  }, async (req, reply) => {
    const stored: Stored = { id: randomUUID(), createdAt: new Date().toISOString(), plan: await planAsync(req.body, { seed: req.query.seed }) };
    plans.set(stored.id, stored);
    for (const old of plans.keys()) {
      if (plans.size <= KEEP) break;
      plans.delete(old);
    }
    reply.status(201);
    return stored;
  });

  // Applies one hour now; re-applying every hour is the caller's (or a future scheduler's) job.
  app.post('/api/v1/plans/:id/apply', {
    schema: { tags, summary: "scale MELs to one hour's counts of a plan (tier → MEL)", params: z.object({ id: z.string() }), body: ApplyBody, response: { 200: ApplyView, 400: ErrorBody, 404: ErrorBody } },
  }, async (req) => {
    const p = plans.get(req.params.id);
    if (!p) throw notFound(`no plan "${req.params.id}"`);
    const schedule = replicaSchedule(p.plan, req.body.mels, req.body.provider);
    const hour = req.body.hour ?? new Date().getUTCHours();
    const replicas = schedule.find((h) => h.hour === hour)!.replicas;
    for (const mel of Object.keys(replicas)) ctx.mels.get(mel); // all MELs exist before any is scaled
    for (const [mel, n] of Object.entries(replicas)) await ctx.mels.scale(mel, n);
    return { id: p.id, hour, replicas, schedule };
  });

  app.get('/api/v1/plans', { schema: { tags, summary: 'plans kept in memory, newest last', response: { 200: z.object({ plans: z.array(PlanSummary) }) } } }, async () => ({ plans: [...plans.values()].map(summary) }));

  app.get('/api/v1/plans/:id', { schema: { tags, params: z.object({ id: z.string() }), response: { 200: PlanView, 404: ErrorBody } } }, async (req) => {
    const p = plans.get(req.params.id);
    if (!p) throw notFound(`no plan "${req.params.id}"`);
    return p;
  });
};

export default plannerRoutes;
