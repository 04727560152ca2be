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
    const net: NumNetwork = { classes: sp.classes, N: sp.population, Z: sp.classes.map(() => sp.thinkTime), stations: [] };
    const unserved: string[] = [];
    sp.tiers.forEach((t, i) => {
      const v = t.types[c.type[i]!]!;
      const n = c.count[i]!;
      if (n === 0) {
        if (t.D.some((d, r) => d > 0 && sp.population[r]! > 0)) unserved.push(`capacity:${t.name}`);
      } else {
        net.stations.push({ name: t.name, delay: false, servers: v.cores, copies: n, D: t.D.map((d) => d / (v.speed * n)) });
      }
      if (t.latency.some((l) => l > 0)) net.stations.push({ name: `${t.name}/latency`, delay: true, servers: 1, copies: 1, D: t.latency });
    });
    if (unserved.length > 0 || net.stations.length === 0 || sp.population.every((n) => n === 0)) {
      return { feasible: unserved.length === 0, cost, responseTime: sp.classes.map(() => 0), throughput: sp.classes.map(() => 0), utilization: sp.tiers.map(() => 0), residence: sp.tiers.map(() => sp.classes.map(() => 0)), violations: unserved, method: 'exact' };
    }
    const res = solveNumeric(net, { method: sp.method, exactBudget: SEARCH_EXACT_BUDGET });
    const responseTime = sp.classes.map((_, r) => net.stations.reduce((a, s, k) => a + s.copies * res.R[k]![r]!, 0));
    const utilization = sp.tiers.map((t) => {
      const k = net.stations.findIndex((s) => s.name === t.name);
      return k < 0 ? 0 : res.U[k]!.reduce((a, b) => a + b, 0);
    });
    const residence = sp.tiers.map((t) => {
      const k = net.stations.findIndex((s) => s.name === t.name);
      return sp.classes.map((_, r) => (k < 0 ? 0 : net.stations[k]!.copies * res.R[k]![r]!));
    });
    const violations: string[] = [];
    sp.rtLimit.forEach((lim, r) => {
      if (lim !== undefined && sp.population[r]! > 0 && responseTime[r]! > lim * (1 + 1e-12)) violations.push(`responseTime:${sp.classes[r]}`);
    });
    sp.tiers.forEach((t, i) => {
      if (utilization[i]! > t.maxUtilization * (1 + 1e-12)) violations.push(`maxUtilization:${t.name}`);
    });
    return { feasible: violations.length === 0, cost, responseTime, throughput: res.X, utilization, residence, violations, method: res.choice.method };
  }
}
