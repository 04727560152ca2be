// schedule(): where new instances of one MEL go. Pure: a snapshot in, placements out.
// Filter (status, cordon, hard constraints, exclusions) once per node; then pick the best
// node per replica from a heap, checking capacity and the node's acceptance policy at pick
// time. Both only get stricter as replicas land, so a node refused once is dropped for good
// and the whole call is O(nodes + replicas·log nodes).
import { defaultPolicy, policyFor, type PolicyDocument, type PolicySet } from '../../policy/document.js';
import { accepts, projectedLoad } from '../../policy/acceptance.js';
import { capacityFilter, constraintFilter, estimateLoad } from '../../policy/fit.js';
import { tierOf } from '../../policy/osmotic.js';
import { lexLess } from '../../policy/heap.js';
import type { ClusterSnapshot, MelSnapshot, NodeSnapshot } from '../../model/index.js';
import type { Placement, ScheduleRequest, ScheduleResult } from './types.js';

export type * from './types.js';

export interface ScheduleParams {
  /** global policy, or global + per-node overrides (thresholds, weights, phantom weight) */
  policy?: PolicySet | PolicyDocument;
  /** spread (default): least allocated and least loaded first; binpack: fill the fullest node that fits */
  strategy?: 'spread' | 'binpack';
}

export function schedule(snapshot: ClusterSnapshot, req: ScheduleRequest, params: ScheduleParams = {}): ScheduleResult {
  const policies = params.policy ?? defaultPolicy();
  const binpack = params.strategy === 'binpack';
  const { mel } = req;
  const c = mel.placement;
  const exclude = new Set(req.exclude ?? []);
  const refused = new Map<string, number>();
  const refuse = (why: string): void => void refused.set(why, (refused.get(why) ?? 0) + 1);

  // One slot per node in typed arrays kept between calls, not an object and a key array per
  // node: a pass schedules each MEL over the whole fleet, and building 5,000 of each per call
  // was about half of the call (docs/benchmarks.md, "Scheduling without an object per node").
  // schedule() is synchronous, so one set of arrays serves all calls.
  const nodes = snapshot.nodes;
  const n = nodes.length;
  const { cpus, mem, pending, count, tier, miss, est, last, heap } = scratchFor(n);
  // per-node policies only when some node has an override (policyFor merges one per call)
  const overrides = 'global' in policies && policies.nodes !== undefined && Object.keys(policies.nodes).length > 0;
  const policyOf: PolicyDocument[] = overrides ? new Array<PolicyDocument>(n) : [];
  const single = overrides ? undefined : policyFor(policies, '');
  const policyAt = (i: number): PolicyDocument => single ?? policyOf[i]!;

  const rekey = (i: number): void => {
    const node = nodes[i]!;
    const util = Math.max(cpus[i]! / node.capacity.cpus, mem[i]! / node.capacity.memoryBytes);
    const load = projectedLoad(
      { load: node.load, overloaded: node.overloaded, pendingLoad: pending[i]! },
      0,
      policyAt(i).management.phantomLoadWeight,
    );
    last[i] = binpack ? -util : util + load;
  };
  // lower is better: tier, outside the preferred domain, copies of this MEL (spread), the last
  // key, then the node id; by differences, as lexLess compares (a NaN key decides nothing)
  const spread = c.spread === true;
  const less = (x: number, y: number): boolean => {
    let d = tier[x]! - tier[y]!;
    if (d < 0) return true;
    if (d > 0) return false;
    d = miss[x]! - miss[y]!;
    if (d < 0) return true;
    if (d > 0) return false;
    if (spread) {
      d = count[x]! - count[y]!;
      if (d < 0) return true;
      if (d > 0) return false;
    }
    d = last[x]! - last[y]!;
    if (d < 0) return true;
    if (d > 0) return false;
    return nodes[x]!.id < nodes[y]!.id;
  };

  let size = 0;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (exclude.has(node.id)) {
      refuse('excluded');
      continue;
    }
    const why = constraintFilter(node, c);
    if (why) {
      refuse(why);
      continue;
    }
    const p = single ?? (policyOf[i] = policyFor(policies, node.id));
    cpus[i] = node.allocated.cpus;
    mem[i] = node.allocated.memoryBytes;
    pending[i] = node.pendingLoad;
    count[i] = node.mels[mel.name] ?? 0;
    tier[i] = tierOf(node, c.preferLayer, c.preferDomain);
    miss[i] = c.preferDomain !== undefined && node.domain !== c.preferDomain ? 1 : 0;
    est[i] = mel.estimatedLoad ?? estimateLoad(mel.resources, node.capacity, p.weights);
    rekey(i);
    heap[size++] = i;
  }
  const down = (at: number): void => {
    for (let j = at; ;) {
      const l = 2 * j + 1;
      const r = l + 1;
      let m = j;
      if (l < size && less(heap[l]!, heap[m]!)) m = l;
      if (r < size && less(heap[r]!, heap[m]!)) m = r;
      if (m === j) return;
      const t = heap[j]!;
      heap[j] = heap[m]!;
      heap[m] = t;
      j = m;
    }
  };
  // Floyd's bottom-up build: O(nodes) rather than a push per node
  for (let j = (size >> 1) - 1; j >= 0; j--) down(j);

  const placements: Placement[] = [];
  while (placements.length < req.count && size > 0) {
    const i = heap[0]!;
    const node = nodes[i]!;
    const cap = capacityFilter(node.capacity, { cpus: cpus[i]!, memoryBytes: mem[i]! }, mel.resources);
    const verdict = cap
      ? undefined
      : accepts(node.acceptance, { load: node.load, overloaded: node.overloaded, pendingLoad: pending[i]! }, est[i]!, policyAt(i));
    if (cap || !verdict!.ok) {
      // refused once, refused for good (both only get stricter as replicas land): drop it
      refuse(cap ?? `refused by acceptance: ${(verdict as { reason: string }).reason}`);
      heap[0] = heap[--size]!;
      down(0);
      continue;
    }
    placements.push({
      node: node.id,
      score: -placements.length,
      reason: reasonFor(node, { tier: tier[i]!, count: count[i]!, cpus: cpus[i]! }, c.preferLayer, c.spread, binpack),
    });
    cpus[i] = cpus[i]! + mel.resources.cpus;
    mem[i] = mem[i]! + mel.resources.memoryBytes;
    pending[i] = pending[i]! + est[i]!;
    count[i] = count[i]! + 1;
    rekey(i);
    // it is the root, so sifting down is right whichever way its key moved: worse (one more
    // copy, more allocated) it sinks; better (binpack's fuller node) it stays on top
    down(0);
  }
  // Scores: higher is better, by pick order (the heap already ranked them).
  for (const p of placements) p.score += placements.length;

  const unplaced = req.count - placements.length;
  if (unplaced === 0) return { placements, unplaced: 0 };
  const parts = [...refused.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w, k]) => `${k} ${w}`);
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

