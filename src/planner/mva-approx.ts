// Approximate MVA: the Schweitzer–Bard fixed point (Schweitzer 1979, Bard 1979). The queue
// a class-r arrival sees at population N is estimated from the queue at N itself:
//   Q_k(N − e_r) ≈ Σ_s Q_ks(N) − Q_kr(N)/N_r
// so each iteration is O(K·R) whatever the population; non-integer populations are fine.
// Multi-server stations use Seidmann's approximation (Seidmann, Schweitzer & Shalev-Oren
// 1987): a c-server station with demand D behaves like a single server of demand D/c in
// series with a delay of D·(c−1)/c.
import type { NumNetwork, NumResult } from './network.js';
import { seidmannSplit } from './seidmann.js';

export interface AmvaOptions {
  /** stop when no queue length moves by more than this fraction of its class population */
  tolerance?: number;
  maxIterations?: number;
}

export function approxMva(net: NumNetwork, opts: AmvaOptions = {}): NumResult {
  const tol = opts.tolerance ?? 1e-8;
  const maxIt = opts.maxIterations ?? 100_000;
  const Rn = net.N.length;
  const st = net.stations;
  const K = st.length;
  const { Dq, Dd, queue } = seidmannSplit(net);
  const nQueues = queue.filter(Boolean).length || 1;
  const Q = new Float64Array(K * Rn); // jobs at the single-server part, per copy
  for (let k = 0; k < K; k++) if (queue[k]) for (let r = 0; r < Rn; r++) Q[k * Rn + r] = net.N[r]! / (nQueues * st[k]!.copies);
  const R = new Float64Array(K * Rn);
  const X = new Float64Array(Rn);
  const tot = new Float64Array(K);
  let it = 0;
  for (; it < maxIt; it++) {
    for (let k = 0; k < K; k++) {
      let t = 0;
      for (let r = 0; r < Rn; r++) t += Q[k * Rn + r]!;
      tot[k] = t;
    }
    for (let r = 0; r < Rn; r++) {
      const Nr = net.N[r]!;
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const i = k * Rn + r;
        let Rk = Dd[i]!;
        if (queue[k]) Rk += Dq[i]! * (1 + (Nr > 0 ? tot[k]! - Q[i]! / Nr : tot[k]!));
        R[i] = Rk;
        sum += st[k]!.copies * Rk;
      }
      X[r] = Nr > 0 ? Nr / (net.Z[r]! + sum) : 0;
    }
    let delta = 0;
    for (let k = 0; k < K; k++) {
      if (!queue[k]) continue;
      for (let r = 0; r < Rn; r++) {
        const i = k * Rn + r;
        const q = X[r]! * (R[i]! - Dd[i]!);
        const change = Math.abs(q - Q[i]!) / Math.max(1, net.N[r]!);
        if (change > delta) delta = change;
        Q[i] = q;
      }
    }
    if (delta < tol) break;
  }
  const Xs = Array.from(X);
  const Rm = st.map((_, k) => Array.from(R.subarray(k * Rn, (k + 1) * Rn)));
  const Qout = Rm.map((row) => row.map((v, r) => Xs[r]! * v));
  const U = st.map((s) => s.D.map((d, r) => (Xs[r]! * d) / (s.delay ? 1 : s.servers)));
  return { X: Xs, R: Rm, Q: Qout, U, iterations: it + 1 };
}
