// plan(): the cheapest 24-hour deployment. The day splits into independent subproblems,
// one per (provider, hour): each provider hosts the whole application and receives its
// share of the hour's users (SPACE4Clouds' multi-cloud extension), and nothing links
// one hour's VMs to the next. Each subproblem is searched (search.ts); the plan is then
// compared with "peak capacity all day" and never left worse than it.
import { invalid } from '../shared/errors.js';
import { Evaluator, configCost, type Config, type Evaluation, type Subproblem, type TierContext } from './evaluate.js';
import { parsePlanInput, type PlanInput, type VmType } from './plan-input.js';
import { mulberry32, seedFor } from './rng.js';
import { scaleIn, search } from './search.js';
import type { Method } from './solve.js';

export interface PlanOptions {
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface TierPlan {
  vmType: string;
  count: number;
  cores: number;
  pricePerHour: number;
  utilization: number;
}
export interface Deployment {
  provider: string;
  share: number;
  population: Record<string, number>;
  /** open requests per second, per class */
  arrivalRate: Record<string, number>;
  thinkTime: number;
  feasible: boolean;
  cost: number;
  tiers: Record<string, TierPlan>;
  /** per class: the larger of the closed users' and the open requests' mean response time (−1: unbounded) */
  responseTime: Record<string, number>;
  /** per class: closed throughput plus open arrivals (requests/s) */
  throughput: Record<string, number>;
  method: Method;
  /** constraints that stop any tier from shrinking by one VM (and replica bounds reached) */
  binding: string[];
  violations: string[];
}
export interface HourPlan {
  hour: number;
  feasible: boolean;
  cost: number;
  deployments: Deployment[];
}
export interface PlanResult {
  feasible: boolean;
  currency: string;
  dailyCost: number;
  providers: string[];
  peakPlan: { dailyCost: number; hours: Record<string, number>; feasibleAllDay: boolean };
  /** 1 − dailyCost / peakPlan.dailyCost */
  savings: number;
  hours: HourPlan[];
  search: { seed: number; restarts: number; tabuLength: number; evaluations: number; alternativesTried: number };
}

const efficiency = (v: VmType) => (v.pricePerHour === 0 ? Number.POSITIVE_INFINITY : (v.cores * v.speed) / v.pricePerHour);

function tierContexts(p: PlanInput, provider: string): TierContext[] {
  const prov = p.catalog.providers.find((x) => x.name === provider)!;
  const classes = p.classes.map((c) => c.name);
  const maxU = p.constraints.maxUtilization;
  return p.tiers.map((t) => {
    const types = prov.vmTypes
      .filter(
        (v) =>
          v.offered && v.memoryGb >= t.minMemoryGb && v.availability >= t.minAvailability && (!t.vmTypes || t.vmTypes.includes(v.name)),
      )
      .sort((a, b) => efficiency(b) - efficiency(a) || a.pricePerHour - b.pricePerHour || a.name.localeCompare(b.name));
    if (types.length === 0)
      throw invalid(
        `tier "${t.name}" has no usable VM type on provider "${provider}" (check minMemoryGb, minAvailability, vmTypes, offered)`,
      );
    const rep = p.constraints.replicas[t.name];
    return {
      name: t.name,
      D: classes.map((c) => t.demands[c] ?? 0),
      latency: classes.map((c) => t.latency[c] ?? 0),
      devices: t.devices.map((d) => ({ name: d.name, servers: d.servers, D: classes.map((c) => d.demands[c] ?? 0) })),
      types,
      min: rep?.min ?? 1,
      max: rep?.max ?? 200,
      maxUtilization: typeof maxU === 'number' ? maxU : (maxU[t.name] ?? 0.8),
    };
  });
}

type Shares = Map<string, number[]>;

function shareAlternatives(p: PlanInput): Shares[] {
  const c = p.constraints;
  if (c.share) {
    const m: Shares = new Map();
    for (const [k, v] of Object.entries(c.share)) m.set(k, typeof v === 'number' ? new Array<number>(24).fill(v) : v);
    return [m];
  }
  // No split given: try every set of exactly minProviders allowed providers, evenly split.
  const allowed = c.providers ?? p.catalog.providers.map((x) => x.name);
  const out: Shares[] = [];
  const pick = (from: number, chosen: string[]) => {
    if (out.length >= 32) return;
    if (chosen.length === c.minProviders) {
      out.push(new Map(chosen.map((x) => [x, new Array<number>(24).fill(1 / chosen.length)])));
      return;
    }
    for (let i = from; i < allowed.length; i++) pick(i + 1, [...chosen, allowed[i]!]);
  };
  pick(0, []);
  return out;
}

interface Cell {
  sp: Subproblem;
  ev: Evaluator;
  config: Config;
  evaluation: Evaluation;
}

/**
 * The planning work as a generator that yields after each provider-hour, so a caller can
 * run it in one go (plan) or give its event loop a turn in between (planAsync).
 */
function* planSteps(input: unknown, opts: PlanOptions): Generator<void, PlanResult> {
  const p = parsePlanInput(input);
  const seed = opts.seed ?? 1;
  const alternatives = shareAlternatives(p);
  const total = alternatives.reduce((a, s) => a + s.size * 24, 0);
  let done = 0;
  let best: PlanResult | undefined;
  let evaluations = 0;
  for (const shares of alternatives) {
    const r = yield* planWith(p, shares, seed, () => opts.onProgress?.(++done, total));
    evaluations += r.search.evaluations;
    if (!best || (r.feasible && !best.feasible) || (r.feasible === best.feasible && r.dailyCost < best.dailyCost - 1e-9)) best = r;
  }
  best!.search.evaluations = evaluations;
  best!.search.alternativesTried = alternatives.length;
  return best!;
}

export function plan(input: unknown, opts: PlanOptions = {}): PlanResult {
  const steps = planSteps(input, opts);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/** Same plan as plan(); yields to the event loop between provider-hours (for servers). */
export async function planAsync(input: unknown, opts: PlanOptions = {}): Promise<PlanResult> {
  const steps = planSteps(input, opts);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function* planWith(p: PlanInput, shares: Shares, seed: number, tick: () => void): Generator<void, PlanResult> {
  const classes = p.classes.map((c) => c.name);
  const mixTotal = p.classes.reduce((a, c) => a + c.mix, 0);
  const hours = [...p.workload.hours].sort((a, b) => a.hour - b.hour);
  const rtLimit = classes.map((c) => p.constraints.responseTime[c]);
  const pctLimit = classes.map((c) => p.constraints.percentile[c]);
  const cells = new Map<string, Cell[]>();
  for (const [provider, share] of shares) {
    const tiers = tierContexts(p, provider);
    const row: Cell[] = [];
    let prev: Config | undefined;
    for (const h of hours) {
      const s = share[h.hour]!;
      const population = p.classes.map((c) => (s === 0 ? 0 : Math.ceil(h.population * s * (c.mix / mixTotal) - 1e-9)));
      const arrival = p.classes.map((c) => h.arrivalRate * s * (c.mix / mixTotal));
      const sp: Subproblem = {
        provider,
        hour: h.hour,
        share: s,
        classes,
        population,
        thinkTime: h.thinkTime ?? p.workload.thinkTime ?? 0,
        rtLimit,
        pctLimit,
        arrival,
        // a provider with no share this hour runs nothing
        tiers: s === 0 ? tiers.map((t) => ({ ...t, min: 0 })) : tiers,
        method: p.search.method,
      };
      const ev = new Evaluator(sp);
      let out;
      if (s === 0) {
        const config = { type: tiers.map(() => 0), count: tiers.map(() => 0) };
        out = { config, evaluation: ev.evaluate(config) };
      } else {
        out = search(ev, {
          restarts: p.search.restarts,
          tabuLength: p.search.tabuLength,
          rng: mulberry32(seedFor(seed, `${provider}/${h.hour}`)),
          seeds: prev ? [prev] : [],
        });
        prev = out.config;
      }
      row.push({ sp, ev, ...out });
      tick();
      yield;
    }
    cells.set(provider, row);
  }

  // Peak capacity all day: each provider's most expensive hour, kept for 24 hours.
  const peakHours: Record<string, number> = {};
  let peakDaily = 0;
  let peakFeasible = true;
  for (const [provider, row] of cells) {
    const peak = row.reduce((a, b) => (b.evaluation.cost > a.evaluation.cost ? b : a));
    peakHours[provider] = peak.sp.hour;
    peakDaily += 24 * peak.evaluation.cost;
    for (const cell of row) {
      if (cell.sp.share === 0) continue;
      const e = cell.ev.evaluate(peak.config);
      if (!e.feasible) {
        peakFeasible = false;
        continue;
      }
      // never worse than the peak plan: where the peak configuration is cheaper, start from it
      if (!cell.evaluation.feasible || e.cost < cell.evaluation.cost - 1e-9) {
        const shrunk = scaleIn(cell.ev, { config: peak.config, evaluation: e });
        cell.config = shrunk.config;
        cell.evaluation = shrunk.evaluation;
      }
    }
  }

  const hourPlans: HourPlan[] = hours.map((h, idx) => {
    const deployments = [...cells.values()].map((row) => describe(row[idx]!));
    return {
      hour: h.hour,
      feasible: deployments.every((d) => d.feasible),
      cost: deployments.reduce((a, d) => a + d.cost, 0),
      deployments,
    };
  });
  const dailyCost = hourPlans.reduce((a, h) => a + h.cost, 0);
  let evaluations = 0;
  for (const row of cells.values()) for (const c of row) evaluations += c.ev.evaluations;
  return {
    feasible: hourPlans.every((h) => h.feasible),
    currency: p.catalog.currency,
    dailyCost,
    providers: [...cells.keys()],
    peakPlan: { dailyCost: peakDaily, hours: peakHours, feasibleAllDay: peakFeasible },
    savings: peakDaily > 0 ? 1 - dailyCost / peakDaily : 0,
    hours: hourPlans,
    search: { seed, restarts: p.search.restarts, tabuLength: p.search.tabuLength, evaluations, alternativesTried: 1 },
  };
}

function describe(cell: Cell): Deployment {
  const { sp, config, evaluation: e } = cell;
  const rec = (v: number[]) => Object.fromEntries(sp.classes.map((c, r) => [c, v[r]!]));
  const tiers: Record<string, TierPlan> = {};
  sp.tiers.forEach((t, i) => {
    const v = t.types[config.type[i]!]!;
    tiers[t.name] = {
      vmType: v.name,
      count: config.count[i]!,
      cores: v.cores,
      pricePerHour: v.pricePerHour,
      utilization: e.utilization[i]!,
    };
  });
  return {
    provider: sp.provider,
    share: sp.share,
    population: rec(sp.population),
    arrivalRate: rec(sp.arrival),
    thinkTime: sp.thinkTime,
    feasible: e.feasible,
    cost: configCost(sp, config),
    tiers,
    // a saturated tier has no finite response time; JSON has no Infinity, so −1 says "unbounded"
    responseTime: rec(e.responseTime.map((x) => (Number.isFinite(x) ? x : -1))),
    throughput: rec(e.throughput),
    method: e.method,
    binding: e.feasible && sp.share > 0 ? binding(cell) : [],
    violations: e.violations,
  };
}

/** A constraint binds when taking one VM away from some tier would break it. */
function binding(cell: Cell): string[] {
  const { sp, config, ev } = cell;
  const out = new Set<string>();
  sp.tiers.forEach((t, i) => {
    const n = config.count[i]!;
    if (n <= t.min) {
      out.add(`minReplicas:${t.name}`);
      return;
    }
    if (n >= t.max) out.add(`maxReplicas:${t.name}`);
    const cand = { type: [...config.type], count: [...config.count] };
    cand.count[i] = n - 1;
    for (const v of ev.evaluate(cand).violations) out.add(v);
  });
  return [...out].sort();
}
