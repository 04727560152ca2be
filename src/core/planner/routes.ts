// The planner over HTTP: POST /api/v1/solve (a network → its figures; an LQNX model at
// /api/v1/solve/lqnx), POST /api/v1/plans
// (a planner input → a 24-hour plan, kept under an id), GET /api/v1/plans[/{id}] and
// POST /api/v1/plans/{id}/apply (one hour's VM counts → MEL replicas; with "follow", again at
// every UTC hour until DELETE /api/v1/plans/{id}/apply).
// The planner is pure; plans (the newest 100, plus any being followed) are kept in the
// store's `plans` table with their follow settings, so both survive a core restart; this
// plugin holds a write-through copy in memory and re-arms the hourly follow on start.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ErrorBody, OkBody } from '../model.js';
import type { PlanRow } from '../../store/index.js';
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
const ApplyView = z.object({ id: z.string(), hour: z.number().int(), replicas: Replicas, schedule: z.array(z.object({ hour: z.number().int(), replicas: Replicas })), following: FollowView.optional() });

/** Milliseconds until one second past the next UTC hour boundary (the second absorbs timer jitter). */
export function msUntilNextHour(now: number): number {
  return Math.floor(now / 3_600_000 + 1) * 3_600_000 - now + 1000;
}

interface Follow {
  mels: Record<string, string>;
  provider?: string;
  nextAt: Date;
  timer: NodeJS.Timeout;
}

interface Stored {
  id: string;
  createdAt: string;
  plan: PlanResult;
}

const summary = (s: Stored) => ({ id: s.id, createdAt: s.createdAt, feasible: s.plan.feasible, dailyCost: s.plan.dailyCost, currency: s.plan.currency, peakDailyCost: s.plan.peakPlan.dailyCost });

const plannerRoutes: CoreRoutes = async (app, { ctx }) => {
  const tags = ['planner'];
  const plans = new Map<string, Stored>();
  const following = new Map<string, Follow>();
  const followView = (id: string) => {
    const f = following.get(id);
    return f ? { mels: f.mels, ...(f.provider === undefined ? {} : { provider: f.provider }), nextAt: f.nextAt.toISOString() } : undefined;
  };
  const view = (p: Stored) => ({ ...p, following: followView(p.id) });

  const applyHour = async (p: Stored, mels: Record<string, string>, provider: string | undefined, hour: number) => {
    const schedule = replicaSchedule(p.plan, mels, provider);
    const replicas = schedule.find((h) => h.hour === hour)!.replicas;
    for (const mel of Object.keys(replicas)) ctx.mels.get(mel); // all MELs exist before any is scaled
    for (const [mel, n] of Object.entries(replicas)) await ctx.mels.scale(mel, n);
    return { hour, replicas, schedule };
  };
  const unfollow = (id: string) => {
    const f = following.get(id);
    if (f) clearTimeout(f.timer);
    following.delete(id);
    return f !== undefined;
  };
  const follow = (p: Stored, mels: Record<string, string>, provider: string | undefined) => {
    const f0 = following.get(p.id);
    if (f0) clearTimeout(f0.timer);
    const arm = () => {
      const wait = msUntilNextHour(Date.now());
      const f: Follow = {
        mels,
        provider,
        nextAt: new Date(Date.now() + wait),
        timer: setTimeout(() => {
          applyHour(p, mels, provider, new Date().getUTCHours())
            .catch((e: unknown) => app.log.warn({ err: e, plan: p.id }, 'applying the plan hour failed'))
            .finally(() => {
              if (following.get(p.id) === f) arm();
            });
        }, wait),
      };
      f.timer.unref();
      following.set(p.id, f);
    };
    arm();
  };
  app.addHook('onClose', async () => {
    // timers only: the follow settings stay in the store for the next start
    for (const f of following.values()) clearTimeout(f.timer);
    following.clear();
  });

  for (const row of await ctx.store.plans.list()) {
    const p: Stored = { id: row.id, createdAt: new Date(row.createdAt).toISOString(), plan: JSON.parse(row.body) as PlanResult };
    plans.set(p.id, p);
    if (row.follow) follow(p, row.follow.mels, row.follow.provider);
  }
  const followRow = (mels: Record<string, string>, provider: string | undefined): PlanRow['follow'] => (provider === undefined ? { mels } : { mels, provider });

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
    const now = Date.now();
    const stored: Stored = { id: randomUUID(), createdAt: new Date(now).toISOString(), plan: await planAsync(req.body, { seed: req.query.seed }) };
    await ctx.store.plans.put({ id: stored.id, createdAt: now, body: JSON.stringify(stored.plan), follow: null });
    plans.set(stored.id, stored);
    for (const old of [...plans.keys()]) {
      if (plans.size <= KEEP) break;
      if (following.has(old)) continue;
      await ctx.store.plans.remove(old);
      plans.delete(old);
    }
    reply.status(201);
    return view(stored);
  });

  app.post('/api/v1/plans/:id/apply', {
    schema: { tags, summary: "scale MELs to one hour's counts of a plan (tier → MEL); follow: again every UTC hour", params: z.object({ id: z.string() }), body: ApplyBody, response: { 200: ApplyView, 400: ErrorBody, 404: ErrorBody } },
  }, async (req) => {
    const p = plans.get(req.params.id);
    if (!p) throw notFound(`no plan "${req.params.id}"`);
    const done = await applyHour(p, req.body.mels, req.body.provider, req.body.hour ?? new Date().getUTCHours());
    if (req.body.follow) {
      await ctx.store.plans.setFollow(p.id, followRow(req.body.mels, req.body.provider));
      follow(p, req.body.mels, req.body.provider);
    }
    return { id: p.id, ...done, following: followView(p.id) };
  });

  app.delete('/api/v1/plans/:id/apply', { schema: { tags, summary: 'stop following a plan hour by hour (replicas stay as they are)', params: z.object({ id: z.string() }), response: { 200: OkBody, 404: ErrorBody } } }, async (req) => {
    if (!following.has(req.params.id)) throw notFound(`plan "${req.params.id}" is not being followed`);
    await ctx.store.plans.setFollow(req.params.id, null);
    unfollow(req.params.id);
    return { response: true as const, status: 200 };
  });

  app.get('/api/v1/plans', { schema: { tags, summary: 'stored plans (the newest 100 and any being followed), newest last', response: { 200: z.object({ plans: z.array(PlanSummary) }) } } }, async () => ({ plans: [...plans.values()].map(summary) }));

  app.get('/api/v1/plans/:id', { schema: { tags, params: z.object({ id: z.string() }), response: { 200: PlanView, 404: ErrorBody } } }, async (req) => {
    const p = plans.get(req.params.id);
    if (!p) throw notFound(`no plan "${req.params.id}"`);
    return view(p);
  });
};

export default plannerRoutes;
