// solve(): validated network in, the documented result shape out. The method is exact MVA
// while the population lattice is cheap enough, amva otherwise; the choice and its
// reason are part of the answer.
import { z } from 'zod';
import { parseNetwork, toNumeric, type NumNetwork, type NumResult } from './network.js';
import { exactMva, exactPasses, latticeSize } from './mva-exact.js';
import { approxMva } from './mva-approx.js';
import { linearizerMva } from './mva-linearizer.js';

export const SolveMethodSchema = z.enum(['exact', 'amva', 'linearizer', 'auto']);
export type Method = 'exact' | 'amva' | 'linearizer';
export type SolveMethod = z.infer<typeof SolveMethodSchema>;
export interface SolveOptions {
  method?: SolveMethod;
  /** auto picks exact while states × classes × stations stays below this (default 5e7, ≈ 0.3 s) */
  exactBudget?: number;
  /** above the exact budget, auto uses Linearizer up to this many classes, amva beyond */
  linearizerMaxClasses?: number;
}

export const DEFAULT_EXACT_BUDGET = 5e7;
export const DEFAULT_LINEARIZER_MAX_CLASSES = 8;

/**
 * Work of exact MVA: every lattice point visits every (class, station) pair plus the
 * multi-server marginals, in up to 2^m passes for m multi-server stations (mva-exact.ts).
 */
export function exactCost(net: NumNetwork): number {
  const extra = net.stations.reduce((a, s) => a + (s.delay ? 0 : s.servers - 1), 0);
  return latticeSize(net.N) * net.N.length * (net.stations.length + extra) * exactPasses(net);
}

export interface MethodChoice {
  method: Method;
  reason: string;
}

export function chooseMethod(net: NumNetwork, opts: SolveOptions = {}): MethodChoice {
  const asked = opts.method ?? 'auto';
  if (asked === 'amva') return { method: 'amva', reason: 'requested' };
  if (asked === 'exact') return { method: 'exact', reason: 'requested' };
  if (asked === 'linearizer') return { method: 'linearizer', reason: 'requested' };
  const maxR = opts.linearizerMaxClasses ?? DEFAULT_LINEARIZER_MAX_CLASSES;
  const fallback = (why: string): MethodChoice =>
    net.N.length <= maxR
      ? { method: 'linearizer', reason: `${why}; ${net.N.length} class(es) ≤ ${maxR}: Linearizer` }
      : { method: 'amva', reason: `${why}; ${net.N.length} classes > ${maxR}: amva` };
  if (!net.N.every((n) => Number.isInteger(n))) return fallback('non-integer population');
  const cost = exactCost(net);
  const budget = opts.exactBudget ?? DEFAULT_EXACT_BUDGET;
  return cost <= budget
    ? { method: 'exact', reason: `exact cost ${cost.toExponential(2)} ≤ budget ${budget.toExponential(2)}` }
    : fallback(`exact cost ${cost.toExponential(2)} > budget ${budget.toExponential(2)}`);
}

export function solveNumeric(net: NumNetwork, opts: SolveOptions = {}): NumResult & { choice: MethodChoice } {
  const choice = chooseMethod(net, opts);
  const res = choice.method === 'exact' ? exactMva(net) : choice.method === 'linearizer' ? linearizerMva(net) : approxMva(net);
  return { ...res, choice };
}

export interface StationFigures {
  utilization: Record<string, number>;
  queueLength: Record<string, number>;
  residenceTime: Record<string, number>;
}
export interface SolveResult {
  method: Method;
  classes: Record<string, { throughput: number; responseTime: number }>;
  stations: Record<string, StationFigures>;
  /** why this method: present when it was chosen automatically */
  auto?: { reason: string };
  iterations?: number;
}

export function formatResult(net: NumNetwork, res: NumResult & { choice: MethodChoice }, auto: boolean): SolveResult {
  const present = (r: number) => net.N[r]! > 0;
  const classes: SolveResult['classes'] = {};
  net.classes.forEach((name, r) => {
    const X = res.X[r]!;
    const rt = present(r) ? net.stations.reduce((a, s, k) => a + s.copies * res.R[k]![r]!, 0) : 0;
    // responseTime = N/X − Z; computed as Σ residence times, the same number without 0/0
    classes[name] = { throughput: X, responseTime: rt };
  });
  const stations: SolveResult['stations'] = {};
  net.stations.forEach((s, k) => {
    // a class with no jobs has no figures: every method reports 0 rather than its own guess
    const rec = (m: number[][]) => Object.fromEntries(net.classes.map((c, r) => [c, present(r) ? m[k]![r]! : 0]));
    stations[s.name] = { utilization: rec(res.U), queueLength: rec(res.Q), residenceTime: rec(res.R) };
  });
  const out: SolveResult = { method: res.choice.method, classes, stations };
  if (auto) out.auto = { reason: res.choice.reason };
  if (res.iterations !== undefined) out.iterations = res.iterations;
  return out;
}

/** Solves a network given in the documented JSON format (validated here). */
export function solve(network: unknown, opts: SolveOptions = {}): SolveResult {
  const num = toNumeric(parseNetwork(network));
  return formatResult(num, solveNumeric(num, opts), (opts.method ?? 'auto') === 'auto');
}
