// The snapshot the scheduler and the policies decide over (Nomad style): the core builds
// it from its store, a pure function reads it, the core commits what comes out.
import type { PlacementConstraints } from './mel.js';
import type { Acceptance, NodeLayer, NodeStatus } from './node.js';
import type { Resources } from './resources.js';

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
  acceptance: Acceptance;
  /** phantom load of accepted-but-not-arrived instances: the raw sum of their estimated
   *  loads (the policy's phantomLoadWeight scales it when acceptance is judged) */
  pendingLoad: number;
  /** images present on the node (for prefer-known-destination) */
  images: string[];
  /** MEL names with an instance on this node, with counts */
  mels: Record<string, number>;
}

export interface MelSnapshot {
  name: string;
  image: string;
  resources: Resources;
  placement: PlacementConstraints;
  /** estimated load factor one instance adds to a node (for if-unloaded-after) */
  estimatedLoad?: number;
}

export interface ClusterSnapshot {
  nodes: NodeSnapshot[];
}
