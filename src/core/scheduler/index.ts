// schedule(): where new instances of one MEL go. Pure: a snapshot in, placements out.
// Filter (status, cordon, hard constraints, exclusions) once per node; then pick the best
// node per replica from a heap, checking capacity and the node's acceptance policy at pick
// time. Both only get stricter as replicas land, so a node refused once is dropped for good
// and the whole call is O(nodes + replicas·log nodes).
import { defaultPolicy, policyFor, type PolicyDocument, type PolicySet } from '../../policy/document.js';
import { accepts, projectedLoad } from '../../policy/acceptance.js';
import { capacityFilter, constraintFilter, estimateLoad } from '../../policy/fit.js';
import { tierOf } from '../../policy/osmotic.js';
import { Heap, lexLess } from '../../policy/heap.js';
import type { ClusterSnapshot, MelSnapshot, NodeSnapshot } from '../../model/index.js';
import type { Placement, ScheduleRequest, ScheduleResult } from './types.js';

export type * from './types.js';

export interface ScheduleParams {
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

export function schedule(snapshot: ClusterSnapshot, req: ScheduleRequest, params: ScheduleParams = {}): ScheduleResult {
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

/**
 * The given nodes, best first, by the placement ranking (tier, preferred domain, then
 * utilization plus load) without the capacity and acceptance checks: each already runs a
 * copy of the MEL (a returning node's original against its replacement, disconnect.reconcile
 * best-score). Nodes the snapshot does not know, or that fail a hard constraint, come last.
 */
export function rankNodes(snapshot: ClusterSnapshot, mel: MelSnapshot, nodes: string[], params: ScheduleParams = {}): string[] {
  const policies = params.policy ?? defaultPolicy();
  const c = mel.placement;
  const key = new Map<string, number[]>();
  for (const n of snapshot.nodes) {
    if (!nodes.includes(n.id)) continue;
    const policy = policyFor(policies, n.id);
    // judged without its own copy, so that a node counting its copy (a replacement) and one
    // not counting it (a lost original) compare fairly
    const own = n.mels[mel.name] ? 1 : 0;
    const cpus = n.allocated.cpus - own * mel.resources.cpus;
    const mem = n.allocated.memoryBytes - own * mel.resources.memoryBytes;
    const util = Math.max(cpus / n.capacity.cpus, mem / n.capacity.memoryBytes);
    const load = projectedLoad(
      { load: n.load, overloaded: n.overloaded, pendingLoad: n.pendingLoad },
      0,
      policy.management.phantomLoadWeight,
    );
    key.set(n.id, [
      constraintFilter(n, c) ? 1 : 0,
      tierOf(n, c.preferLayer, c.preferDomain),
      c.preferDomain !== undefined && n.domain !== c.preferDomain ? 1 : 0,
      util + load,
    ]);
  }
  const last = [2, Infinity, 1, Infinity];
  return [...nodes].sort((a, b) => (lexLess(key.get(a) ?? last, a, key.get(b) ?? last, b) ? -1 : 1));
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
