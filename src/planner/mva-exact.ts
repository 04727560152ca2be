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
//  - Populations n−e_r are at most one "slab" (the states with the same count of the
//    largest class) behind n in the walk's order, so only a ring of slab + 1 records is kept.
//  - The complement networks need their throughputs at the same population only, so all
//    networks of the family (every copies vector below the given one, one per lattice pass
//    before) are walked together, complements first, in one pass over the lattice: nothing
//    is stored per lattice point, and no state allocates. A population vector is a
//    mixed-radix counter (Int32Array); its neighbours n−e_r are fixed offsets in the
//    two-slab ring, so no map or key is built per state.
//  - The arithmetic at one state is compiled per network shape (mva-exact-step.ts): loops
//    unrolled, offsets inlined, the same operations in the same order as the generic step.
import type { NumNetwork, NumResult } from './network.js';
import { stepFor, type Net, type Step } from './mva-exact-step.js';

export function latticeSize(N: readonly number[]): number {
  return N.reduce((a, n) => a * (Math.floor(n) + 1), 1);
}

/** How many lattice passes exact MVA makes: Π (copies + 1) over the multi-server stations. */
export function exactPasses(net: NumNetwork): number {
  return net.stations.reduce((a, s) => (!s.delay && s.servers > 1 ? a * (s.copies + 1) : a), 1);
}

function buildNet(net: NumNetwork, cp: number[], slab: number, comp: Int32Array): Net {
  const Rn = net.N.length;
  const st = net.stations;
  const delaySum = new Float64Array(Rn);
  const qs: number[] = [];
  const keep = cp.flatMap((n, k) => (n > 0 ? [k] : []));
  for (const k of keep) {
    if (st[k]!.delay) for (let r = 0; r < Rn; r++) delaySum[r]! += cp[k]! * st[k]!.D[r]!;
    else qs.push(k);
  }
  const Kq = qs.length;
  const qc = Int32Array.from(qs, (k) => st[k]!.servers);
  const qcopies = Float64Array.from(qs, (k) => cp[k]!);
  const Dr = new Float64Array(Kq * Rn);
  for (let q = 0; q < Kq; q++) for (let r = 0; r < Rn; r++) Dr[r * Kq + q] = st[qs[q]!]!.D[r]!;
  const off = new Int32Array(Kq);
  let W = 0;
  for (let q = 0; q < Kq; q++) {
    off[q] = W;
    W += qc[q]!;
  }
  W = Math.max(W, 1);
  return {
    Kq,
    qc,
    qcopies,
    unit: qcopies.every((x) => x === 1),
    Dr,
    off,
    W,
    delaySum,
    buf: new Float64Array((slab + 1) * W),
    X: new Float64Array(Rn),
    Rq: new Float64Array(Rn * Math.max(Kq, 1)),
    comp: Int32Array.from(qs, (k) => comp[k]!),
    runEnd: runsOfSingles(qc),
    keep,
  };
}

function runsOfSingles(qc: Int32Array): Int32Array {
  const end = new Int32Array(qc.length);
  for (let q = qc.length - 1; q >= 0; q--) end[q] = qc[q] !== 1 ? q : q + 1 < qc.length && qc[q + 1] === 1 ? end[q + 1]! : q + 1;
  return end;
}

/**
 * The family of networks one solve needs: `cp`, and for each of its multi-server stations
 * the network with one copy fewer, recursively; complements come before the networks that
 * read them. Returns the index of `cp`'s network.
 */
function family(net: NumNetwork, cp: number[], slab: number, nets: Net[], seen: Map<string, number>): number {
  const key = cp.join(',');
  const known = seen.get(key);
  if (known !== undefined) return known;
  const comp = new Int32Array(cp.length).fill(-1);
  cp.forEach((n, k) => {
    const s = net.stations[k]!;
    if (n > 0 && !s.delay && s.servers > 1)
      comp[k] = family(
        net,
        cp.map((m, i) => (i === k ? m - 1 : m)),
        slab,
        nets,
        seen,
      );
  });
  nets.push(buildNet(net, cp, slab, comp));
  seen.set(key, nets.length - 1);
  return nets.length - 1;
}

