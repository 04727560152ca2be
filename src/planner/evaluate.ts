// One planning subproblem = one provider in one hour: a fixed closed workload (its share of
// the hour's population) and, per tier, a VM type and a count. evaluate() turns such a
// configuration into a queueing network, solves it and checks the constraints.
import type { NumNetwork } from './network.js';
import { solveNumeric, type Method, type SolveMethod } from './solve.js';
import type { VmType } from './plan-input.js';

export interface TierContext {
  name: string;
  /** CPU demand per class on a speed-1 core */
  D: number[];
  latency: number[];
  /** per-VM devices (a disk on each VM): demand per class split over the VMs, not scaled by speed */
  devices: Array<{ name: string; servers: number; D: number[] }>;
  /** allowed VM types on this provider, most efficient (cores·speed/price) first */
  types: VmType[];
  min: number;
  max: number;
  maxUtilization: number;
}

export interface Subproblem {
  provider: string;
  hour: number;
  share: number;
  classes: string[];
  population: number[];
  thinkTime: number;
  rtLimit: Array<number | undefined>;
  /** percentile limits per class: the p-quantile of the response time must stay ≤ max */
  pctLimit: Array<{ p: number; max: number } | undefined>;
  /** open arrivals per class (requests/s) on top of the closed population */
  arrival: number[];
  tiers: TierContext[];
  method: SolveMethod;
}

export interface Config {
  type: number[];
  count: number[];
}

export interface Evaluation {
  feasible: boolean;
  cost: number;
  responseTime: number[];
  throughput: number[];
  /** per tier: average utilization of one VM's cores */
  utilization: number[];
  /** per tier and class: time spent in the tier (all replicas) */
  residence: number[][];
  violations: string[];
  method: Method;
}

/** Below this the search uses exact MVA; above, amva: the search evaluates hundreds of configurations. */
const SEARCH_EXACT_BUDGET = 2e5;

/**
 * The p-quantile of a response time with mean R, taking it as exponential (exact for the
 * sojourn time of an M/M/1 queue; an approximation elsewhere): R · ln(1/(1 − p)).
 */
export function percentile(mean: number, p: number): number {
  return mean * Math.log(1 / (1 - p));
}

export function configKey(c: Config): string {
  return `${c.type.join(',')}|${c.count.join(',')}`;
}

export function configCost(sp: Subproblem, c: Config): number {
  return sp.tiers.reduce((a, t, i) => a + c.count[i]! * t.types[c.type[i]!]!.pricePerHour, 0);
}

export function capacity(t: TierContext, type: number): number {
  const v = t.types[type]!;
  return v.cores * v.speed;
}

export class Evaluator {
  private cache = new Map<string, Evaluation>();
  evaluations = 0;
  constructor(readonly sp: Subproblem) {}

  evaluate(c: Config): Evaluation {
    const key = configKey(c);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const ev = this.compute(c);
    this.cache.set(key, ev);
    return ev;
  }

