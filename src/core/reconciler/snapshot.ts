// The scheduler's view of the cluster, built from the core's memory once per pass and
// kept current inside the pass as placements are decided.
import type { ClusterSnapshot, NodeSnapshot, Resources } from '../../model/index.js';
import { holdsPlace, type ClusterState, type LiveNode } from '../state.js';

export type ClusterView = Pick<ClusterState, 'nodes' | 'mels' | 'instances'>;

export function buildSnapshot(state: ClusterView): ClusterSnapshot {
  const nodes = new Map<string, NodeSnapshot>();
  for (const n of state.nodes.values()) nodes.set(n.id, nodeSnapshot(n, { allocated: { cpus: 0, memoryBytes: 0 }, mels: {}, images: [] }));
  for (const i of state.instances.values()) {
    if (!holdsPlace(i) || i.node === null) continue;
    const s = nodes.get(i.node);
    const r = state.mels.get(i.mel)?.spec.resources;
    if (!s) continue;
    if (r) {
      s.allocated.cpus += r.cpus;
      s.allocated.memoryBytes += r.memoryBytes;
    }
    s.mels[i.mel] = (s.mels[i.mel] ?? 0) + 1;
    const image = state.mels.get(i.mel)?.spec.image;
    if (image && !s.images.includes(image)) s.images.push(image);
  }
  return { nodes: [...nodes.values()] };
}

/** The scheduler's view of one node: its own fields as they are now, with the given sums of what it holds. */
function nodeSnapshot(n: LiveNode, p: Placed): NodeSnapshot {
  return {
    id: n.id,
    status: n.draining && n.status !== 'down' ? 'draining' : n.status,
    schedulable: n.schedulable && !n.draining,
    layer: n.layer,
    domain: n.domain,
    labels: n.labels,
    capacity: n.capacity,
    allocated: p.allocated,
    load: n.load.cpu === undefined ? undefined : Math.min(1, Math.max(0, (n.load.cpu ?? 0) / 100)),
    overloaded: false,
    acceptance: 'always',
    pendingLoad: 0,
    images: p.images,
    mels: p.mels,
  };
}

/** Keeps a snapshot current inside one pass after placements are decided. */
export function applyToSnapshot(snap: ClusterSnapshot, node: string, mel: string, image: string, r: Resources): void {
  const s = indexOf(snap).get(node);
  if (!s) return;
  if (shared.has(s)) {
    // the first change to a node whose sums SnapshotCache lent: copy them first
    s.allocated = { ...s.allocated };
    s.mels = { ...s.mels };
    s.images = [...s.images];
    shared.delete(s);
  }
  s.allocated.cpus += r.cpus;
  s.allocated.memoryBytes += r.memoryBytes;
  s.mels[mel] = (s.mels[mel] ?? 0) + 1;
  if (!s.images.includes(image)) s.images.push(image);
}

const indexes = new WeakMap<ClusterSnapshot, Map<string, NodeSnapshot>>();
/** nodes whose allocated/mels/images are SnapshotCache's own (read-only until copied) */
const shared = new WeakSet<NodeSnapshot>();
function indexOf(snap: ClusterSnapshot): Map<string, NodeSnapshot> {
  let m = indexes.get(snap);
  if (!m) indexes.set(snap, (m = new Map(snap.nodes.map((n) => [n.id, n]))));
  return m;
}

interface Placed {
  allocated: Resources;
  mels: Record<string, number>;
  images: string[];
}

const EMPTY: Readonly<Placed> = Object.freeze({
  allocated: Object.freeze({ cpus: 0, memoryBytes: 0 }),
  mels: Object.freeze({}),
  images: Object.freeze([]) as unknown as string[],
});

/**
 * buildSnapshot() for the reconciler's passes at scale: what the instances add up to on each
 * node (allocated resources, MEL counts, images) is kept between passes and recomputed only
 * for the nodes whose instances or MELs changed, so a pass costs O(nodes + changes), not
 * O(instances). With 10,000 replicas, rebuilding all of it on every pass (a pass follows each
 * burst of agent acknowledgements) took most of the core's CPU while placing.
 * The node fields themselves (status, load, labels) are read fresh on every build.
 */
export class SnapshotCache {
  private readonly placed = new Map<string, Placed>();
  private readonly dirty = new Set<string>();
  private all = true;

  constructor(private readonly state: ClusterState) {}

  /** An instance on `node` changed, or something it counts (its MEL's resources or image). */
  touch(node: string | null): void {
    if (node !== null) this.dirty.add(node);
  }

  touchMel(mel: string): void {
    for (const i of this.state.eachOf(mel)) this.touch(i.node);
  }

  build(): ClusterSnapshot {
    const { state } = this;
    if (this.all) {
      this.placed.clear();
      for (const id of state.nodes.keys()) this.dirty.add(id);
      this.all = false;
    }
    for (const id of this.dirty) this.recompute(id);
    this.dirty.clear();
    const nodes: NodeSnapshot[] = [];
    for (const n of state.nodes.values()) {
      // lent, not copied: applyToSnapshot copies a node's sums before a pass adds to them
      const s = nodeSnapshot(n, this.placed.get(n.id) ?? EMPTY);
      shared.add(s);
      nodes.push(s);
    }
    return { nodes };
  }

  private recompute(node: string): void {
    const p: Placed = { allocated: { cpus: 0, memoryBytes: 0 }, mels: {}, images: [] };
    let any = false;
    for (const i of this.state.eachOn(node)) {
      if (!holdsPlace(i)) continue;
      any = true;
      const spec = this.state.mels.get(i.mel)?.spec;
      if (spec) {
        p.allocated.cpus += spec.resources.cpus;
        p.allocated.memoryBytes += spec.resources.memoryBytes;
      }
      p.mels[i.mel] = (p.mels[i.mel] ?? 0) + 1;
      if (spec && !p.images.includes(spec.image)) p.images.push(spec.image);
    }
    // frozen: a snapshot lends them, and a change that forgot to copy first must fail loudly
    // (ES modules are strict) rather than corrupt the sums of every later pass
    if (any)
      this.placed.set(node, {
        allocated: Object.freeze(p.allocated),
        mels: Object.freeze(p.mels),
        images: Object.freeze(p.images) as string[],
      });
    else this.placed.delete(node);
  }
}
