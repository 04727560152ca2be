// Planner benchmark (issue 5): the shipped 3-tier, 2-provider, 20 VM type, 24-hour example
// planned in ≤ 2 s. Baseline in the same invocation: the same input with no restarts
// (feasible start + one local search per provider-hour).
// Run: node --import tsx bench/planner-plan.ts
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { plan, type PlanResult } from '../src/planner/plan.js';

const input = JSON.parse(readFileSync(new URL('../examples/planner/three-tier.json', import.meta.url), 'utf8')) as {
  search?: { restarts?: number };
};

function run(inp: unknown, runs: number): { ms: number; cpuMs: number; r: PlanResult } {
  let r = plan(inp, { seed: 1 });
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    r = plan(inp, { seed: 1 });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return { ms: med(wall), cpuMs: med(cpu), r };
}

const full = run(input, 5);
const base = run({ ...input, search: { ...input.search, restarts: 0 } }, 5);
// judged on CPU time: on a shared 2-core machine wall time measures the neighbours too
const ok = full.cpuMs <= 2000;
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on this machine while measuring`,
);
console.log(`plan examples/planner/three-tier.json (3 tiers, 2 providers, 20 VM types, 24 h, ${full.r.search.restarts} restarts)`);
console.log(
  `  full search   ${full.ms.toFixed(0)} ms wall (cpu ${full.cpuMs.toFixed(0)} ms), ${full.r.search.evaluations} evaluations, target ≤ 2000 ms: ${ok ? 'OK' : 'MISSED'} (cpu)${full.ms <= 2000 ? ', OK (wall)' : ', over on wall time'}`,
);
console.log(
  `  no restarts   ${base.ms.toFixed(0)} ms wall (cpu ${base.cpuMs.toFixed(0)} ms), ${base.r.search.evaluations} evaluations (baseline)`,
);
console.log(`  ratio full / baseline time = ${(full.ms / base.ms).toFixed(2)}`);
console.log(
  `  daily cost: full ${full.r.dailyCost.toFixed(2)}, no restarts ${base.r.dailyCost.toFixed(2)}, peak capacity all day ${full.r.peakPlan.dailyCost.toFixed(2)} ${full.r.currency} (plan / peak = ${(full.r.dailyCost / full.r.peakPlan.dailyCost).toFixed(3)})`,
);
// --report-only (the test suite's mode): print the figures and the verdict, never fail on a
// CPU target, which a shared machine may miss for reasons of its own.
process.exitCode = ok || process.argv.includes('--report-only') ? 0 : 1;