export function exactMva(net: NumNetwork): NumResult {
  const N = net.N.map((n) => {
    if (!Number.isInteger(n) || n < 0) throw new Error(`exact MVA needs integer populations, got ${n}`);
    return n;
  });
  const Rn = N.length;
  // the largest class numbers the slabs; the others form the mixed-radix rest within a slab
  let s = 0;
  for (let r = 1; r < Rn; r++) if (N[r]! > N[s]!) s = r;
  const stride = new Int32Array(Rn);
  let slab = 1;
  for (let r = 0; r < Rn; r++) {
    if (r === s) continue;
    stride[r] = slab;
    slab *= N[r]! + 1;
  }
  const nets: Net[] = [];
  const top = family(
    net,
    net.stations.map((x) => x.copies),
    slab,
    nets,
    new Map(),
  );
  const Z = Float64Array.from(net.Z);
  walk(
    nets.map((t) => stepFor(t, nets, Z)),
    nets,
    N,
    s,
    slab,
    stride,
  );
  return result(net, N, nets[top]!);
}

/** One walk over the population lattice, every network of the family at each point. */
function walk(steps: Step[], nets: Net[], N: number[], s: number, slab: number, stride: Int32Array): void {
  const Rn = N.length;
  const n = new Int32Array(Rn);
  const Nmax = Int32Array.from(N);
  // Records live in a ring of slab + 1 states: n − e_r is stride_r states back (slab for the
  // slab class), so that is all that must be kept. The slot written next is the one just read
  // as n − e_s, still in cache, and the one read as n − e_s is the next slot: both sequential.
  const L = slab + 1;
  /** ring slot of n − e_r, for each class present */
  const prev = new Int32Array(Rn);
  for (const t of nets) for (let q = 0; q < t.Kq; q++) if (t.qc[q]! > 1) t.buf[t.off[q]! + 1] = 1; // p(0|0)=1
  let cur = 0;
  for (let m = 0; m <= N[s]!; m++) {
    n.fill(0);
    n[s] = m;
    for (let rest = 0; rest < slab; rest++) {
      if (rest > 0 || m > 0) {
        cur = cur + 1 === L ? 0 : cur + 1;
        // advance the mixed-radix counter over the non-slab classes
        if (rest > 0)
          for (let r = 0; r < Rn; r++) {
            if (r === s) continue;
            if (n[r]! < Nmax[r]!) {
              n[r]!++;
              break;
            }
            n[r] = 0;
          }
      } else continue;
      let r0 = -1; // a class present at n, for the p(0) ratio
      for (let r = 0; r < Rn; r++) {
        if (n[r]! === 0) continue;
        if (r0 < 0) r0 = r;
        const back = r === s ? slab : stride[r]!;
        prev[r] = cur >= back ? cur - back : cur - back + L;
      }
      const last = m === N[s]! && rest === slab - 1;
      for (let t = 0; t < steps.length; t++) steps[t]!(n, prev, cur, r0, last);
    }
  }
}

/** Residence times, queue lengths and utilizations at the full population (stations not kept: 0). */
function result(net: NumNetwork, N: number[], t: Net): NumResult {
  const st = net.stations;
  const Rn = N.length;
  const K = st.length;
  const c = st.map((x) => (x.delay ? 1 : x.servers));
  const qs = t.keep.filter((k) => !st[k]!.delay);
  const Rt = new Float64Array(Rn * K);
  for (let r = 0; r < Rn; r++) {
    for (const k of t.keep) if (st[k]!.delay) Rt[r * K + k] = st[k]!.D[r]!;
    for (let q = 0; q < t.Kq; q++) Rt[r * K + qs[q]!] = t.Rq[r * t.Kq + q]!;
  }
  const Xs = Array.from(t.X);
  const R = st.map((_, k) => N.map((Nr, r) => (Nr > 0 ? Rt[r * K + k]! : st[k]!.D[r]!)));
  const Q = R.map((row) => row.map((v, r) => Xs[r]! * v));
  const U = st.map((stn, k) => stn.D.map((d, r) => (Xs[r]! * d) / c[k]!));
  return { X: Xs, R, Q, U };
}
