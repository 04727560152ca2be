// The scheduler's contract: a pure function over a snapshot of cluster state (Nomad style).
// The core builds a ClusterSnapshot from its store, calls schedule(), then commits the
// resulting placements to the store *before* sending any command to an agent.
import type { NodeLayer } from '../../bus/protocol.js';

export type NodeStatus = 'ready' | 'suspect' | 'down' | 'draining';
export type AcceptancePolicy = 'always' | 'if-unloaded-before' | 'if-unloaded-after' | 'never';

export interface Resources {
  cpus: number;
  memoryBytes: number;
}

export interface NodeSnapshot {
  id: string;
  status: NodeStatus;
  /** cordoned nodes accept nothing new but keep what they run */
  schedulable: boolean;
  layer: NodeLayer;
  domain: string;
  labels: Record<string, string>;
  capacity: Resources;
  /** sum of resource requests of the instances placed here (desired, not measured) */
  allocated: Resources;
  /** smoothed load factor L in [0,1]; undefined when no fresh measurement */
  load?: number;
  /** hysteresis state as kept by the policy engine */
  overloaded: boolean;
  acceptance: AcceptancePolicy;
  /** phantom load of accepted-but-not-arrived instances: the raw sum of their estimated
   *  loads (the policy's phantomLoadWeight scales it when acceptance is judged) */
  pendingLoad: number;
  /** images present on the node (for prefer-known-destination) */
  images: string[];
  /** MEL names with an instance on this node, with counts */
  mels: Record<string, number>;
}

export interface PlacementConstraints {
  /** hard: only nodes of this layer */
  layer?: NodeLayer;
  /** soft: prefer this layer, spill over to the next one (edge -> cloud) when it is overloaded or full */
  preferLayer?: NodeLayer;
  /** hard: only nodes of this domain */
  domain?: string;
  /** soft: prefer nodes of this domain (nearest) */
  preferDomain?: string;
  /** hard: node labels that must match */
  labels?: Record<string, string>;
  /** spread replicas across nodes (at most one per node while possible) */
  spread?: boolean;
}

export interface MelSnapshot {
  name: string;
  image: string;
  resources: Resources;
  placement: PlacementConstraints;
  /** estimated load factor one instance adds to a node (for if-unloaded-after) */
  estimatedLoad?: number;
}

export interface ScheduleRequest {
  mel: MelSnapshot;
  /** how many new instances to place */
  count: number;
  /** nodes to leave out (e.g. the source of a migration) */
  exclude?: string[];
}

export interface Placement {
  node: string;
  /** why this node won: for events and `osmo ps` */
  reason: string;
  score: number;
}

export interface ScheduleResult {
  placements: Placement[];
  /** instances that could not be placed, with the reason per node filter that eliminated candidates */
  unplaced: number;
  reason?: string;
}

/** A scheduler as the reconciler calls it (the core's: src/core/scheduler/module.ts). */
export type ScheduleFn = (snapshot: ClusterSnapshot, req: ScheduleRequest) => ScheduleResult;

export interface ClusterSnapshot {
  nodes: NodeSnapshot[];
}
