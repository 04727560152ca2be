// Solver benchmarks (issue 5): exact MVA on 4 classes × 30 jobs, 10 stations, one with
// 4 servers (target ≤ 0.3 s cpu since issue 14; was 2 s), and single class N = 5,000 on 10 stations (target ≤ 50 ms).
// Baselines in the same invocation: the exact MVA as it was before its rewrite
// (bench/baseline/mva-exact-v1.ts; results must be identical, bit for bit), and amva
// (Schweitzer–Bard) on the same network.
// Run: node --import tsx bench/planner-solvers.ts
import { loadavg } from 'node:os';
import { exactMva, latticeSize } from '../src/planner/mva-exact.js';
import { exactMva as previousExactMva } from './baseline/mva-exact-v1.js';
import { approxMva } from '../src/planner/mva-approx.js';
import { linearizerMva } from '../src/planner/mva-linearizer.js';
import type { NumNetwork, NumResult } from '../src/planner/network.js';

function time(f: () => NumResult, runs: number): { ms: number; cpuMs: number; res: NumResult } {
  const wall: number[] = [];
  const cpu: number[] = [];
  let res = f();
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    res = f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return { ms: med(wall), cpuMs: med(cpu), res };
}

function report(name: string, net: NumNetwork, target: number, runs: number): boolean {
  const e = time(() => exactMva(net), runs);
  const old = time(() => previousExactMva(net), runs);
  const identical = JSON.stringify(old.res) === JSON.stringify(e.res);
  const a = time(() => approxMva(net), runs);
  const l = time(() => linearizerMva(net), runs);
  const errOf = (x: NumResult) => Math.max(...net.N.map((_, r) => Math.abs(x.X[r]! - e.res.X[r]!) / e.res.X[r]!));
  const err = errOf(a.res);
  // judged on CPU time: on a shared 2-core machine wall time measures the neighbours too
  const ok = e.cpuMs <= target && identical;
  console.log(`${name}: lattice ${latticeSize(net.N).toLocaleString('en')} states`);
  console.log(
    `  exact  ${e.ms.toFixed(2)} ms wall (cpu ${e.cpuMs.toFixed(2)} ms), target ≤ ${target} ms: ${ok ? 'OK' : 'MISSED'} (cpu)${e.ms <= target ? ', OK (wall)' : ', over on wall time'}`,
  );
  console.log(
    `  previous exact ${old.ms.toFixed(2)} ms wall (cpu ${old.cpuMs.toFixed(2)} ms, baseline): ${(old.cpuMs / e.cpuMs).toFixed(2)}x the cpu; results ${identical ? 'identical (X, R, Q, U bit for bit)' : 'DIFFER'}`,
  );
  console.log(
    `  amva   ${a.ms.toFixed(3)} ms wall (baseline), ${a.res.iterations} iterations, max |ΔX|/X vs exact ${(err * 100).toFixed(2)} %`,
  );
  console.log(`  linearizer ${l.ms.toFixed(3)} ms wall, max |ΔX|/X vs exact ${(errOf(l.res) * 100).toFixed(2)} %`);
  console.log(`  ratio exact / amva = ${(e.ms / a.ms).toFixed(1)} (wall), ${(e.cpuMs / Math.max(a.cpuMs, 1e-3)).toFixed(1)} (cpu)`);
  return ok;
}

const D = (k: number, r: number) => 0.05 + ((k * 7 + r * 13) % 11) / 20;
const multi: NumNetwork = {
  classes: ['c0', 'c1', 'c2', 'c3'],
  N: [30, 30, 30, 30],
  Z: [5, 3, 8, 2],
  stations: [...Array(10).keys()].map((k) => ({
    name: `s${k}`,
    delay: k === 9,
    servers: k === 0 ? 4 : 1,
    copies: 1,
    D: [0, 1, 2, 3].map((r) => (k === 0 ? 4 : 1) * D(k, r)),
  })),
};
const single: NumNetwork = {
  classes: ['c0'],
  N: [5000],
  Z: [10],
  stations: [...Array(10).keys()].map((k) => ({ name: `s${k}`, delay: false, servers: k === 0 ? 4 : 1, copies: 1, D: [D(k, 0)] })),
};
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on this machine while measuring`,
);
const ok1 = report('exact MVA, 4 classes × 30 jobs, 10 stations (one with 4 servers)', multi, 300, 5);
const ok2 = report('exact MVA, 1 class N = 5,000, 10 stations (one with 4 servers)', single, 50, 9);
// --report-only (the test suite's mode): print the figures and the verdict, never fail on a
// CPU target, which a shared machine may miss for reasons of its own.
process.exitCode = (ok1 && ok2) || process.argv.includes('--report-only') ? 0 : 1;
