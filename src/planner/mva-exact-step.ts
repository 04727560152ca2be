// One MVA step of exact MVA (mva-exact.ts): the arithmetic at one population for one network
// of the family. It is 95 % of a solve, and the loops over stations and classes, with their
// per-station branches and bounds, cost as much as the multiply-adds they drive, so each
// network shape gets a step compiled for it: the loops unrolled, offsets inlined, partial
// results in locals (V8 keeps them in registers). Only integers of the shape reach the
// generated source; the generic step below is the reference it must equal operation for
// operation, and the fallback for networks whose unrolled step would be too large for V8 to
// optimize.

/** One network of the family: the given one with `cp[k]` copies of each station k. */
export interface Net {
  /** queueing stations kept, their server counts and copies */
  Kq: number;
  qc: Int32Array;
  qcopies: Float64Array;
  /** every kept queueing station has one copy (then the multiplication by 1 is skipped: same result) */
  unit: boolean;
  /** demands, class-major: Dr[r·Kq + q] */
  Dr: Float64Array;
  /** per-state record: for each queueing station, Q then p(0..c−2), at off[q] */
  off: Int32Array;
  W: number;
  delaySum: Float64Array;
  /** per-state records, a ring of slab + 1 states (walk()) */
  buf: Float64Array;
  X: Float64Array;
  Rq: Float64Array;
  /** for each multi-server station q: the index of its complement network (one copy fewer), else −1 */
  comp: Int32Array;
  /** for a single-server station q: the end of the run of single-server stations from q; else q */
  runEnd: Int32Array;
  keep: number[];
}

/**
 * MVA at population `n` for network `t` (its complements have already stepped to `n`): reads
 * the records at the ring slots `prev[r]` (n − e_r), writes the record at slot `state`, X, and
 * R into `Rq` when `last` (only the full population's R is reported).
 */
export type Step = (n: Int32Array, prev: Int32Array, state: number, r0: number, last: boolean) => void;

/** Past this many operations per step the unrolled function grows beyond what V8 optimizes well. */
const MAX_UNROLLED = 4000;

/** A step for network `t`: compiled for it when the network allows, else the generic one. */
export function stepFor(t: Net, nets: Net[], Z: Float64Array): Step {
  return compiled(t, nets, Z) ?? ((n, prev, state, r0) => generic(t, nets, n, prev, state, r0, Z));
}

/** The reference step: loops over classes and stations, R into Rq at every state. */
function generic(t: Net, nets: Net[], n: Int32Array, prev: Int32Array, state: number, r0: number, Z: Float64Array): void {
  const { Kq, qc, qcopies, unit, Dr, off, W, delaySum, buf, X, Rq, runEnd } = t;
  const Rn = n.length;
  const cur = state * W;
  for (let r = 0; r < Rn; r++) {
    X[r] = 0;
    const nr = n[r]!;
    if (nr === 0) continue;
    const pb = prev[r]! * W;
    let sum = delaySum[r]!;
    const rb = r * Kq;
    for (let q = 0; q < Kq;) {
      const end = runEnd[q]!;
      if (end > q) {
        // a run of single-server stations: their records are adjacent, R = D·(1 + Q(n−e_r))
        // (a zero demand gives 0 as the branch of the general case below does)
        const o = pb + off[q]!;
        if (unit)
          for (let i = q; i < end; i++) {
            const Rk = Dr[rb + i]! * (1 + buf[o + i - q]!);
            Rq[rb + i] = Rk;
            sum += Rk;
          }
        else
          for (let i = q; i < end; i++) {
            const Rk = Dr[rb + i]! * (1 + buf[o + i - q]!);
            Rq[rb + i] = Rk;
            sum += qcopies[i]! * Rk;
          }
        q = end;
        continue;
      }
      const d = Dr[rb + q]!;
      let Rk = 0;
      if (d !== 0) {
        const o = pb + off[q]!;
        const ck = qc[q]!;
        let acc = 1 + buf[o]!;
        for (let i = 0; i <= ck - 2; i++) acc += (ck - 1 - i) * buf[o + 1 + i]!;
        Rk = (d / ck) * acc;
      }
      Rq[rb + q] = Rk;
      sum += unit ? Rk : qcopies[q]! * Rk;
      q++;
    }
    const x = nr / (Z[r]! + sum);
    X[r] = x;
    // Q(n) = Σ_r X_r R_r, summed straight into the record (0 + a = a: the first class sets it)
    if (r === r0) for (let q = 0; q < Kq; q++) buf[cur + off[q]!] = x * Rq[rb + q]!;
    else for (let q = 0; q < Kq; q++) buf[cur + off[q]!]! += x * Rq[rb + q]!;
  }
  pOfFewBusy(t, nets, n, prev, cur, r0);
}

/** The marginal probabilities p(0..c−2) at n of each multi-server station (generic step). */
function pOfFewBusy(t: Net, nets: Net[], n: Int32Array, prev: Int32Array, cur: number, r0: number): void {
  const { Kq, qc, Dr, off, W, buf, X } = t;
  const Rn = n.length;
  for (let q = 0; q < Kq; q++) {
    const o = cur + off[q]!;
    const ck = qc[q]!;
    if (ck === 1) continue;
    // p(j|n) = (1/j) Σ_r D_r X_r p(j−1 | n−e_r) for 1 ≤ j ≤ c−2 (higher j are not needed)
    for (let j = ck - 2; j >= 1; j--) {
      let pj = 0;
      for (let r = 0; r < Rn; r++) if (n[r]! > 0) pj += Dr[r * Kq + q]! * X[r]! * buf[prev[r]! * W + off[q]! + j]!;
      buf[o + 1 + j] = pj / j;
    }
    // p(0|n) = p(0|n−e_r0) · X_r0(n) / X_r0^{−k}(n); an infinite complement throughput
    // (nothing left to slow the class down) means the station is never idle
    const Xc = nets[t.comp[q]!]!.X[r0]!;
    buf[o + 1] = Xc < Number.POSITIVE_INFINITY ? (buf[prev[r0]! * W + off[q]! + 1]! * X[r0]!) / Xc : 0;
  }
}

