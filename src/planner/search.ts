// The SPACE4Clouds-style local search for one subproblem (provider × hour):
//  1. a feasible start: the most efficient VM type per tier, scaled out greedily;
//  2. scale-in with shrinking factors: remove ⌊n·f⌋ VMs for f = 1/2, 1/4, … while feasible;
//  3. VM-type change, candidates in order of efficiency (cores·speed/price), each move
//     repaired by scale-out and then shrunk; the type just left goes on a tabu list;
//  4. restarts from seeded random perturbations of the incumbent.
// Every accepted configuration is feasible and strictly cheaper, so the search terminates.
import { capacity, type Config, type Evaluation, type Evaluator, type Subproblem } from './evaluate.js';
import type { Rng } from './rng.js';

export interface SearchOptions {
  restarts: number;
  tabuLength: number;
  rng: Rng;
  /** configurations worth trying as starts (the previous hour's answer, the peak plan) */
  seeds?: Config[];
}

export interface SearchOutcome {
  config: Config;
  evaluation: Evaluation;
}

const MAX_TYPE_TRIES = 4;
const EPS = 1e-9;

const clone = (c: Config): Config => ({ type: [...c.type], count: [...c.count] });

function clampCount(sp: Subproblem, i: number, n: number): number {
  const t = sp.tiers[i]!;
  return Math.min(Math.max(n, t.min), t.max);
}

export function initialConfig(sp: Subproblem): Config {
  return { type: sp.tiers.map(() => 0), count: sp.tiers.map((_, i) => clampCount(sp, i, 1)) };
}

/** Greedy scale-out until feasible or every tier that matters is at its maximum. */
export function repair(ev: Evaluator, start: Config): SearchOutcome {
  const sp = ev.sp;
  let c = clone(start);
  for (let guard = 0; guard < 10_000; guard++) {
    const e = ev.evaluate(c);
    if (e.feasible) return { config: c, evaluation: e };
    const next = clone(c);
    let grew = false;
    sp.tiers.forEach((t, i) => {
      if (next.count[i]! >= t.max) return;
      if (e.violations.includes(`capacity:${t.name}`)) {
        next.count[i] = clampCount(sp, i, 1);
        grew = true;
      } else if (e.violations.includes(`maxUtilization:${t.name}`)) {
        // utilization falls roughly as 1/n at a given throughput
        const want = Math.ceil((next.count[i]! * e.utilization[i]!) / t.maxUtilization);
        next.count[i] = clampCount(sp, i, Math.max(next.count[i]! + 1, want));
        grew = true;
      }
    });
    if (!grew) {
      // response time: grow the tier where the worst-violating class queues most
      let worst = -1;
      let ratio = 0;
      sp.rtLimit.forEach((lim, r) => {
        if (lim === undefined || !e.violations.includes(`responseTime:${sp.classes[r]}`)) return;
        const q = e.responseTime[r]! / lim;
        if (q > ratio) [worst, ratio] = [r, q];
      });
      if (worst >= 0) {
        let best = -1;
        let wait = -1;
        sp.tiers.forEach((t, i) => {
          if (next.count[i]! >= t.max) return;
          const v = t.types[next.type[i]!]!;
          const service = t.D[worst]! / v.speed + t.devices.reduce((d, dv) => d + dv.D[worst]!, 0);
          const queueing = e.residence[i]![worst]! - service;
          if (queueing > wait) [best, wait] = [i, queueing];
        });
        if (best >= 0) {
          const n = next.count[best]!;
          next.count[best] = clampCount(sp, best, ratio > 1.5 ? n + Math.ceil(n / 2) : n + 1);
          grew = true;
        }
      }
    }
    if (!grew) return { config: c, evaluation: e };
    c = next;
  }
  return { config: c, evaluation: ev.evaluate(c) };
}

/** Scale-in with shrinking factors, tier by tier (most expensive first), until nothing more can go. */
export function scaleIn(ev: Evaluator, start: SearchOutcome): SearchOutcome {
  const sp = ev.sp;
  let cur = start;
  let changed = true;
  while (changed) {
    changed = false;
    const order = sp.tiers
      .map((t, i) => ({ i, cost: cur.config.count[i]! * t.types[cur.config.type[i]!]!.pricePerHour }))
      .sort((a, b) => b.cost - a.cost || a.i - b.i);
    for (const { i } of order) {
      let f = 0.5;
      for (;;) {
        const n = cur.config.count[i]!;
        const step = Math.max(1, Math.floor(n * f));
        if (n - step >= sp.tiers[i]!.min) {
          const cand = clone(cur.config);
          cand.count[i] = n - step;
          const e = ev.evaluate(cand);
          if (e.feasible) {
            cur = { config: cand, evaluation: e };
            changed = true;
            continue;
          }
        }
        if (step === 1) break;
        f /= 2;
      }
    }
  }
  return cur;
}

function typeChange(ev: Evaluator, cur: SearchOutcome, tabu: string[], tabuLength: number): SearchOutcome | undefined {
  const sp = ev.sp;
  for (let i = 0; i < sp.tiers.length; i++) {
    const t = sp.tiers[i]!;
    const from = cur.config.type[i]!;
    let tries = 0;
    for (let j = 0; j < t.types.length && tries < MAX_TYPE_TRIES; j++) {
      if (j === from || tabu.includes(`${i}:${j}`)) continue;
      tries++;
      const cand = clone(cur.config);
      cand.type[i] = j;
      cand.count[i] = clampCount(sp, i, Math.ceil((cur.config.count[i]! * capacity(t, from)) / capacity(t, j)));
      const fixed = repair(ev, cand);
      if (!fixed.evaluation.feasible) continue;
      const shrunk = scaleIn(ev, fixed);
      if (shrunk.evaluation.cost < cur.evaluation.cost - EPS) {
        tabu.push(`${i}:${from}`);
        while (tabu.length > tabuLength) tabu.shift();
        return shrunk;
      }
    }
  }
  return undefined;
}

export function localSearch(ev: Evaluator, start: Config, tabuLength: number): SearchOutcome {
  let cur = repair(ev, start);
  if (!cur.evaluation.feasible) return cur;
  const tabu: string[] = [];
  for (;;) {
    cur = scaleIn(ev, cur);
    const next = typeChange(ev, cur, tabu, tabuLength);
    if (!next) return cur;
    cur = next;
  }
}

function better(a: SearchOutcome, b: SearchOutcome | undefined): boolean {
  if (!b) return true;
  if (a.evaluation.feasible !== b.evaluation.feasible) return a.evaluation.feasible;
  return a.evaluation.cost < b.evaluation.cost - EPS;
}

export function search(ev: Evaluator, opts: SearchOptions): SearchOutcome {
  const sp = ev.sp;
  let best: SearchOutcome | undefined;
  for (const start of [initialConfig(sp), ...(opts.seeds ?? [])]) {
    const o = localSearch(ev, start, opts.tabuLength);
    if (better(o, best)) best = o;
  }
  for (let k = 0; k < opts.restarts; k++) {
    const base = best!.config;
    const start = clone(base);
    sp.tiers.forEach((t, i) => {
      if (opts.rng() < 0.5) return;
      const j = Math.floor(opts.rng() * t.types.length);
      const scale = 0.7 + 0.8 * opts.rng();
      start.type[i] = j;
      start.count[i] = clampCount(sp, i, Math.ceil((base.count[i]! * capacity(t, base.type[i]!) * scale) / capacity(t, j)));
    });
    const o = localSearch(ev, start, opts.tabuLength);
    if (better(o, best)) best = o;
  }
  return best!;
}
