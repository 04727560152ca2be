// Compensating actions (osmo's extension to a guarantee term): what the core does about a new
// violation of a term bound to a MEL. Each (violation, action) is claimed in the store before
// it runs, so a violation seen again after a crash never acts twice (at most once: a crash
// between the claim and the act loses that act, which the next violation makes up for); a
// term acts at most once per cooldown per action type; every attempt that is not cooled down
// is logged as an `sla` core event naming the violation. Nothing undoes an action: scaling
// back in stays with the MEL's owner, its policies or a plan.
//   scale-out {step, max} — replicas + step (at most max), through the MEL service the API uses
//   migrate               — one running instance of the MEL moves where the destination policy
//                           says, make-before-break (the policy engine's manual migration)
//   replan                — the followed plan that scales the MEL is made again with the load
//                           observed now (the MEL's CPU against the plan's utilization) and
//                           followed instead (PlanService.replan)
import type { CoreEventData } from '../../bus/events.js';
import type { Action, CompiledTerm, ViolationRecord } from '../../sla/index.js';
import type { SlaRepo } from '../../store/repos/sla.js';
import type { EventLog } from '../events/service.js';
import type { MelService } from '../mels/service.js';
import type { PolicyEngine } from '../migration/service.js';
import type { PlanService } from '../planner/service.js';
import type { ClusterState } from '../state.js';
import type { Store } from '../../store/index.js';
import { measure } from './sources.js';

export interface ActionDeps {
  state: ClusterState;
  events: EventLog;
  mels: MelService;
  engine?: PolicyEngine;
  plans?: PlanService;
  store: Store;
}

/** How far back `replan` looks for the MEL's CPU samples. */
const REPLAN_WINDOW_MS = 60_000;

type Outcome = Omit<CoreEventData<'sla'>, 'agreement' | 'term' | 'violation' | 'action' | 'mel'>;

/** Runs the term's actions for each new violation (oldest first), within their cooldown. */
export async function compensate(
  repo: SlaRepo,
  deps: ActionDeps,
  term: CompiledTerm,
  mel: string,
  violations: readonly ViolationRecord[],
  now: number,
): Promise<void> {
  for (const v of [...violations].sort((a, b) => a.at - b.at)) {
    for (const a of term.level.actions) {
      const last = await repo.lastActionAt(v.agreementId, term.name, a.type);
      if (last !== undefined && now - last < term.level.cooldownMs) continue;
      const key = `${v.key}|${a.type}`;
      const claimed = await repo.claimAction({
        key,
        agreementId: v.agreementId,
        term: term.name,
        type: a.type,
        at: now,
        body: JSON.stringify({ violation: v.uuid, mel, outcome: 'claimed' }),
      });
      if (!claimed) continue;
      let out: Outcome;
      try {
        out = await act(a, mel, deps, v);
      } catch (e) {
        out = { outcome: 'failed', reason: (e as Error).message };
      }
      const data: CoreEventData<'sla'> = { agreement: v.agreementId, term: term.name, violation: v.uuid, action: a.type, mel, ...out };
      await repo.finishAction(key, JSON.stringify(data));
      await deps.events.core('sla', null, data);
    }
  }
}

async function act(a: Action, mel: string, deps: ActionDeps, v: ViolationRecord): Promise<Outcome> {
  const m = deps.state.mels.get(mel);
  if (!m) return { outcome: 'skipped', reason: `no MEL ${mel}` };
  const why = `violation of ${v.term} (${v.kpi} = ${v.actualValue}, expected ${v.expectedValue})`;
  if (a.type === 'scale-out') {
    const previous = m.spec.replicas;
    if (previous >= a.max) return { outcome: 'skipped', reason: `${why}; already ${previous} replicas (max ${a.max})`, replicas: previous };
    const replicas = Math.min(a.max, previous + a.step);
    await deps.mels.scale(mel, replicas);
    return { outcome: 'done', reason: why, replicas, previous };
  }
  if (a.type === 'replan') {
    if (!deps.plans) return { outcome: 'skipped', reason: `${why}; no planner runs on this core` };
    const now = Date.now();
    const cpu = await measure({ type: 'metric', metric: 'cpu', field: 'total', aggregate: 'avg' }, mel, {
      state: deps.state,
      store: deps.store,
      windowMs: REPLAN_WINDOW_MS,
      now,
    });
    if (cpu === undefined)
      return { outcome: 'skipped', reason: `${why}; no CPU samples of ${mel}'s instances in the last minute to measure its load` };
    const r = await deps.plans.replan(mel, cpu, now);
    if (!r.done) return { outcome: 'skipped', reason: `${why}; ${r.reason}` };
    return {
      outcome: 'done',
      reason: `${why}; ${r.reason}`,
      plan: r.plan,
      ...(r.replicas[mel] === undefined ? {} : { replicas: r.replicas[mel] }),
      previous: m.spec.replicas,
    };
  }
  if (!deps.engine) return { outcome: 'skipped', reason: `${why}; no policy engine runs on this core` };
  const running = deps.state.instancesOf(mel).find((i) => i.desired === 'run' && i.state === 'running' && i.node);
  if (!running) return { outcome: 'skipped', reason: `${why}; no running instance to migrate` };
  const r = await deps.engine.manual(running.id, undefined);
  return {
    outcome: r.ok ? 'done' : 'failed',
    reason: `${why}; ${r.reason}${r.error ? `: ${r.error}` : ''}`,
    instance: running.id,
    to: r.to,
  };
}
