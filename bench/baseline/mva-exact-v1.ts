// The exact MVA as it was before the 2026-11-30 rewrite (923,521 states in ~0.9 s cpu), kept
// as the baseline of bench/planner-solvers.ts, verbatim but for two helpers that only the new
// one exports: the new one must give identical results.
// Exact multi-class MVA (Reiser & Lavenberg 1980) with exact load-dependent MVA for
// multi-server stations, μ(j) = min(j, c) (Bruell, Balbo & Afshari 1984).
//
// Three observations keep it fast, small and stable:
//  - A c-server station needs only the marginal probabilities p(0..c-2) of fewer than c
//    busy servers at the populations one job smaller: for j >= c the rate is flat, so
//      R_r(n) = D_r/c · [1 + Q(n−e_r) + Σ_{i=0}^{c-2} (c−1−i) · p(i | n−e_r)]
//    with p(j|n) = (1/j) Σ_r D_r X_r(n) p(j−1 | n−e_r) for 1 ≤ j < c.
//  - p(0|n) must not come from a subtraction (1 − Σ p(j), or the utilization law
//    c − ρ − Σ (c−j) p(j)): near saturation the round-off of that difference is amplified
//    through the recursion above and grows exponentially with n (a 10 % throughput error at
//    N = 300, c = 16 in our tests). Instead p(0|n) = G_{−k}(n)/G(n), and the ratio of
//    normalizing constants is a product of throughputs, all positive:
//      p_k(0|n) = p_k(0|n−e_r) · X_r(n) / X_r^{−k}(n)
//    where X^{−k} is the throughput of the network with one copy of station k fewer (a
//    station with `copies` n stands for n identical stations), solved first over the same
//    lattice (recursively, memoized by the copies vector).
//  - Populations n−e_r are either in the same "slab" (same count of the largest class)
//    or in the previous one, so only two slabs of queue lengths are kept; only the
//    complement networks' throughputs are stored for the whole lattice.
import type { NumNetwork, NumResult } from '../../src/planner/network.js';

interface Lattice {
  N: number[];
  Rn: number;
  s: number;
  slab: number;
  stride: number[];
  size: number;
}

function lattice(N: number[]): Lattice {
  const Rn = N.length;
  let s = 0;
  for (let r = 1; r < Rn; r++) if (N[r]! > N[s]!) s = r;
  const stride = new Array<number>(Rn).fill(0);
  let slab = 1;
  for (let r = 0; r < Rn; r++) {
    if (r === s) continue;
    stride[r] = slab;
    slab *= N[r]! + 1;
  }
  return { N, Rn, s, slab, stride, size: slab * (N[s]! + 1) };
}

export function exactMva(net: NumNetwork): NumResult {
  const N = net.N.map((n) => {
    if (!Number.isInteger(n) || n < 0) throw new Error(`exact MVA needs integer populations, got ${n}`);
    return n;
  });
  const lat = lattice(N);
  const memo = new Map<string, Float64Array>();
  return pass(
    net,
    lat,
    net.stations.map((x) => x.copies),
    memo,
    false,
  ).result;
}

/**
 * One lattice pass over the network with `cp[k]` copies of station k (0: absent).
 * With `record`, returns X_r(n) for every lattice point (index (m·slab + rest)·R + r).
 */
