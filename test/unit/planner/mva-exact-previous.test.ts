// The rewritten exact MVA (one fused lattice walk, src/planner/mva-exact.ts) against the
// implementation it replaced (bench/baseline/mva-exact-v1.ts): the same numbers, bit for
// bit, on networks that exercise every path (copies, several multi-server stations, delays,
// zero demands, an empty class, a deep single class).
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
};

for (const [name, net] of Object.entries(nets)) {
  test(`exact MVA gives the previous implementation's numbers: ${name}`, () => {
    assert.deepStrictEqual(exactMva(net), previous(net));
  });
}
