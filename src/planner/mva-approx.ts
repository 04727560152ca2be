// Approximate MVA: the Schweitzer–Bard fixed point (Schweitzer 1979, Bard 1979). The queue
// a class-r arrival sees at population N is estimated from the queue at N itself:
//   Q_k(N − e_r) ≈ Σ_s Q_ks(N) − Q_kr(N)/N_r
// so each iteration is O(K·R) whatever the population; non-integer populations are fine.
// Multi-server stations use Seidmann's approximation (Seidmann, Schweitzer & Shalev-Oren
// 1987): a c-server station with demand D behaves like a single server of demand D/c in
// series with a delay of D·(c−1)/c.
import type { NumNetwork, NumResult } from './network.js';

export interface AmvaOptions {
  tolerance?: number;
  maxIterations?: number;
}

export function approxMva(net: NumNetwork, opts: AmvaOptions = {}): NumResult {
  const tol = opts.tolerance ?? 1e-10;
  const maxIt = opts.maxIterations ?? 100_000;
  const Rn = net.N.length;
  const st = net.stations;
  const K = st.length;
  const c = st.map((x) => (x.delay ? 1 : x.servers));
  // Q[k][r]: jobs of class r at the single-server part of station k (per copy)
  const Q = st.map((x) => net.N.map((n) => (x.delay ? 0 : n / K)));
  const R = st.map(() => new Array<number>(Rn).fill(0));
  const X = new Array<number>(Rn).fill(0);
  let it = 0;
  for (; it < maxIt; it++) {
    const tot = Q.map((row) => row.reduce((a, b) => a + b, 0));
    for (let r = 0; r < Rn; r++) {
      const Nr = net.N[r]!;
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const d = st[k]!.D[r]!;
        let Rk: number;
        if (st[k]!.delay) Rk = d;
        else {
          const seen = Nr > 0 ? tot[k]! - Q[k]![r]! / Nr : tot[k]!;
          const ck = c[k]!;
          Rk = (d / ck) * (1 + seen) + (d * (ck - 1)) / ck;
        }
        R[k]![r] = Rk;
        sum += st[k]!.copies * Rk;
      }
      X[r] = Nr > 0 ? Nr / (net.Z[r]! + sum) : 0;
    }
    let delta = 0;
    for (let k = 0; k < K; k++) {
      if (st[k]!.delay) continue;
      const ck = c[k]!;
      for (let r = 0; r < Rn; r++) {
        const d = st[k]!.D[r]!;
        const queuePart = R[k]![r]! - (d * (ck - 1)) / ck;
        const q = X[r]! * queuePart;
        const scale = Math.max(1, net.N[r]!);
        delta = Math.max(delta, Math.abs(q - Q[k]![r]!) / scale);
        Q[k]![r] = q;
      }
    }
    if (delta < tol) break;
  }
  const Qout = R.map((row) => row.map((v, r) => X[r]! * v));
  const U = st.map((stn, k) => stn.D.map((d, r) => (X[r]! * d) / c[k]!));
  return { X, R, Q: Qout, U, iterations: it + 1 };
}
