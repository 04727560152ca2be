// One rebalancing round over 10,000 nodes and 100,000 instances (synthetic, pure module).
// Baselines measured in the same run: (1) compute L from the raw terms of every node,
// (2) that plus grouping every instance by node — the least any round must do.
// Usage: node --import tsx bench/policy-rebalance.ts [nodes] [instancesPerNode] [maxMovesPerRound]
import { applyPatch, defaultPolicy } from '../src/policy/document.js';
import { loadFactor, type LoadTerms } from '../src/policy/load.js';
import { rebalance, type InstanceSnapshot, type RebalanceNode } from '../src/policy/rebalance.js';

const NODES = Number(process.argv[2] ?? 10_000);
const PER = Number(process.argv[3] ?? 10);
const MOVES = Number(process.argv[4] ?? 1000);
const GiB = 1024 ** 3;

// Deterministic pseudo-random numbers so runs are comparable.
let seed = 42;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;

const policy = applyPatch(defaultPolicy(), { management: { maxMovesPerRound: MOVES } });
const terms: LoadTerms[] = [];
const nodes: RebalanceNode[] = [];
for (let k = 0; k < NODES; k++) {
  const layer = k % 5 === 0 ? 'cloud' : k % 5 === 1 ? 'iot' : 'edge';
  const t = { cpu: rnd() ** 0.5, mem: rnd(), io: rnd() * 0.5 };
  terms.push(t);
  const load = loadFactor(t, policy.weights);
  nodes.push({
    id: `n${k}`,
    status: 'ready',
    schedulable: true,
    layer,
    domain: `d${k % 100}`,
    labels: {},
    capacity: { cpus: 16, memoryBytes: 64 * GiB },
    allocated: { cpus: PER, memoryBytes: PER * GiB },
    load,
    loadTs: 0,
    overloaded: load >= policy.thresholds.high,
    acceptance: 'if-unloaded-after',
    pendingLoad: 0,
    images: [],
    mels: {},
  });
}
const instances: InstanceSnapshot[] = [];
for (const n of nodes) {
  for (let j = 0; j < PER; j++) {
    const mel = `m${Math.floor(rnd() * 500)}`;
    n.mels[mel] = (n.mels[mel] ?? 0) + 1;
    const edgeMel = Number(mel.slice(1)) % 2 === 0;
    instances.push({
      id: `${mel}-${instances.length}`,
      mel,
      image: `img/${mel}:1`,
      node: n.id,
      load: ((n.load ?? 0) / PER) * (0.5 + rnd()),
      resources: { cpus: 1, memoryBytes: GiB },
      placement: edgeMel ? { preferLayer: 'edge', preferDomain: n.layer === 'edge' ? n.domain : `d${Math.floor(rnd() * 100)}` } : {},
    });
  }
}

/** Median wall and CPU time (ms) of `reps` runs after one warm-up (JIT). */
function time(f: () => unknown, reps: number): { wall: number; cpu: number } {
  f();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { wall: med(walls), cpu: med(cpus) };
}

let sink = 0;
const base1 = time(() => {
  for (const t of terms) sink += loadFactor(t, policy.weights);
}, 21);
const base2 = time(() => {
  for (const t of terms) sink += loadFactor(t, policy.weights);
  const by = new Map<string, InstanceSnapshot[]>();
  for (const i of instances) {
    const a = by.get(i.node);
    if (a) a.push(i);
    else by.set(i.node, [i]);
  }
  sink += by.size;
}, 11);
let last = rebalance({ nodes, instances }, policy, 0);
const round = time(() => {
  last = rebalance({ nodes, instances }, policy, 0);
}, 11);

const over = nodes.filter((n) => n.overloaded).length;
const kinds = last.moves.reduce<Record<string, number>>((a, m) => ((a[m.kind] = (a[m.kind] ?? 0) + 1), a), {});
const f = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(2)} ms wall, ${t.cpu.toFixed(2)} ms cpu`;
console.log(`nodes ${NODES}, instances ${instances.length}, overloaded ${over}, maxMovesPerRound ${MOVES}`);
console.log(`moves ${last.moves.length} ${JSON.stringify(kinds)}, notes ${last.notes.length}`);
console.log(`baseline L for every node:            ${f(base1)}`);
console.log(`baseline L + group instances by node: ${f(base2)}`);
console.log(`rebalance round (median of 11):       ${f(round)}  (target <= 100 ms)`);
console.log(`ratio round / L-only baseline (cpu):  ${(round.cpu / Math.max(base1.cpu, 0.001)).toFixed(1)}x`);
console.log(`ratio round / L+group baseline (cpu): ${(round.cpu / base2.cpu).toFixed(2)}x`);
if (sink === -1) console.log('');
