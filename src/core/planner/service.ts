// Plans kept by the core: the newest `keep` (plus any being followed) in the store's
// `plans` table with their follow settings, so both survive a restart, and a write-through
// copy in memory. Applying a plan hour scales MELs to that hour's VM counts; following a
// plan applies it again one second past every UTC hour until unfollowed. The planner
// itself (src/planner) is pure.
import { randomUUID } from 'node:crypto';
import { parsePlanInput, planAsync, replicaSchedule, type PlanInput, type PlanResult } from '../../planner/index.js';
import { notFound } from '../../shared/errors.js';
import type { PlanRow, Store } from '../../store/index.js';
import type { MelService } from '../mels/service.js';

/** Milliseconds until one second past the next UTC hour boundary (the second absorbs timer jitter). */
export function msUntilNextHour(now: number): number {
  return Math.floor(now / 3_600_000 + 1) * 3_600_000 - now + 1000;
}

export interface StoredPlan {
  id: string;
  createdAt: string;
  plan: PlanResult;
}

export interface FollowView {
  mels: Record<string, string>;
  provider?: string;
  nextAt: string;
}

export interface ApplyRequest {
  /** tier name → MEL name */
  mels: Record<string, string>;
  /** which hour's counts (default: the current UTC hour) */
  hour?: number;
  /** only this provider's VMs (default: the sum over the plan's providers) */
  provider?: string;
  /** keep applying: the hour's counts again at the start of every UTC hour */
  follow: boolean;
}

interface Follow {
  mels: Record<string, string>;
  provider?: string;
  nextAt: Date;
  timer: NodeJS.Timeout;
}

export class PlanService {
  private readonly plans = new Map<string, StoredPlan>();
  private readonly following = new Map<string, Follow>();

  constructor(
    private readonly store: Store,
    private readonly mels: MelService,
    /** plans kept besides the followed ones */
    private readonly keep = 100,
  ) {}

  /** Reads the stored plans and re-arms the ones being followed. */
  async load(): Promise<void> {
    for (const row of await this.store.plans.list()) {
      const p: StoredPlan = { id: row.id, createdAt: new Date(row.createdAt).toISOString(), plan: JSON.parse(row.body) as PlanResult };
      this.plans.set(p.id, p);
      if (row.follow) this.follow(p, row.follow.mels, row.follow.provider);
    }
  }

  /** Timers only: the follow settings stay in the store for the next start. */
  stop(): void {
    for (const f of this.following.values()) clearTimeout(f.timer);
    this.following.clear();
  }

  async create(input: PlanInput, seed: number): Promise<StoredPlan & { following?: FollowView }> {
    const now = Date.now();
    const stored: StoredPlan = { id: randomUUID(), createdAt: new Date(now).toISOString(), plan: await planAsync(input, { seed }) };
    // the input too, for a replan (an SLA's compensating action) with the load observed later
    await this.store.kv.set(INPUT_KEY + stored.id, JSON.stringify({ input, seed }));
    await this.store.plans.put({ id: stored.id, createdAt: now, body: JSON.stringify(stored.plan), follow: null });
    this.plans.set(stored.id, stored);
    for (const old of [...this.plans.keys()]) {
      if (this.plans.size <= this.keep) break;
      if (this.following.has(old)) continue;
      await this.store.plans.remove(old);
      await this.store.kv.remove(INPUT_KEY + old);
      this.plans.delete(old);
    }
    return this.view(stored);
  }

  /** Oldest first. */
  list(): Array<{ id: string; createdAt: string; feasible: boolean; dailyCost: number; currency: string; peakDailyCost: number }> {
    return [...this.plans.values()].map((s) => ({
      id: s.id,
      createdAt: s.createdAt,
      feasible: s.plan.feasible,
      dailyCost: s.plan.dailyCost,
      currency: s.plan.currency,
      peakDailyCost: s.plan.peakPlan.dailyCost,
    }));
  }

  get(id: string): StoredPlan & { following?: FollowView } {
    return this.view(this.require(id));
  }

  async apply(
    id: string,
    req: ApplyRequest,
  ): Promise<{
    id: string;
    hour: number;
    replicas: Record<string, number>;
    schedule: Array<{ hour: number; replicas: Record<string, number> }>;
    following?: FollowView;
  }> {
    const p = this.require(id);
    const done = await this.applyHour(p, req.mels, req.provider, req.hour ?? new Date().getUTCHours());
    if (req.follow) {
      await this.store.plans.setFollow(p.id, followRow(req.mels, req.provider));
      this.follow(p, req.mels, req.provider);
    }
    return { id: p.id, ...done, following: this.followView(p.id) };
  }

