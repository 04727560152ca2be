// The rewritten exact MVA (one fused lattice walk with a step compiled per network,
// src/planner/mva-exact.ts and mva-exact-step.ts) against the implementation it replaced
// (bench/baseline/mva-exact-v1.ts): the same numbers, bit for bit, on networks that exercise
// every path (copies, several multi-server stations, delays, zero demands, an empty class, a
// deep single class, a network too wide for the compiled step) and on random small ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exactMva } from '../../../src/planner/mva-exact.js';
import type { NumNetwork } from '../../../src/planner/network.js';
import { exactMva as previous } from '../../../bench/baseline/mva-exact-v1.js';

const nets: Record<string, NumNetwork> = {
  'copies, two multi-server stations, a delay, an empty class': {
    classes: ['a', 'b', 'c'],
    N: [5, 0, 7],
    Z: [1, 0, 2],
    stations: [
      { name: 'x', delay: false, servers: 3, copies: 2, D: [0.3, 0.1, 0] },
      { name: 'y', delay: false, servers: 1, copies: 3, D: [0.2, 0.5, 0.4] },
      { name: 'z', delay: true, servers: 1, copies: 1, D: [1, 2, 3] },
      { name: 'w', delay: false, servers: 5, copies: 1, D: [0.5, 0.5, 0.9] },
    ],
  },
  'zero think time, a zero demand': {
    classes: ['a', 'b'],
    N: [12, 9],
    Z: [0, 0],
    stations: [
      { name: 'x', delay: false, servers: 2, copies: 1, D: [0.3, 0.1] },
      { name: 'y', delay: false, servers: 1, copies: 1, D: [0, 0.5] },
    ],
  },
  'one class near saturation, 16 servers': {
    classes: ['a'],
    N: [300],
    Z: [3],
    stations: [
      { name: 'x', delay: false, servers: 16, copies: 1, D: [0.3] },
      { name: 'y', delay: false, servers: 1, copies: 1, D: [0.01] },
    ],
  },
  'a single multi-server station alone (infinite complement throughput)': {
    classes: ['a', 'b'],
    N: [4, 3],
    Z: [0, 0],
    stations: [{ name: 'x', delay: false, servers: 2, copies: 1, D: [0.3, 0.6] }],
  },
  'single-server stations between multi-server ones': {
    classes: ['a', 'b', 'c'],
    N: [6, 8, 4],
    Z: [2, 1, 0.5],
    stations: [
      { name: 's1', delay: false, servers: 1, copies: 1, D: [0.1, 0.2, 0.3] },
      { name: 'm1', delay: false, servers: 4, copies: 2, D: [0.9, 0.4, 0.8] },
      { name: 's2', delay: false, servers: 1, copies: 2, D: [0.05, 0, 0.3] },
      { name: 's3', delay: false, servers: 1, copies: 1, D: [0.2, 0.2, 0.1] },
      { name: 'm2', delay: false, servers: 2, copies: 1, D: [0.3, 0.2, 0.5] },
    ],
  },
  'too wide for the compiled step (the generic step runs)': {
    classes: ['a', 'b'],
    N: [2, 3],
    Z: [1, 0.5],
    stations: Array.from({ length: 450 }, (_, k) => ({
      name: `s${k}`,
      delay: k % 50 === 7,
      servers: k % 100 === 3 ? 3 : 1,
      copies: 1,
      D: [((k * 7) % 13) / 100, ((k * 5) % 11) / 100],
    })),
  },
};

for (const [name, net] of Object.entries(nets)) {
  test(`exact MVA gives the previous implementation's numbers: ${name}`, () => {
    assert.deepStrictEqual(exactMva(net), previous(net));
  });
}

// Demands mix zeros, round numbers and arbitrary doubles; a class with jobs needs a think time
// or some demand (the network's schema rejects an infinite throughput before any solver runs).
const station = (classes: number) =>
  fc.record({
    delay: fc.boolean(),
    servers: fc.integer({ min: 1, max: 5 }),
    copies: fc.integer({ min: 1, max: 3 }),
    D: fc.array(fc.oneof(fc.constant(0), fc.constantFrom(0.1, 0.5, 1), fc.double({ min: 1e-3, max: 3, noNaN: true })), {
      minLength: classes,
      maxLength: classes,
    }),
  });
const randomNet = fc
  .integer({ min: 1, max: 4 })
  .chain((classes) =>
    fc.record({
      N: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: classes, maxLength: classes }),
      Z: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 5, noNaN: true })), { minLength: classes, maxLength: classes }),
      stations: fc.array(station(classes), { minLength: 1, maxLength: 6 }),
    }),
  )
  .filter(({ N, Z, stations }) => N.every((n, r) => n === 0 || Z[r]! > 0 || stations.some((s) => s.D[r]! > 0)))
  .map(({ N, Z, stations }): NumNetwork => ({
    classes: N.map((_, r) => `c${r}`),
    N,
    Z,
    stations: stations.map((s, k) => ({ name: `s${k}`, ...s })),
  }));

test("exact MVA gives the previous implementation's numbers, bit for bit, on random small networks", () => {
  fc.assert(
    fc.property(randomNet, (net) => {
      assert.deepStrictEqual(exactMva(net), previous(net));
    }),
    { numRuns: 300 },
  );
});
