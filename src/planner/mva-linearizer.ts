// Linearizer (Chandy & Neuse, "Linearizer: a heuristic algorithm for queueing network
// models of computing systems", CACM 25(2), 1982): Schweitzer–Bard assumes that removing
// one class-s job leaves class r's share of each queue unchanged. Linearizer measures how
// much it does change, F_krs = Q_kr(N−e_s)/(N_r−δ_rs) − Q_kr(N)/N_r, by solving the
// Schweitzer core at N−e_s too, and assumes only that F is the same at N and N−e_s.
// Three rounds of R+1 core solves; typically an order of magnitude more accurate than
// Schweitzer–Bard at R+1 times its cost. Multi-server stations: Seidmann, as in amva.
import type { NumNetwork, NumResult } from './network.js';
import { seidmannSplit } from './seidmann.js';

interface Core {
  X: Float64Array;
  R: Float64Array;
  /** queue part (single-server part of a Seidmann station), per copy */
  Q: Float64Array;
}

export function linearizerMva(net: NumNetwork, opts: { tolerance?: number; rounds?: number } = {}): NumResult {
  const tol = opts.tolerance ?? 1e-10;
  const rounds = opts.rounds ?? 3;
  const Rn = net.N.length;
  const st = net.stations;
  const K = st.length;
  const { Dq, Dd, queue } = seidmannSplit(net);
  const F = new Float64Array(K * Rn * Rn);
  let iterations = 0;

  const core = (N: number[], init?: Float64Array): Core => {
    const nq = queue.filter(Boolean).length || 1;
    const Q = new Float64Array(K * Rn);
    if (init) Q.set(init);
    else for (let k = 0; k < K; k++) if (queue[k]) for (let r = 0; r < Rn; r++) Q[k * Rn + r] = N[r]! / (nq * st[k]!.copies);
    const R = new Float64Array(K * Rn);
    const X = new Float64Array(Rn);
    for (let it = 0; it < 100_000; it++) {
      iterations++;
      for (let s = 0; s < Rn; s++) {
        const Ns = N[s]!;
        if (Ns <= 0) {
          X[s] = 0;
          continue;
        }
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const i = k * Rn + s;
          let Rk = Dd[i]!;
          if (queue[k]) {
            // queue seen by an arriving class-s job: Σ_r Q_kr(N − e_s)
            let seen = 0;
            for (let r = 0; r < Rn; r++) {
              const Nr = N[r]!;
              const left = Nr - (r === s ? 1 : 0);
              if (left <= 0 || Nr <= 0) continue;
              seen += left * (Q[k * Rn + r]! / Nr + F[(k * Rn + r) * Rn + s]!);
            }
            Rk += Dq[i]! * (1 + Math.max(0, seen));
          }
          R[i] = Rk;
          sum += st[k]!.copies * Rk;
        }
        X[s] = Ns / (net.Z[s]! + sum);
      }
      let delta = 0;
      for (let k = 0; k < K; k++) {
        if (!queue[k]) continue;
        for (let r = 0; r < Rn; r++) {
          const i = k * Rn + r;
          const q = X[r]! * (R[i]! - Dd[i]!);
          delta = Math.max(delta, Math.abs(q - Q[i]!) / Math.max(1, N[r]!));
          Q[i] = q;
        }
      }
      if (delta < tol) break;
    }
    return { X, R, Q };
  };

  const N = [...net.N];
  let full = core(N);
  for (let round = 0; round < rounds; round++) {
    const smaller: Array<Core | undefined> = N.map((Ns, s) => {
      if (Ns < 1) return undefined;
      const Nm = N.map((v, r) => (r === s ? v - 1 : v));
      return core(Nm, full.Q);
    });
    for (let s = 0; s < Rn; s++) {
      const sm = smaller[s];
      if (!sm) continue;
      for (let k = 0; k < K; k++) {
        if (!queue[k]) continue;
        for (let r = 0; r < Rn; r++) {
          const left = N[r]! - (r === s ? 1 : 0);
          const i = k * Rn + r;
          F[i * Rn + s] = left > 0 && N[r]! > 0 ? sm.Q[i]! / left - full.Q[i]! / N[r]! : 0;
        }
      }
    }
    full = core(N, full.Q);
  }
  const X = Array.from(full.X);
  const R = st.map((_, k) => Array.from(full.R.subarray(k * Rn, (k + 1) * Rn)));
  const Q = R.map((row) => row.map((v, r) => X[r]! * v));
  const U = st.map((s) => s.D.map((d, r) => (X[r]! * d) / (s.delay ? 1 : s.servers)));
  return { X, R, Q, U, iterations };
}