  /**
   * Plans again, with the load observed now, the followed plan that scales `mel`, and follows
   * the new plan instead (the SLA manager's `replan` action). `cpuPercent` is the MEL's
   * instances' mean CPU (% of one core, as the agents measure it). By the utilization law
   * (U = X·D) the ratio of the observed to the planned utilization of the MEL's tier is the
   * ratio of the real to the forecast load; the current hour's population and arrival rate
   * are scaled by it (never down: the SLA was violated at this load), the other hours keep
   * their forecast.
   */
  async replan(mel: string, cpuPercent: number, now = Date.now()): Promise<ReplanOutcome> {
    const hit = [...this.following.entries()].find(([, f]) => Object.values(f.mels).includes(mel));
    if (!hit) return { done: false, reason: `no followed plan scales MEL ${mel} (apply a plan with follow: true and a tier mapped to it)` };
    const [oldId, f] = hit;
    const saved = await this.store.kv.get(INPUT_KEY + oldId);
    if (!saved) return { done: false, reason: `plan ${oldId} was made before plans kept their input: make it again to replan it` };
    const { input, seed } = JSON.parse(saved) as { input: PlanInput; seed: number };
    const old = this.require(oldId).plan;
    const hour = new Date(now).getUTCHours();
    const tier = Object.keys(f.mels).find((t) => f.mels[t] === mel)!;
    const deps = old.hours.find((h) => h.hour === hour)?.deployments.filter((d) => !f.provider || d.provider === f.provider) ?? [];
    let vms = 0;
    let planned = 0;
    let cores = 0;
    for (const d of deps) {
      const t = d.tiers[tier];
      if (!t) continue;
      vms += t.count;
      planned += t.utilization * t.count;
      cores += t.cores * t.count;
    }
    if (vms === 0 || planned <= 0)
      return { done: false, reason: `plan ${oldId} runs no VM of tier ${tier} at hour ${hour}: nothing to compare the load with` };
    planned /= vms;
    const observed = cpuPercent / 100 / (cores / vms);
    const factor = Math.max(1, observed / planned);
    const parsed = parsePlanInput(input);
    const next: PlanInput = {
      ...parsed,
      workload: {
        ...parsed.workload,
        hours: parsed.workload.hours.map((h) =>
          h.hour === hour ? { ...h, population: h.population * factor, arrivalRate: h.arrivalRate * factor } : h,
        ),
      },
    };
    const created = await this.create(next, seed);
    const applied = await this.apply(created.id, {
      mels: f.mels,
      ...(f.provider === undefined ? {} : { provider: f.provider }),
      follow: true,
    });
    await this.unfollow(oldId);
    return {
      done: true,
      reason: `tier ${tier}: utilization observed ${observed.toFixed(3)} vs planned ${planned.toFixed(3)}: hour ${hour}'s load × ${factor.toFixed(2)}; plan ${created.id} follows plan ${oldId}`,
      plan: created.id,
      previousPlan: oldId,
      replicas: applied.replicas,
    };
  }

  async unfollow(id: string): Promise<void> {
    if (!this.following.has(id)) throw notFound(`plan "${id}" is not being followed`);
    await this.store.plans.setFollow(id, null);
    clearTimeout(this.following.get(id)!.timer);
    this.following.delete(id);
  }

  private require(id: string): StoredPlan {
    const p = this.plans.get(id);
    if (!p) throw notFound(`no plan "${id}"`);
    return p;
  }

  private view(p: StoredPlan): StoredPlan & { following?: FollowView } {
    return { ...p, following: this.followView(p.id) };
  }

  private followView(id: string): FollowView | undefined {
    const f = this.following.get(id);
    return f ? { mels: f.mels, ...(f.provider === undefined ? {} : { provider: f.provider }), nextAt: f.nextAt.toISOString() } : undefined;
  }

  private async applyHour(p: StoredPlan, mels: Record<string, string>, provider: string | undefined, hour: number) {
    const schedule = replicaSchedule(p.plan, mels, provider);
    const replicas = schedule.find((h) => h.hour === hour)!.replicas;
    for (const mel of Object.keys(replicas)) this.mels.get(mel); // all MELs exist before any is scaled
    for (const [mel, n] of Object.entries(replicas)) await this.mels.scale(mel, n);
    return { hour, replicas, schedule };
  }

  private follow(p: StoredPlan, mels: Record<string, string>, provider: string | undefined): void {
    const f0 = this.following.get(p.id);
    if (f0) clearTimeout(f0.timer);
    const arm = () => {
      const wait = msUntilNextHour(Date.now());
      const f: Follow = {
        mels,
        provider,
        nextAt: new Date(Date.now() + wait),
        timer: setTimeout(() => {
          this.applyHour(p, mels, provider, new Date().getUTCHours())
            .catch((e: unknown) => process.emitWarning(`plan ${p.id}: applying the hour failed: ${String(e)}`))
            .finally(() => {
              if (this.following.get(p.id) === f) arm();
            });
        }, wait),
      };
      f.timer.unref();
      this.following.set(p.id, f);
    };
    arm();
  }
}

/** kv key prefix of a plan's input (and seed) */
const INPUT_KEY = 'plans.input.';

export type ReplanOutcome =
  { done: false; reason: string } | { done: true; reason: string; plan: string; previousPlan: string; replicas: Record<string, number> };

function followRow(mels: Record<string, string>, provider: string | undefined): PlanRow['follow'] {
  return provider === undefined ? { mels } : { mels, provider };
}