function pass(
  net: NumNetwork,
  lat: Lattice,
  cp: number[],
  memo: Map<string, Float64Array>,
  record: boolean,
): { result: NumResult; Xall?: Float64Array } {
  const { N, Rn, s, slab, stride } = lat;
  const st = net.stations;
  const K = st.length;
  const c = st.map((x) => (x.delay ? 1 : x.servers));
  const delaySum = new Float64Array(Rn);
  const qs: number[] = [];
  const keep = cp.flatMap((n, k) => (n > 0 ? [k] : []));
  for (const k of keep) {
    if (st[k]!.delay) for (let r = 0; r < Rn; r++) delaySum[r]! += cp[k]! * st[k]!.D[r]!;
    else qs.push(k);
  }
  const Kq = qs.length;
  const qc = Int32Array.from(qs, (k) => c[k]!);
  const qcopies = Float64Array.from(qs, (k) => cp[k]!);
  // class-major demands: the hot loop walks the stations of one class
  const Dr = new Float64Array(Kq * Rn);
  for (let q = 0; q < Kq; q++) for (let r = 0; r < Rn; r++) Dr[r * Kq + q] = st[qs[q]!]!.D[r]!;
  const Qn = new Float64Array(Math.max(Kq, 1));
  // throughputs of each multi-server station's complement network, over the whole lattice
  const comp: Array<Float64Array | undefined> = qs.map((k, q) => {
    if (qc[q]! === 1) return undefined;
    const fewer = cp.map((n, i) => (i === k ? n - 1 : n));
    const key = fewer.join(',');
    let Xc = memo.get(key);
    if (!Xc) {
      Xc = pass(net, lat, fewer, memo, true).Xall!;
      memo.set(key, Xc);
    }
    return Xc;
  });
  // Per-state record layout: for each queueing station, Q then p(0..c-2).
  const off = new Int32Array(Kq);
  let W = 0;
  for (let q = 0; q < Kq; q++) {
    off[q] = W;
    W += qc[q]!;
  }
  W = Math.max(W, 1);
  const buf = new Float64Array(2 * slab * W);
  const Xall = record ? new Float64Array(lat.size * Rn) : undefined;
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
      const gidx = m * slab + rest;
      if (m === 0 && rest === 0) {
        for (let q = 0; q < Kq; q++) if (qc[q]! > 1) buf[cur + off[q]! + 1] = 1; // p(0|0)=1
        continue;
      }
      let r0 = -1; // a class present at n, for the p(0) ratio
      Qn.fill(0);
      for (let r = 0; r < Rn; r++) {
        X[r] = 0;
        const nr = n[r]!;
        if (nr === 0) continue;
        if (r0 < 0) r0 = r;
        const pb = (r === s ? slabPrev + rest : slabCur + rest - strideA[r]!) * W;
        prevBase[r] = pb;
        let sum = delaySum[r]!;
        const rb = r * Kq;
        for (let q = 0; q < Kq; q++) {
          const d = Dr[rb + q]!;
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
          Rq[rb + q] = Rk;
          sum += qcopies[q]! * Rk;
        }
        const x = nr / (Z[r]! + sum);
        X[r] = x;
        for (let q = 0; q < Kq; q++) Qn[q]! += x * Rq[rb + q]!;
        if (Xall) Xall[gidx * Rn + r] = x;
      }
      for (let q = 0; q < Kq; q++) {
        const o = cur + off[q]!;
        buf[o] = Qn[q]!;
        const ck = qc[q]!;
        if (ck === 1) continue;
        // p(j|n) = (1/j) Σ_r D_r X_r p(j−1 | n−e_r) for 1 ≤ j ≤ c−2 (higher j are not needed)
        for (let j = ck - 2; j >= 1; j--) {
          let pj = 0;
          for (let r = 0; r < Rn; r++) if (n[r]! > 0) pj += Dr[r * Kq + q]! * X[r]! * buf[prevBase[r]! + off[q]! + j]!;
          buf[o + 1 + j] = pj / j;
        }
        // p(0|n) = p(0|n−e_r0) · X_r0(n) / X_r0^{−k}(n); an infinite complement throughput
        // (nothing left to slow the class down) means the station is never idle
        const Xc = comp[q]![gidx * Rn + r0]!;
        buf[o + 1] = Xc < Number.POSITIVE_INFINITY ? (buf[prevBase[r0]! + off[q]! + 1]! * X[r0]!) / Xc : 0;
      }
    }
  }
  // residence times at the full population, all kept stations (others: 0)
  const Rt = new Float64Array(Rn * K);
  for (let r = 0; r < Rn; r++) {
    for (const k of keep) if (st[k]!.delay) Rt[r * K + k] = st[k]!.D[r]!;
    for (let q = 0; q < Kq; q++) Rt[r * K + qs[q]!] = Rq[r * Kq + q]!;
  }
  const Xs = Array.from(X);
  const R = st.map((_, k) => N.map((Nr, r) => (Nr > 0 ? Rt[r * K + k]! : st[k]!.D[r]!)));
  const Q = R.map((row) => row.map((v, r) => Xs[r]! * v));
  const U = st.map((stn, k) => stn.D.map((d, r) => (Xs[r]! * d) / c[k]!));
  return { result: { X: Xs, R, Q, U }, Xall };
}
