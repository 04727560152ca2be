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
  const c = st.map((x) => (x.delay ? 1 : x.servers));
  // Delay stations never queue: their residence time is the demand, summed once here.
  const delaySum = new Float64Array(Rn);
  const qs: number[] = [];
  for (let k = 0; k < K; k++) {
    if (st[k]!.delay) for (let r = 0; r < Rn; r++) delaySum[r]! += st[k]!.copies * st[k]!.D[r]!;
    else qs.push(k);
  }
  const Kq = qs.length;
  const qc = Int32Array.from(qs, (k) => c[k]!);
  const qcopies = Float64Array.from(qs, (k) => st[k]!.copies);
  const qD = new Float64Array(Kq * Rn);
  for (let q = 0; q < Kq; q++) for (let r = 0; r < Rn; r++) qD[q * Rn + r] = st[qs[q]!]!.D[r]!;
  // Per-state record layout: for each queueing station, Q then p(0..c-2).
  const off = new Int32Array(Kq);
  let W = 0;
  for (let q = 0; q < Kq; q++) {
    off[q] = W;
    W += qc[q]!;
  }
  W = Math.max(W, 1);
  const buf = new Float64Array(2 * slab * W);
  const X = new Float64Array(Rn);
  const Rq = new Float64Array(Rn * Math.max(Kq, 1));
  const prevBase = new Int32Array(Rn);
  const n = new Int32Array(Rn);
  const Nmax = Int32Array.from(N);
  const strideA = Int32Array.from(stride);
  const Z = Float64Array.from(net.Z);

  for (let m = 0; m <= N[s]!; m++) {
    n.fill(0);
    n[s] = m;
    const slabCur = (m & 1) * slab;
    const slabPrev = ((m - 1) & 1) * slab;
    for (let rest = 0; rest < slab; rest++) {
      if (rest > 0) {
        // advance the mixed-radix counter over the non-slab classes
        for (let r = 0; r < Rn; r++) {
          if (r === s) continue;
          if (n[r]! < Nmax[r]!) {
            n[r]!++;
            break;
          }
          n[r] = 0;
        }
      }
      const cur = (slabCur + rest) * W;
      if (m === 0 && rest === 0) {
        for (let q = 0; q < Kq; q++) if (qc[q]! > 1) buf[cur + off[q]! + 1] = 1; // p(0|0)=1
        continue;
      }
      for (let r = 0; r < Rn; r++) {
        X[r] = 0;
        const nr = n[r]!;
        if (nr === 0) continue;
        const pb = (r === s ? slabPrev + rest : slabCur + rest - strideA[r]!) * W;
        prevBase[r] = pb;
        let sum = delaySum[r]!;
        for (let q = 0; q < Kq; q++) {
          const d = qD[q * Rn + r]!;
          let Rk = 0;
          if (d !== 0) {
            const o = pb + off[q]!;
            const ck = qc[q]!;
            if (ck === 1) Rk = d * (1 + buf[o]!);
            else {
              let acc = 1 + buf[o]!;
              for (let i = 0; i <= ck - 2; i++) acc += (ck - 1 - i) * buf[o + 1 + i]!;
              Rk = (d / ck) * acc;
            }
          }
          Rq[r * Kq + q] = Rk;
          sum += qcopies[q]! * Rk;
        }
        X[r] = nr / (Z[r]! + sum);
      }
      for (let q = 0; q < Kq; q++) {
        const o = cur + off[q]!;
        let ql = 0;
        for (let r = 0; r < Rn; r++) if (n[r]! > 0) ql += X[r]! * Rq[r * Kq + q]!;
        buf[o] = ql;
        const ck = qc[q]!;
        if (ck === 1) continue;
        // p(j|n) = (1/j) Σ_r D_r X_r p(j−1 | n−e_r) for j < c
        let rho = 0;
        for (let r = 0; r < Rn; r++) rho += X[r]! * qD[q * Rn + r]!;
        let tail = 0;
        for (let j = ck - 1; j >= 1; j--) {
          let pj = 0;
          for (let r = 0; r < Rn; r++) if (n[r]! > 0) pj += qD[q * Rn + r]! * X[r]! * buf[prevBase[r]! + off[q]! + j]!;
          pj /= j;
          tail += (ck - j) * pj;
          if (j <= ck - 2) buf[o + 1 + j] = pj;
        }
        // utilization law: Σ_j (c − min(j,c)) p(j) = c − ρ; round-off can leave −1e-17
        buf[o + 1] = Math.max(0, (ck - rho - tail) / ck);
      }
    }
  }
  // residence times at the full population, all stations
  const Rt = new Float64Array(Rn * K);
  for (let r = 0; r < Rn; r++) {
    for (let k = 0; k < K; k++) if (st[k]!.delay) Rt[r * K + k] = st[k]!.D[r]!;
    for (let q = 0; q < Kq; q++) Rt[r * K + qs[q]!] = Rq[r * Kq + q]!;
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
