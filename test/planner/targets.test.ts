// The performance targets as CI checks, on CPU time (wall time on a shared 2-core
// CI machine measures the neighbours too). Figures and baselines: bench/planner-*.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exactMva } from '../../src/planner/mva-exact.js';
import { plan } from '../../src/planner/plan.js';
import type { NumNetwork } from '../../src/planner/network.js';
import { ROOT } from '../helpers/proc.js';

function cpuMs(f: () => unknown, runs: number): number {
  f(); // warm-up: JIT
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    t.push((c.user + c.system) / 1000);
  }
  return Math.min(...t);
}

const D = (k: number, r: number) => 0.05 + ((k * 7 + r * 13) % 11) / 20;

test('exact MVA, 4 classes × 30 jobs, 10 stations (one with 4 servers): ≤ 2 s', () => {
  const net: NumNetwork = {
    classes: ['c0', 'c1', 'c2', 'c3'],
    N: [30, 30, 30, 30],
    Z: [5, 3, 8, 2],
    stations: [...Array(10).keys()].map((k) => ({ name: `s${k}`, delay: k === 9, servers: k === 0 ? 4 : 1, copies: 1, D: [0, 1, 2, 3].map((r) => (k === 0 ? 4 : 1) * D(k, r)) })),
  };
  const ms = cpuMs(() => exactMva(net), 1);
  console.log(`exact 4×30: ${ms.toFixed(0)} ms cpu`);
  assert.ok(ms <= 2000, `${ms} ms`);
});

test('exact MVA, single class N = 5,000, 10 stations: ≤ 50 ms', () => {
  const net: NumNetwork = {
    classes: ['c0'],
    N: [5000],
    Z: [10],
    stations: [...Array(10).keys()].map((k) => ({ name: `s${k}`, delay: false, servers: k === 0 ? 4 : 1, copies: 1, D: [D(k, 0)] })),
  };
  const ms = cpuMs(() => exactMva(net), 5);
  console.log(`exact N=5000: ${ms.toFixed(1)} ms cpu`);
  assert.ok(ms <= 50, `${ms} ms`);
});

test('the shipped 3-tier, 2-provider, 20 VM type, 24-hour example is planned in ≤ 2 s', () => {
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
  const ms = cpuMs(() => plan(input, { seed: 1 }), 1);
  console.log(`plan three-tier.json: ${ms.toFixed(0)} ms cpu`);
  assert.ok(ms <= 2000, `${ms} ms`);
});
