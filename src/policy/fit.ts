// The hard filters every destination passes, for placement and migration alike:
// status, cordon, layer/domain/label constraints, and resource capacity.
import type { NodeSnapshot, PlacementConstraints, Resources } from '../model/index.js';
import type { PolicyDocument } from './document.js';

/** Why a node was filtered out; these strings are counted in "0/3 nodes: ..." messages. */
export type FilterReason =
  | 'not ready'
  | 'cordoned'
  | 'layer mismatch'
  | 'domain mismatch'
  | 'label mismatch'
  | 'node mismatch'
  | 'insufficient cpu'
  | 'insufficient memory';

export function constraintFilter(node: NodeSnapshot, c: PlacementConstraints): FilterReason | null {
  if (node.status !== 'ready') return 'not ready';
  if (!node.schedulable) return 'cordoned';
  if (c.layer !== undefined && node.layer !== c.layer) return 'layer mismatch';
  if (c.domain !== undefined && node.domain !== c.domain) return 'domain mismatch';
  if (c.node !== undefined && node.id !== c.node) return 'node mismatch';
  if (c.labels) for (const [k, v] of Object.entries(c.labels)) if (node.labels[k] !== v) return 'label mismatch';
  return null;
}

// Float sums of fractional cpus (0.1 + 0.2) must not refuse an exact fit.
const EPS = 1e-9;

export function capacityFilter(capacity: Resources, allocated: Resources, req: Resources): FilterReason | null {
  if (allocated.cpus + req.cpus > capacity.cpus + EPS) return 'insufficient cpu';
  if (allocated.memoryBytes + req.memoryBytes > capacity.memoryBytes) return 'insufficient memory';
  return null;
}

/**
 * Load one instance adds to a node when nobody measured it: its resource request against
 * the node's capacity, weighted like L (io unknown, counted as 0).
 */
export function estimateLoad(req: Resources, capacity: Resources, w: PolicyDocument['weights']): number {
  const sum = w.cpu + w.mem + w.io;
  if (sum <= 0) return 0;
  const cpu = capacity.cpus > 0 ? Math.min(1, req.cpus / capacity.cpus) : 0;
  const mem = capacity.memoryBytes > 0 ? Math.min(1, req.memoryBytes / capacity.memoryBytes) : 0;
  return (w.cpu * cpu + w.mem * mem) / sum;
}
