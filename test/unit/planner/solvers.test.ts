// Solver tests: closed forms, a textbook table, a brute-force CTMC for multi-class
// multi-server, property tests of the operational laws, and amva against exact.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { solve } from '../../../src/planner/solve.js';
import { exactMva } from '../../../src/planner/mva-exact.js';
import { approxMva } from '../../../src/planner/mva-approx.js';
import { linearizerMva } from '../../../src/planner/mva-linearizer.js';
import type { NumNetwork, NumResult } from '../../../src/planner/network.js';
import { isOsmoError } from '../../../src/shared/errors.js';

const close = (a: number, b: number, rel = 1e-9, what = '') =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what} ${a} != ${b} (rel ${rel})`);

describe('exact MVA against closed forms', () => {
  test('pure delay network: X = N/(Z+ΣD), R = ΣD', () => {
    const out = solve(
      {
        classes: [
          { name: 'a', population: 17, thinkTime: 3 },
          { name: 'b', population: 4, thinkTime: 0 },
        ],
        stations: [
          { name: 'd1', type: 'delay', demands: { a: 0.5, b: 2 } },
          { name: 'd2', type: 'delay', demands: { a: 1.5 } },
        ],
      },
      { method: 'exact' },
    );
    close(out.classes.a!.throughput, 17 / 5);
    close(out.classes.a!.responseTime, 2);
    close(out.classes.b!.throughput, 2);
    close(out.stations.d2!.queueLength.a!, (17 / 5) * 1.5);
  });

  test('single queue vs the M/M/1//N finite-source formula', () => {
    for (const [N, S, Z] of [
      [10, 1, 5],
      [30, 0.2, 4],
      [1, 3, 1],
      [50, 1, 0],
    ] as const) {
      let sum = 0;
      let f = 1;
      for (let n = 0; n <= N; n++) {
        sum += f;
        f *= ((N - n) * S) / Z;
      }
      const p0 = Z === 0 ? 0 : 1 / sum;
      const X = (1 - p0) / S;
      const out = solve(
        { classes: [{ name: 'u', population: N, thinkTime: Z }], stations: [{ name: 'q', demands: { u: S } }] },
        { method: 'exact' },
      );
      close(out.classes.u!.throughput, X, 1e-9, `N=${N}`);
      close(out.classes.u!.responseTime, N / X - Z, 1e-9, `N=${N}`);
      close(out.stations.q!.utilization.u!, 1 - p0, 1e-9);
    }
  });

  test('c-server station vs the M/M/c//N birth-death chain', () => {
    for (const c of [2, 3, 4, 8]) {
      const N = 12,
        S = 1.3,
        Z = 4;
      const p = [1];
      for (let n = 1; n <= N; n++) p[n] = (p[n - 1]! * ((N - n + 1) / Z)) / (Math.min(n, c) / S);
      const t = p.reduce((a, b) => a + b);
      const X = p.reduce((a, v, n) => a + ((v / t) * Math.min(n, c)) / S, 0);
      const L = p.reduce((a, v, n) => a + (v / t) * n, 0);
      const out = solve(
        { classes: [{ name: 'u', population: N, thinkTime: Z }], stations: [{ name: 'q', servers: c, demands: { u: S } }] },
        { method: 'exact' },
      );
      close(out.classes.u!.throughput, X, 1e-9, `c=${c}`);
      close(out.stations.q!.queueLength.u!, L, 1e-9, `c=${c}`);
    }
  });

  test('multi-server stations stay exact deep in saturation (no subtraction for p(0))', () => {
    // the utilization-law p(0) drifted by 10 % here: N = 300, c = 16, S = 2, Z = 30
    for (const [N, c, S, Z] of [
      [300, 16, 2, 30],
      [2000, 8, 1, 200],
      [5000, 64, 1, 10],
    ] as const) {
      const logp = [0];
      for (let n = 1; n <= N; n++) logp[n] = logp[n - 1]! + Math.log((N - n + 1) / Z) - Math.log(Math.min(n, c) / S);
      const mx = Math.max(...logp);
      const p = logp.map((l) => Math.exp(l - mx));
      const t = p.reduce((a, b) => a + b);
      const X = p.reduce((a, v, n) => a + ((v / t) * Math.min(n, c)) / S, 0);
      const out = solve(
        { classes: [{ name: 'u', population: N, thinkTime: Z }], stations: [{ name: 'q', servers: c, demands: { u: S } }] },
        { method: 'exact' },
      );
      close(out.classes.u!.throughput, X, 1e-12, `N=${N} c=${c}`);
    }
  });

  test('Jain, The Art of Computer Systems Performance Analysis, Example 34.2 / Table 34.1', () => {
    // timesharing system: Z = 4 s; CPU 0.125 s × 16 visits, disk A 0.3 × 10, disk B 0.2 × 5
    const table: Array<[number, number, number]> = [
      [1, 6.0, 0.1],
      [2, 7.4, 0.175],
      [3, 9.088, 0.229],
      [4, 11.051, 0.266],
      [5, 13.256, 0.29],
      [20, 56.016, 0.333],
    ];
    for (const [N, R, X] of table) {
      const out = solve(
        {
          classes: [{ name: 'user', population: N, thinkTime: 4 }],
          stations: [
            { name: 'cpu', demands: { user: 2 } },
            { name: 'diskA', demands: { user: 3 } },
            { name: 'diskB', demands: { user: 1 } },
          ],
        },
        { method: 'exact' },
      );
      assert.ok(Math.abs(out.classes.user!.responseTime - R) < 0.0006, `N=${N} R=${out.classes.user!.responseTime} vs ${R}`);
      assert.ok(Math.abs(out.classes.user!.throughput - X) < 0.0006, `N=${N} X=${out.classes.user!.throughput} vs ${X}`);
    }
  });
});

/** Brute force: 2 classes cycling between their think time and one c-server PS station. */
function ctmcTwoClass(N: [number, number], Z: [number, number], D: [number, number], c: number): [number, number] {
  const states: Array<[number, number]> = [];
  for (let a = 0; a <= N[0]; a++) for (let b = 0; b <= N[1]; b++) states.push([a, b]);
  const idx = (a: number, b: number) => a * (N[1] + 1) + b;
  const S = states.length;
  const G = Array.from({ length: S }, () => new Array<number>(S).fill(0));
  const rate = (from: number, to: number, r: number) => {
    G[from]![to]! += r;
    G[from]![from]! -= r;
  };
  for (const [a, b] of states) {
    const i = idx(a, b);
    const n = a + b;
    if (a < N[0]) rate(i, idx(a + 1, b), (N[0] - a) / Z[0]);
    if (b < N[1]) rate(i, idx(a, b + 1), (N[1] - b) / Z[1]);
    if (a > 0) rate(i, idx(a - 1, b), ((a / n) * Math.min(n, c)) / D[0]);
    if (b > 0) rate(i, idx(a, b - 1), ((b / n) * Math.min(n, c)) / D[1]);
  }
  // πG = 0, Σπ = 1: transpose, replace the last equation by normalization, Gaussian elimination
  const A = Array.from({ length: S }, (_, i) => G.map((row) => row[i]!));
  const rhs = new Array<number>(S).fill(0);
  A[S - 1] = new Array<number>(S).fill(1);
  rhs[S - 1] = 1;
  for (let col = 0; col < S; col++) {
    let piv = col;
    for (let r = col + 1; r < S; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r;
    [A[col], A[piv]] = [A[piv]!, A[col]!];
    [rhs[col], rhs[piv]] = [rhs[piv]!, rhs[col]!];
    for (let r = 0; r < S; r++) {
      if (r === col) continue;
      const f = A[r]![col]! / A[col]![col]!;
      if (f === 0) continue;
      for (let k = col; k < S; k++) A[r]![k]! -= f * A[col]![k]!;
      rhs[r]! -= f * rhs[col]!;
    }
  }
  const pi = rhs.map((v, i) => v / A[i]![i]!);
  let X0 = 0,
    X1 = 0;
  states.forEach(([a, b], i) => {
    const n = a + b;
    if (a > 0) X0 += (pi[i]! * (a / n) * Math.min(n, c)) / D[0];
    if (b > 0) X1 += (pi[i]! * (b / n) * Math.min(n, c)) / D[1];
  });
  return [X0, X1];
}

test('multi-class multi-server exact MVA equals a brute-force CTMC', () => {
  const cases: Array<[[number, number], [number, number], [number, number], number]> = [
    [[3, 4], [2, 5], [1, 0.5], 2],
    [[5, 2], [1, 1], [0.3, 2], 3],
    [[6, 6], [3, 0.5], [0.7, 0.9], 4],
  ];
  for (const [N, Z, D, c] of cases) {
    const [X0, X1] = ctmcTwoClass(N, Z, D, c);
    const out = solve(
      {
        classes: [
          { name: 'a', population: N[0], thinkTime: Z[0] },
          { name: 'b', population: N[1], thinkTime: Z[1] },
        ],
        stations: [{ name: 'q', servers: c, demands: { a: D[0], b: D[1] } }],
      },
      { method: 'exact' },
    );
    close(out.classes.a!.throughput, X0, 1e-9, `case ${JSON.stringify([N, c])} class a`);
    close(out.classes.b!.throughput, X1, 1e-9, `case ${JSON.stringify([N, c])} class b`);
  }
});

const arbNetwork = (maxN: number, multiServer: boolean): fc.Arbitrary<NumNetwork> =>
  fc.integer({ min: 1, max: 3 }).chain((R) =>
    fc
      .record({
        N: fc.array(fc.integer({ min: 0, max: maxN }), { minLength: R, maxLength: R }),
        Z: fc.array(fc.double({ min: 0.1, max: 10, noNaN: true }), { minLength: R, maxLength: R }),
        stations: fc.array(
          fc.record({
            delay: fc.boolean(),
            servers: multiServer ? fc.integer({ min: 1, max: 5 }) : fc.constant(1),
            D: fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: R, maxLength: R }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
      })
      .map(({ N, Z, stations }) => ({
        classes: N.map((_, r) => `c${r}`),
        N,
        Z,
        stations: stations.map((s, k) => ({ name: `s${k}`, delay: s.delay, servers: s.delay ? 1 : s.servers, copies: 1, D: s.D })),
      })),
  );

function checkLaws(net: NumNetwork, res: NumResult, tol: number): void {
  net.N.forEach((Nr, r) => {
    const X = res.X[r]!;
    const inService = net.stations.reduce((a, s, k) => a + s.copies * res.Q[k]![r]!, 0);
    // Little's law over the whole cycle: N = X·Z + Σ Q
    close(X * net.Z[r]! + inService, Nr, tol, `Little class ${r}`);
    // throughput bounds: N/(Z+ΣD) ≤ X and X·D_k/c ≤ 1
    const sumD = net.stations.reduce((a, s) => a + s.copies * s.D[r]!, 0);
    assert.ok(X <= Nr / (net.Z[r]! + sumD) + 1e-9, 'X above the no-queueing bound');
    net.stations.forEach((s, k) => {
      close(res.Q[k]![r]!, X * res.R[k]![r]!, tol, 'Little at a station');
      close(res.U[k]![r]!, (X * s.D[r]!) / (s.delay ? 1 : s.servers), tol, 'utilization law');
    });
  });
  net.stations.forEach((s, k) => {
    if (s.delay) return;
    const U = res.U[k]!.reduce((a, b) => a + b, 0);
    assert.ok(U <= 1 + 1e-9, `station ${k} utilization ${U} > 1`);
  });
}

describe('operational laws hold in the output (fast-check)', () => {
  test('exact MVA', () => {
    fc.assert(
      fc.property(arbNetwork(8, true), (net) => checkLaws(net, exactMva(net), 1e-9)),
      { numRuns: 300, seed: 42 },
    );
  });
  test('amva', () => {
    fc.assert(
      fc.property(arbNetwork(40, true), (net) => checkLaws(net, approxMva(net), 1e-6)),
      { numRuns: 300, seed: 43 },
    );
  });
  test('linearizer', () => {
    fc.assert(
      fc.property(arbNetwork(40, true), (net) => checkLaws(net, linearizerMva(net), 1e-6)),
      { numRuns: 150, seed: 44 },
    );
  });
});

function randomNet(rnd: () => number, R: number, multi: boolean): NumNetwork {
  const K = 2 + Math.floor(rnd() * 4);
  return {
    classes: [...Array(R).keys()].map((r) => `c${r}`),
    N: [...Array(R)].map(() => 5 + Math.floor(rnd() * 20)),
    Z: [...Array(R)].map(() => rnd() * 5),
    stations: [...Array(K).keys()].map((k) => ({
      name: `s${k}`,
      delay: k === 0,
      servers: multi && k === 1 ? 2 + Math.floor(rnd() * 3) : 1,
      copies: 1,
      D: [...Array(R)].map(() => 0.05 + rnd()),
    })),
  };
}

function accuracy(
  name: string,
  solver: (n: NumNetwork) => NumResult,
  rows: ReadonlyArray<readonly [number, boolean, number, number]>,
): void {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const [R, multi, meanBound, worstBound] of rows) {
    let sum = 0,
      worst = 0,
      n = 0;
    for (let t = 0; t < 150; t++) {
      const net = randomNet(rnd, R, multi);
      const e = exactMva(net),
        a = solver(net);
      net.N.forEach((_, r) => {
        const err = Math.abs(a.X[r]! - e.X[r]!) / e.X[r]!;
        sum += err;
        worst = Math.max(worst, err);
        n++;
      });
    }
    const mean = sum / n;
    console.log(
      `${name} vs exact, ${R} class(es), multi-server ${multi}: mean |ΔX|/X ${(mean * 100).toFixed(2)} %, worst ${(worst * 100).toFixed(2)} %`,
    );
    assert.ok(mean <= meanBound, `mean error ${mean} > ${meanBound}`);
    assert.ok(worst <= worstBound, `worst error ${worst} > ${worstBound}`);
  }
}

test('amva (Schweitzer–Bard + Seidmann) stays close to exact on random networks', () => {
  accuracy('amva', approxMva, [
    [1, false, 0.035, 0.08],
    [1, true, 0.035, 0.09],
    [2, false, 0.02, 0.09],
    [3, true, 0.02, 0.09],
  ]);
});

test('Linearizer is within 1–2 % of exact on single-server networks; Seidmann multi-servers add their own error', () => {
  accuracy('linearizer', linearizerMva, [
    [1, false, 0.005, 0.015],
    [2, false, 0.005, 0.015],
    [3, false, 0.005, 0.015],
    [1, true, 0.01, 0.1],
    [3, true, 0.01, 0.1],
  ]);
});

describe('validation names the field', () => {
  const bad = (net: unknown, re: RegExp) => {
    assert.throws(
      () => solve(net),
      (e: unknown) => isOsmoError(e) && e.kind === 'invalid' && re.test(e.message),
    );
  };
  test('negative demand', () =>
    bad(
      { classes: [{ name: 'a', population: 1 }], stations: [{ name: 'q', demands: { a: -1 } }] },
      /stations\[0\]\.demands\.a: must not be negative/,
    ));
  test('unknown class', () =>
    bad(
      { classes: [{ name: 'a', population: 1 }], stations: [{ name: 'q', demands: { b: 1 } }] },
      /stations\[0\]\.demands\.b: unknown class "b"/,
    ));
  test('empty network', () => bad({ classes: [], stations: [] }, /classes: the network is empty.*stations: the network is empty/));
  test('non-integer population', () =>
    bad(
      { classes: [{ name: 'a', population: 2.5 }], stations: [{ name: 'q', demands: { a: 1 } }] },
      /classes\[0\]\.population: must be an integer/,
    ));
  test('a class with no demand and no think time', () =>
    bad({ classes: [{ name: 'a', population: 2 }], stations: [{ name: 'q', demands: {} }] }, /classes\[0\]: class "a" has no think time/));
});

test('auto picks exact for small lattices and amva for large ones, and says why', () => {
  const small = solve({ classes: [{ name: 'a', population: 10, thinkTime: 1 }], stations: [{ name: 'q', demands: { a: 1 } }] });
  assert.equal(small.method, 'exact');
  assert.match(small.auto!.reason, /≤ budget/);
  const big = solve({
    classes: [1, 2, 3, 4, 5].map((i) => ({ name: `c${i}`, population: 200, thinkTime: 1 })),
    stations: [{ name: 'q', demands: { c1: 1, c2: 1, c3: 1, c4: 1, c5: 1 } }],
  });
  assert.equal(big.method, 'linearizer');
  assert.match(big.auto!.reason, /> budget.*Linearizer/);
  const many = solve({
    classes: [...Array(9).keys()].map((i) => ({ name: `c${i}`, population: 40, thinkTime: 1 })),
    stations: [{ name: 'q', demands: { c0: 1, c8: 2 } }],
  });
  assert.equal(many.method, 'amva');
  assert.match(many.auto!.reason, /9 classes > 8: amva/);
});

test('a station with copies n equals n explicit identical stations (exact, amva, linearizer)', () => {
  const withCopies: NumNetwork = {
    classes: ['x', 'y'],
    N: [6, 4],
    Z: [2, 1],
    stations: [
      { name: 't', delay: false, servers: 2, copies: 3, D: [0.4, 0.9] },
      { name: 'u', delay: false, servers: 1, copies: 2, D: [0.2, 0.05] },
      { name: 'd', delay: false, servers: 1, copies: 1, D: [0.3, 0.1] },
    ],
  };
  const explicit: NumNetwork = {
    ...withCopies,
    stations: withCopies.stations.flatMap((s) => [...Array(s.copies).keys()].map((i) => ({ ...s, name: `${s.name}${i}`, copies: 1 }))),
  };
  for (const solver of [exactMva, approxMva, linearizerMva]) {
    const a = solver(withCopies),
      b = solver(explicit);
    a.X.forEach((x, r) => close(x, b.X[r]!, 1e-7, `${solver.name} class ${r}`));
  }
});

test('a class with population 0 has every figure 0, whatever the method', () => {
  for (const method of ['exact', 'amva', 'linearizer'] as const) {
    const out = solve(
      {
        classes: [
          { name: 'a', population: 5, thinkTime: 1 },
          { name: 'b', population: 0 },
        ],
        stations: [
          { name: 'q', servers: 3, demands: { a: 1, b: 2 } },
          { name: 'd', type: 'delay', demands: { b: 1 } },
        ],
      },
      { method },
    );
    assert.deepEqual(out.classes.b, { throughput: 0, responseTime: 0 }, method);
    for (const st of Object.values(out.stations))
      assert.deepEqual([st.utilization.b, st.queueLength.b, st.residenceTime.b], [0, 0, 0], method);
    assert.ok(out.classes.a!.throughput > 0);
  }
});
