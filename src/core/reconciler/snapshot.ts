// The scheduler's view of the cluster, built from the core's memory once per pass and
// kept current inside the pass as placements are decided.
import type { ClusterSnapshot, NodeSnapshot, Resources } from '../../model/index.js';
import { holdsPlace, type ClusterState } from '../state.js';

export type ClusterView = Pick<ClusterState, 'nodes' | 'mels' | 'instances'>;

export function buildSnapshot(state: ClusterView): ClusterSnapshot {
  const nodes = new Map<string, NodeSnapshot>();
  for (const n of state.nodes.values()) {
    nodes.set(n.id, {
      id: n.id,
      status: n.draining && n.status !== 'down' ? 'draining' : n.status,
      schedulable: n.schedulable && !n.draining,
      layer: n.layer,
      domain: n.domain,
      labels: n.labels,
      capacity: n.capacity,
      allocated: { cpus: 0, memoryBytes: 0 },
      load: n.load.cpu === undefined ? undefined : Math.min(1, Math.max(0, (n.load.cpu ?? 0) / 100)),
      overloaded: false,
      acceptance: 'always',
      pendingLoad: 0,
      images: [],
      mels: {},
    });
  }
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

/** Keeps a snapshot current inside one pass after placements are decided. */
export function applyToSnapshot(snap: ClusterSnapshot, node: string, mel: string, image: string, r: Resources): void {
  const s = indexOf(snap).get(node);
  if (!s) return;
  s.allocated.cpus += r.cpus;
  s.allocated.memoryBytes += r.memoryBytes;
  s.mels[mel] = (s.mels[mel] ?? 0) + 1;
  if (!s.images.includes(image)) s.images.push(image);
}

const indexes = new WeakMap<ClusterSnapshot, Map<string, NodeSnapshot>>();
function indexOf(snap: ClusterSnapshot): Map<string, NodeSnapshot> {
  let m = indexes.get(snap);
  if (!m) indexes.set(snap, (m = new Map(snap.nodes.map((n) => [n.id, n]))));
  return m;
}