interface Scratch {
  cpus: Float64Array;
  mem: Float64Array;
  pending: Float64Array;
  count: Float64Array;
  tier: Float64Array;
  miss: Float64Array;
  est: Float64Array;
  /** the last key: utilization plus projected load (spread), or minus utilization (binpack) */
  last: Float64Array;
  heap: Int32Array;
}
let scratch: Scratch | undefined;

/** Arrays of at least `n` slots, grown (never shrunk) as fleets grow; contents are stale. */
function scratchFor(n: number): Scratch {
  if (!scratch || scratch.heap.length < n) {
    const f = () => new Float64Array(n);
    scratch = { cpus: f(), mem: f(), pending: f(), count: f(), tier: f(), miss: f(), est: f(), last: f(), heap: new Int32Array(n) };
  }
  return scratch;
}

function reasonFor(
  n: NodeSnapshot,
  k: { tier: number; count: number; cpus: number },
  preferLayer: string | undefined,
  spread: boolean | undefined,
  binpack: boolean,
): string {
  const bits: string[] = [];
  if (preferLayer)
    bits.push(k.tier === 0 ? `preferred layer ${preferLayer}` : `spill-over to ${n.layer} (no ${preferLayer} node in reach could take it)`);
  bits.push(binpack ? 'binpack' : spread ? `spread (${k.count} of this MEL here)` : 'least allocated');
  bits.push(`load ${n.load === undefined ? 'unknown' : n.load.toFixed(2)}`);
  bits.push(`cpu ${round(k.cpus)}/${n.capacity.cpus}`);
  return `${n.id} (${n.layer}/${n.domain}): ${bits.join(', ')}`;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
