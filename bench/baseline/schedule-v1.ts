// schedule() as it was before the 2026-12-02 rewrite over typed arrays (a Candidate object and a
// key array per node), kept as the baseline of bench/scheduler-place.ts, verbatim but for the
// imports, the name (scheduleV1) and without rankNodes: the new one must pick the same nodes in
// the same order.
// schedule(): where new instances of one MEL go. Pure: a snapshot in, placements out.
// Filter (status, cordon, hard constraints, exclusions) once per node; then pick the best
// node per replica from a heap, checking capacity and the node's acceptance policy at pick
// time. Both only get stricter as replicas land, so a node refused once is dropped for good
// and the whole call is O(nodes + replicas·log nodes).
import { defaultPolicy, policyFor, type PolicyDocument, type PolicySet } from '../../src/policy/document.js';
import { accepts, projectedLoad } from '../../src/policy/acceptance.js';
import { capacityFilter, constraintFilter, estimateLoad } from '../../src/policy/fit.js';
import { tierOf } from '../../src/policy/osmotic.js';
import { Heap, lexLess } from '../../src/policy/heap.js';
import type { ClusterSnapshot, NodeSnapshot } from '../../src/model/index.js';
import type { Placement, ScheduleRequest, ScheduleResult } from '../../src/core/scheduler/types.js';

interface ScheduleParams {
  /** global policy, or global + per-node overrides (thresholds, weights, phantom weight) */
  policy?: PolicySet | PolicyDocument;
  /** spread (default): least allocated and least loaded first; binpack: fill the fullest node that fits */
  strategy?: 'spread' | 'binpack';
}

interface Candidate {
  node: NodeSnapshot;
  policy: PolicyDocument;
  cpus: number;
  mem: number;
  pending: number;
  count: number;
  tier: number;
  est: number;
  key: number[];
}

export function scheduleV1(snapshot: ClusterSnapshot, req: ScheduleRequest, params: ScheduleParams = {}): ScheduleResult {
  const policies = params.policy ?? defaultPolicy();
  const binpack = params.strategy === 'binpack';
  const { mel } = req;
  const c = mel.placement;
  const exclude = new Set(req.exclude ?? []);
  const refused = new Map<string, number>();
  const refuse = (why: string): void => void refused.set(why, (refused.get(why) ?? 0) + 1);

  const keyOf = (k: Candidate): number[] => {
    const n = k.node;
    const util = Math.max(k.cpus / n.capacity.cpus, k.mem / n.capacity.memoryBytes);
    const load = projectedLoad(
      { load: n.load, overloaded: n.overloaded, pendingLoad: k.pending },
      0,
      k.policy.management.phantomLoadWeight,
    );
    return [
      k.tier,
      c.preferDomain !== undefined && n.domain !== c.preferDomain ? 1 : 0,
      c.spread ? k.count : 0,
      binpack ? -util : util + load,
    ];
  };
  const heap = new Heap<Candidate>((x, y) => lexLess(x.key, x.node.id, y.key, y.node.id));

  for (const node of snapshot.nodes) {
    if (exclude.has(node.id)) {
      refuse('excluded');
      continue;
    }
    const why = constraintFilter(node, c);
    if (why) {
      refuse(why);
      continue;
    }
    const policy = policyFor(policies, node.id);
    const k: Candidate = {
      node,
      policy,
      cpus: node.allocated.cpus,
      mem: node.allocated.memoryBytes,
      pending: node.pendingLoad,
      count: node.mels[mel.name] ?? 0,
      tier: tierOf(node, c.preferLayer, c.preferDomain),
      est: mel.estimatedLoad ?? estimateLoad(mel.resources, node.capacity, policy.weights),
      key: [],
    };
    k.key = keyOf(k);
    heap.push(k);
  }

  const placements: Placement[] = [];
  let bestTier = Infinity;
  while (placements.length < req.count) {
    const k = heap.pop();
    if (!k) break;
    const n = k.node;
    const cap = capacityFilter(n.capacity, { cpus: k.cpus, memoryBytes: k.mem }, mel.resources);
    if (cap) {
      refuse(cap);
      continue;
    }
    const v = accepts(n.acceptance, { load: n.load, overloaded: n.overloaded, pendingLoad: k.pending }, k.est, k.policy);
    if (!v.ok) {
      refuse(`refused by acceptance: ${v.reason}`);
      continue;
    }
    bestTier = Math.min(bestTier, k.tier);
    placements.push({ node: n.id, score: -placements.length, reason: reasonFor(k, c.preferLayer, c.spread, binpack) });
    k.cpus += mel.resources.cpus;
    k.mem += mel.resources.memoryBytes;
    k.pending += k.est;
    k.count += 1;
    k.key = keyOf(k);
    heap.push(k);
  }
  // Scores: higher is better, by pick order (the heap already ranked them).
  for (const p of placements) p.score += placements.length;

  const unplaced = req.count - placements.length;
  if (unplaced === 0) return { placements, unplaced: 0 };
  const parts = [...refused.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w, n]) => `${n} ${w}`);
  const total = snapshot.nodes.length;
  const reason =
    total === 0 ? 'no nodes registered' : `${total - [...refused.values()].reduce((a, b) => a + b, 0)}/${total} nodes: ${parts.join(', ')}`;
  return { placements, unplaced, reason };
}

function reasonFor(k: Candidate, preferLayer: string | undefined, spread: boolean | undefined, binpack: boolean): string {
  const n = k.node;
  const bits: string[] = [];
  if (preferLayer)
    bits.push(k.tier === 0 ? `preferred layer ${preferLayer}` : `spill-over to ${n.layer} (no ${preferLayer} node in reach could take it)`);
  bits.push(binpack ? 'binpack' : spread ? `spread (${k.count} of this MEL here)` : 'least allocated');
  bits.push(`load ${n.load === undefined ? 'unknown' : n.load.toFixed(2)}`);
  bits.push(`cpu ${round(k.cpus)}/${n.capacity.cpus}`);
  return `${n.id} (${n.layer}/${n.domain}): ${bits.join(', ')}`;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