  private compute(c: Config): Evaluation {
    this.evaluations++;
    const sp = this.sp;
    const cost = configCost(sp, c);
    const zero = () => sp.classes.map(() => 0);
    const hasOpen = sp.arrival.some((l) => l > 0);
    const unserved: string[] = [];
    // A tier is a station set: its VMs' cores (demand scaled by speed) and per-VM devices.
    // Open requests occupy each station first: U_open = λ·D/c per copy; closed users then
    // see the remaining capacity (demand inflated by 1/(1 − U_open), Lazowska et al. ch. 7).
    const tiers = sp.tiers.map((t, i) => {
      const v = t.types[c.type[i]!]!;
      const n = c.count[i]!;
      const part = (name: string, servers: number, D: number[], speed: number) => {
        const d = D.map((x) => (n > 0 ? x / (speed * n) : 0));
        return { name, servers, d, openU: n > 0 ? sp.arrival.reduce((a, l, r) => a + (l * d[r]!) / servers, 0) : 0 };
      };
      const parts = [part(t.name, v.cores, t.D, v.speed), ...t.devices.map((dv) => part(`${t.name}/${dv.name}`, dv.servers, dv.D, 1))];
      const needed = [t.D, ...t.devices.map((dv) => dv.D)].some((D) =>
        D.some((x, r) => x > 0 && (sp.population[r]! > 0 || sp.arrival[r]! > 0)),
      );
      if (n === 0 && needed) unserved.push(`capacity:${t.name}`);
      return { t, v, n, parts, d: parts[0]!.d, openU: parts[0]!.openU };
    });
    const trivial = sp.population.every((n) => n === 0) && !hasOpen;
    if (unserved.length > 0 || trivial) {
      return {
        feasible: unserved.length === 0,
        cost,
        responseTime: zero(),
        throughput: zero(),
        utilization: sp.tiers.map(() => 0),
        residence: sp.tiers.map(() => zero()),
        violations: unserved,
        method: 'exact',
      };
    }
    const saturated = tiers.filter((x) => x.parts.some((pt) => pt.openU >= 1));
    if (saturated.length > 0) {
      const violations = [
        ...saturated.map((x) => `maxUtilization:${x.t.name}`),
        ...sp.classes.filter((_, r) => sp.rtLimit[r] !== undefined || sp.pctLimit[r] !== undefined).map((name) => `responseTime:${name}`),
      ];
      return {
        feasible: false,
        cost,
        responseTime: sp.classes.map(() => Number.POSITIVE_INFINITY),
        throughput: zero(),
        utilization: tiers.map((x) => x.openU),
        residence: sp.tiers.map(() => sp.classes.map(() => Number.POSITIVE_INFINITY)),
        violations,
        method: 'exact',
      };
    }

    const net: NumNetwork = { classes: sp.classes, N: sp.population, Z: sp.classes.map(() => sp.thinkTime), stations: [] };
    const at = tiers.map((x) =>
      x.parts.map((pt) => {
        if (x.n === 0) return -1;
        net.stations.push({ name: pt.name, delay: false, servers: pt.servers, copies: x.n, D: pt.d.map((dd) => dd / (1 - pt.openU)) });
        return net.stations.length - 1;
      }),
    );
    for (const x of tiers)
      if (x.t.latency.some((l) => l > 0))
        net.stations.push({ name: `${x.t.name}/latency`, delay: true, servers: 1, copies: 1, D: x.t.latency });
    const closed = sp.population.some((n) => n > 0);
    const res = closed ? solveNumeric(net, { method: sp.method, exactBudget: SEARCH_EXACT_BUDGET }) : undefined;
    const X = res ? res.X : zero();
    const latency = (r: number) => tiers.reduce((a, x) => a + (x.t.latency[r] ?? 0), 0);

    const residence = tiers.map((x, i) =>
      sp.classes.map((_, r) =>
        x.parts.reduce((sum, pt, j) => {
          const k = at[i]![j]!;
          if (k < 0) return sum;
          const closedR = res && sp.population[r]! > 0 ? x.n * res.R[k]![r]! : 0;
          if (sp.arrival[r]! <= 0) return sum + closedR;
          // an open request at a c-server station (Seidmann): queue part D/c behind the closed jobs there, slowed by the open load
          const Qc = res ? res.R[k]!.reduce((a, R, s2) => a + X[s2]! * R, 0) : 0;
          const cs = pt.servers;
          const openR = x.n * ((pt.d[r]! / cs / (1 - pt.openU)) * (1 + Qc) + (pt.d[r]! * (cs - 1)) / cs);
          return sum + Math.max(closedR, openR);
        }, 0),
      ),
    );
    const responseTime = sp.classes.map((_, r) => residence.reduce((a, row) => a + row[r]!, 0) + latency(r));
    const utilization = tiers.map((x) => (x.n === 0 ? 0 : x.openU + X.reduce((a, Xr, r) => a + (Xr * x.d[r]!) / x.v.cores, 0)));
    const violations: string[] = [];
    sp.classes.forEach((name, r) => {
      if (sp.population[r]! === 0 && sp.arrival[r]! <= 0) return;
      const lim = sp.rtLimit[r];
      const pct = sp.pctLimit[r];
      const over =
        (lim !== undefined && responseTime[r]! > lim * (1 + 1e-12)) ||
        (pct !== undefined && percentile(responseTime[r]!, pct.p) > pct.max * (1 + 1e-12));
      if (over) violations.push(`responseTime:${name}`);
    });
    sp.tiers.forEach((t, i) => {
      if (utilization[i]! > t.maxUtilization * (1 + 1e-12)) violations.push(`maxUtilization:${t.name}`);
    });
    return {
      feasible: violations.length === 0,
      cost,
      responseTime,
      throughput: X.map((x, r) => x + sp.arrival[r]!),
      utilization,
      residence,
      violations,
      method: res ? res.choice.method : 'exact',
    };
  }
}
