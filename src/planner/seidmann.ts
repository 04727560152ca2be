// Seidmann's approximation of a c-server station, shared by the approximate solvers: a
// single-server queue with demand D/c followed by a pure delay of D·(c−1)/c. A delay
// station is all delay. Flat [k*R + r] arrays: the planner calls the solvers thousands of
// times per plan.
import type { NumNetwork } from './network.js';

export interface SeidmannSplit {
  /** queueing part D/c per station and class */
  Dq: Float64Array;
  /** delay part D·(c−1)/c, or D for a delay station */
  Dd: Float64Array;
  /** which stations queue at all */
  queue: boolean[];
}

export function seidmannSplit(net: NumNetwork): SeidmannSplit {
  const Rn = net.N.length;
  const st = net.stations;
  const K = st.length;
  const Dq = new Float64Array(K * Rn);
  const Dd = new Float64Array(K * Rn);
  const queue = st.map((s) => !s.delay);
  for (let k = 0; k < K; k++) {
    const s = st[k]!;
    const c = s.delay ? 1 : s.servers;
    for (let r = 0; r < Rn; r++) {
      const d = s.D[r]!;
      if (s.delay) Dd[k * Rn + r] = d;
      else {
        Dq[k * Rn + r] = d / c;
        Dd[k * Rn + r] = (d * (c - 1)) / c;
      }
    }
  }
  return { Dq, Dd, queue };
}
