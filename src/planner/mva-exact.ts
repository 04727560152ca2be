// Exact multi-class MVA (Reiser & Lavenberg 1980) with exact load-dependent MVA for
// multi-server stations, μ(j) = min(j, c) (Bruell, Balbo & Afshari 1984).
//
// Two observations keep it fast and small:
//  - A c-server station needs only the marginal probabilities p(0..c-2) of fewer than c
//    busy servers at the populations one job smaller: for j >= c the rate is flat, so
//      R_r(n) = D_r/c · [1 + Q(n−e_r) + Σ_{i=0}^{c-2} (c−1−i) · p(i | n−e_r)]
//    and p(0) follows from the utilization law Σ_j min(j,c)·p(j) = Σ_r X_r D_r rather
//    than from summing all n+1 marginals.
//  - Populations n−e_r are either in the same "slab" (same count of the largest class)
//    or in the previous one, so only two slabs are kept: memory is
//    2 · Π_{r≠s}(N_r+1) · (queues + Σ(c−1)) doubles instead of the whole lattice.
import type { NumNetwork, NumResult } from './network.js';

export function latticeSize(N: readonly number[]): number {
  return N.reduce((a, n) => a * (Math.floor(n) + 1), 1);
}

export function exactMva(net: NumNetwork): NumResult {
  const Rn = net.N.length;
  const K = net.stations.length;
  const N = net.N.map((n) => {
    if (!Number.isInteger(n) || n < 0) throw new Error(`exact MVA needs integer populations, got ${n}`);
    return n;
  });
  // The slab class is the one with the largest population: it multiplies time, not memory.
  let s = 0;
  for (let r = 1; r < Rn; r++) if (N[r]! > N[s]!) s = r;
  const stride = new Array<number>(Rn).fill(0);
  let slab = 1;
  for (let r = 0; r < Rn; r++) {
    if (r === s) continue;
    stride[r] = slab;
    slab *= N[r]! + 1;
  }

  const st = net.stations;
  const isDelay = st.map((x) => x.delay);
  const c = st.map((x) => (x.delay ? 1 : x.servers));
  const copies = st.map((x) => x.copies);
  const D = new Float64Array(K * Rn);
  for (let k = 0; k < K; k++) for (let r = 0; r < Rn; r++) D[k * Rn + r] = st[k]!.D[r]!;
  // Per-state record layout: for each queueing station, Q then p(0..c-2).
  const off = new Int32Array(K).fill(-1);
  let W = 0;
  for (let k = 0; k < K; k++) {
    if (isDelay[k]) continue;
    off[k] = W;
    W += c[k]!;
  }
  const buf = new Float64Array(2 * slab * Math.max(W, 1));
  const base = (m: number, rest: number) => ((m & 1) * slab + rest) * W;
  const X = new Float64Array(Rn);
  const Rt = new Float64Array(Rn * K);
  const prevBase = new Int32Array(Rn);
  const n = new Array<number>(Rn).fill(0);

  for (let m = 0; m <= N[s]!; m++) {
    n[s] = m;
    for (let r = 0; r < Rn; r++) if (r !== s) n[r] = 0;
    for (let rest = 0; rest < slab; rest++) {
      if (rest > 0) {
        // advance the mixed-radix counter over the non-slab classes
        for (let r = 0; r < Rn; r++) {
          if (r === s) continue;
          if (n[r]! < N[r]!) {
            n[r]!++;
            break;
          }
          n[r] = 0;
        }
      }
      const cur = base(m, rest);
      if (m === 0 && rest === 0) {
        for (let k = 0; k < K; k++) if (!isDelay[k] && c[k]! > 1) buf[cur + off[k]! + 1] = 1; // p(0|0)=1
        continue;
      }
      for (let r = 0; r < Rn; r++) {
        X[r] = 0;
        if (n[r]! === 0) continue;
        const pb = r === s ? base(m - 1, rest) : base(m, rest - stride[r]!);
        prevBase[r] = pb;
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const d = D[k * Rn + r]!;
          let Rk: number;
          if (isDelay[k]) Rk = d;
          else if (d === 0) Rk = 0;
          else {
            const o = pb + off[k]!;
            const ck = c[k]!;
            if (ck === 1) Rk = d * (1 + buf[o]!);
            else {
              let acc = 1 + buf[o]!;
              for (let i = 0; i <= ck - 2; i++) acc += (ck - 1 - i) * buf[o + 1 + i]!;
              Rk = (d / ck) * acc;
            }
          }
          Rt[r * K + k] = Rk;
          sum += copies[k]! * Rk;
        }
        X[r] = n[r]! / (net.Z[r]! + sum);
      }
      for (let k = 0; k < K; k++) {
        if (isDelay[k]) continue;
        const o = cur + off[k]!;
        let q = 0;
        for (let r = 0; r < Rn; r++) if (n[r]! > 0) q += X[r]! * Rt[r * K + k]!;
        buf[o] = q;
        const ck = c[k]!;
        if (ck === 1) continue;
        // p(j|n) = (1/j) Σ_r D_r X_r p(j−1 | n−e_r) for j < c
        let rho = 0;
        for (let r = 0; r < Rn; r++) rho += X[r]! * D[k * Rn + r]!;
        let tail = 0;
        for (let j = ck - 1; j >= 1; j--) {
          let pj = 0;
          for (let r = 0; r < Rn; r++) if (n[r]! > 0) pj += D[k * Rn + r]! * X[r]! * buf[prevBase[r]! + off[k]! + j]!;
          pj /= j;
          tail += (ck - j) * pj;
          if (j <= ck - 2) buf[o + 1 + j] = pj;
        }
        // utilization law: Σ_j (c − min(j,c)) p(j) = c − ρ; round-off can leave −1e-17
        buf[o + 1] = Math.max(0, (ck - rho - tail) / ck);
      }
    }
  }
  return finish(net, X, Rt, c);
}

function finish(net: NumNetwork, Xs: Float64Array, Rt: Float64Array, c: number[]): NumResult {
  const Rn = net.N.length;
  const K = net.stations.length;
  const X = Array.from(Xs);
  const R = net.stations.map((_, k) => net.N.map((_, r) => (net.N[r]! > 0 ? Rt[r * K + k]! : net.stations[k]!.D[r]!)));
  const Q = R.map((row) => row.map((v, r) => X[r]! * v));
  const U = net.stations.map((stn, k) => stn.D.map((d, r) => (X[r]! * d) / c[k]!));
  void Rn;
  return { X, R, Q, U };
}