type Factory = (
  b: Float64Array,
  X: Float64Array,
  Rq: Float64Array,
  D: Float64Array,
  DS: Float64Array,
  Z: Float64Array,
  CP: Float64Array,
  ...comps: Float64Array[]
) => Step;

/**
 * Compiled steps by network shape: the planner's search solves thousands of networks of one
 * shape with other demands, and each reuses the function (and V8's optimized code) of the first.
 */
const factories = new Map<string, Factory>();
const MAX_FACTORIES = 64;

/**
 * The generic step unrolled for the shape of `t` (classes, stations, servers, which copies are
 * one), or undefined when it would be too large. Every floating-point operation is the generic
 * step's, in the same order, so the results are the same to the bit; what differs is only
 * skipping no-ops: a class absent at n contributes x = 0 and R = 0 to the queue-length sums
 * (a + 0·0 = a for the non-negative sums here), and a multiplication by one copy is left out
 * (1·a = a). The source holds only integers (indices, server counts), never a user's value:
 * demands, think times and copies are read from the network's typed arrays.
 */
function compiled(t: Net, nets: Net[], Z: Float64Array): Step | undefined {
  const { Kq, qc, qcopies, off, W, delaySum } = t;
  const Rn = delaySum.length;
  if (Rn * (W + Kq) + Kq * Rn * 4 > MAX_UNROLLED) return undefined;
  const key = `${Rn}|${Array.from(qc).join(',')}|${Array.from(qcopies, (c) => (c === 1 ? 1 : 0)).join('')}`;
  let make = factories.get(key);
  if (!make) {
    if (factories.size >= MAX_FACTORIES) factories.clear();
    make = factory(Rn, Kq, qc, qcopies, off, W);
    factories.set(key, make);
  }
  const comps = Array.from({ length: Kq }, (_, q) => (qc[q]! > 1 ? nets[t.comp[q]!]!.X : t.X));
  return make(t.buf, t.X, t.Rq, t.Dr, delaySum, Z, qcopies, ...comps);
}

function factory(Rn: number, Kq: number, qc: Int32Array, qcopies: Float64Array, off: Int32Array, W: number): Factory {
  const mulCopies = (q: number, v: string) => (qcopies[q] === 1 ? v : `CP[${q}] * ${v}`);
  const src: string[] = [];
  for (let r = 0; r < Rn; r++) src.push(`const n${r} = n[${r}];`, `let x${r} = 0;`);
  for (let r = 0; r < Rn; r++) for (let q = 0; q < Kq; q++) src.push(`let R${r}_${q} = 0;`);
  src.push(`const cur = state * ${W};`);
  for (let r = 0; r < Rn; r++) {
    src.push(`if (n${r} > 0) {`, `const pb = prev[${r}] * ${W};`, `let sum = DS[${r}];`);
    for (let q = 0; q < Kq; q++) {
      const d = `D[${r * Kq + q}]`;
      const ck = qc[q]!;
      if (ck === 1) src.push(`R${r}_${q} = ${d} * (1 + b[pb + ${off[q]}]);`);
      else {
        let acc = `1 + b[pb + ${off[q]}]`;
        for (let i = 0; i <= ck - 2; i++) acc += ` + ${ck - 1 - i} * b[pb + ${off[q]! + 1 + i}]`;
        src.push(`if (${d} !== 0) R${r}_${q} = (${d} / ${ck}) * (${acc});`);
      }
      src.push(`sum += ${mulCopies(q, `R${r}_${q}`)};`);
    }
    src.push(`x${r} = n${r} / (Z[${r}] + sum);`, '}', `X[${r}] = x${r};`);
  }
  for (let q = 0; q < Kq; q++) {
    const terms = Array.from({ length: Rn }, (_, r) => `x${r} * R${r}_${q}`);
    src.push(`b[cur + ${off[q]}] = ${terms.join(' + ')};`);
  }
  for (let q = 0; q < Kq; q++) {
    const ck = qc[q]!;
    if (ck === 1) continue;
    for (let j = ck - 2; j >= 1; j--) {
      src.push('{', 'let pj = 0;');
      for (let r = 0; r < Rn; r++) src.push(`if (n${r} > 0) pj += D[${r * Kq + q}] * x${r} * b[prev[${r}] * ${W} + ${off[q]! + j}];`);
      src.push(`b[cur + ${off[q]! + 1 + j}] = pj / ${j};`, '}');
    }
    src.push(
      '{',
      `const Xc = comp${q}[r0];`,
      `b[cur + ${off[q]! + 1}] = Xc < Infinity ? (b[prev[r0] * ${W} + ${off[q]! + 1}] * X[r0]) / Xc : 0;`,
      '}',
    );
  }
  src.push('if (last) {');
  for (let r = 0; r < Rn; r++) for (let q = 0; q < Kq; q++) src.push(`Rq[${r * Kq + q}] = R${r}_${q};`);
  src.push('}');
  const params = ['b', 'X', 'Rq', 'D', 'DS', 'Z', 'CP', ...Array.from({ length: Kq }, (_, q) => `comp${q}`)];
  const body = `return function step(n, prev, state, r0, last) {\n${src.join('\n')}\n};`;
  // the source is built from integers only (see above)
  return new Function(...params, body) as Factory;
}
