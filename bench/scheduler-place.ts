// schedule() for one MEL over a large fleet, the call a reconcile pass makes per MEL, beside
// its baseline (bench/baseline/schedule-v1.ts: an object and a key array per node) in the same
// run. Both must pick the same nodes in the same order with the same reasons, checked first
// over varied fleets (spread, binpack, preferred layer and domain, constraints, exclusions,
// full nodes, acceptance policies); the run stops if they differ.
// Run it under the core's launcher flags (bin/osmo-core.js), where the young generation is small:
//   node --max-semi-space-size=4 --heap-growing-percent=50 --import tsx bench/scheduler-place.ts [nodes] [replicas] [calls]
import { schedule } from '../src/core/scheduler/index.js';
import { defaultPolicy, type PolicySet } from '../src/policy/document.js';
import type { ClusterSnapshot, MelSnapshot, NodeSnapshot } from '../src/model/index.js';
import { scheduleV1 } from './baseline/schedule-v1.js';

const NODES = Number(process.argv[2] ?? 5000);
const REPLICAS = Number(process.argv[3] ?? 100);
const CALLS = Number(process.argv[4] ?? 300);

// deterministic pseudo-random numbers so runs are comparable
let seed = 42;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

function fleet(n: number, varied: boolean): ClusterSnapshot {
  const nodes: NodeSnapshot[] = [];
  for (let k = 0; k < n; k++)
    nodes.push({
      id: `node-${k}`,
      status: varied ? pick(['ready', 'ready', 'ready', 'down'] as const) : 'ready',
      schedulable: !varied || rnd() > 0.05,
      layer: varied ? pick(['iot', 'edge', 'cloud'] as const) : 'edge',
      domain: varied ? pick(['a', 'b', 'c']) : 'a',
      labels: varied && rnd() > 0.5 ? { zone: pick(['x', 'y']) } : {},
      capacity: { cpus: varied ? pick([0.05, 1, 4]) : 4, memoryBytes: 8 * 1024 ** 3 },
      allocated: { cpus: varied ? rnd() * 0.05 : rnd(), memoryBytes: 1e8 },
      ...(varied && rnd() < 0.2 ? {} : { load: Math.round(rnd() * 10) / 10 }),
      overloaded: varied && rnd() < 0.1,
      acceptance: varied ? pick(['always', 'always', 'never', 'if-unloaded-before', 'if-unloaded-after'] as const) : 'always',
      pendingLoad: varied ? rnd() * 0.3 : 0,
      images: [],
      mels: varied && rnd() < 0.3 ? { m: Math.floor(rnd() * 3) } : {},
    });
  return { nodes };
}

function mel(i: number, varied: boolean): MelSnapshot {
  return {
    name: varied ? 'm' : `m${i}`,
    image: 'img',
    resources: { cpus: 0.01, memoryBytes: 1024 ** 2 },
    placement: varied
      ? {
          ...(rnd() < 0.6 ? { spread: true } : {}),
          ...(rnd() < 0.3 ? { preferLayer: pick(['iot', 'edge', 'cloud'] as const) } : {}),
          ...(rnd() < 0.3 ? { preferDomain: pick(['a', 'b']) } : {}),
          ...(rnd() < 0.1 ? { labels: { zone: 'x' } } : {}),
          ...(rnd() < 0.1 ? { layer: 'edge' as const } : {}),
        }
      : { spread: true },
    ...(varied && rnd() < 0.3 ? { estimatedLoad: rnd() * 0.2 } : {}),
  };
}

// the same answers first
const perNode: PolicySet = {
  global: defaultPolicy(),
  nodes: { 'node-3': { thresholds: { high: 0.9 } }, 'node-7': { management: { phantomLoadWeight: 2 } } },
};
for (let t = 0; t < 400; t++) {
  const snap = fleet(1 + Math.floor(rnd() * 60), true);
  const params = { policy: t % 3 === 0 ? perNode : defaultPolicy(), strategy: t % 4 === 0 ? ('binpack' as const) : ('spread' as const) };
  const req = {
    mel: mel(t, true),
    count: 1 + Math.floor(rnd() * 80),
    ...(rnd() < 0.3 ? { exclude: [`node-${Math.floor(rnd() * 10)}`] } : {}),
  };
  const a = JSON.stringify(scheduleV1(snap, req, params));
  const b = JSON.stringify(schedule(snap, req, params));
  if (a !== b) throw new Error(`case ${t}: the schedulers differ\nbaseline ${a}\nnew      ${b}`);
}
console.log('same placements, order, scores and reasons as the baseline in 400 varied cases');

const snap = fleet(NODES, false);
function time(name: string, f: typeof schedule): number {
  for (let i = 0; i < 30; i++) f(snap, { mel: mel(i, false), count: REPLICAS });
  const t = performance.now();
  for (let i = 0; i < CALLS; i++) f(snap, { mel: mel(i, false), count: REPLICAS });
  const ms = (performance.now() - t) / CALLS;
  console.log(`| ${name} | ${ms.toFixed(2)} |`);
  return ms;
}
console.log(
  `\nschedule(): ${REPLICAS} replicas of a spread MEL over ${NODES} nodes, mean of ${CALLS} calls; node ${process.execArgv.filter((f) => !f.includes('tsx')).join(' ')}`,
);
console.log('| scheduler | ms per call |\n|---|---|');
const base = time('baseline (object + key array per node)', scheduleV1);
const now = time('typed arrays per call', schedule);
const base2 = time('baseline again', scheduleV1);
console.log(`\nbaseline / new: ${((base + base2) / 2 / now).toFixed(1)}×`);
