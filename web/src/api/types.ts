// The shapes the dashboard reads from the core's REST API (/openapi.json is the
// reference). The agent-side event types come straight from the shared zod contract
// (type-only imports: nothing of zod reaches the bundle). Fields the core may add
// later are optional here so an older or newer core still renders.
import type { AgentEvent, SampleEvent, InstanceEvent, MetricName } from '../../../src/bus/events.js';
import type { NodeLayer, NodeCapacity } from '../../../src/bus/protocol.js';

export type { AgentEvent, SampleEvent, InstanceEvent, MetricName, NodeLayer, NodeCapacity };

export type NodeStatus = 'ready' | 'suspect' | 'down' | 'draining';

export interface NodeLoad {
  /** weighted load factor L in [0, 1] */
  factor?: number;
  cpu?: number;
  mem?: number;
  io?: number;
  overloaded?: boolean;
  /** when the core has only the measurements: percent of the node's capacity */
  at?: string;
}

export interface OsmoNode {
  id: string;
  status: NodeStatus;
  layer: NodeLayer;
  domain: string;
  labels?: Record<string, string>;
  capacity?: NodeCapacity;
  /** the core may send the load factor as a number or as its parts */
  load?: number | NodeLoad | null;
  address?: string;
  drivers?: string[];
  schedulable?: boolean;
  lastHeartbeat?: number | string;
  version?: string;
}

export interface Placement {
  layer?: NodeLayer;
  preferLayer?: NodeLayer;
  domain?: string;
  preferDomain?: string;
  labels?: Record<string, string>;
  spread?: boolean;
}

export interface Resources {
  cpus?: number;
  memoryBytes?: number;
}

export interface Mel {
  name: string;
  image: string;
  command?: string[] | string | null;
  ports?: Record<string, number | null> | null;
  env?: Record<string, string>;
  replicas: number;
  resources?: Resources;
  placement?: Placement;
  privileged?: boolean;
  createdAt?: number | string;
  updatedAt?: number | string;
}

export type InstanceState = 'pending' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface Instance {
  id: string;
  mel: string;
  node?: string | null;
  state: InstanceState | string;
  /** container or process name on the node (the `target` of guest samples) */
  name?: string;
  ports?: unknown;
  reason?: string | null;
  createdAt?: number | string;
  updatedAt?: number | string;
}

/** What the deploy form sends: POST /api/v1/mels. */
export interface MelSpec {
  name: string;
  image: string;
  command?: string[];
  ports?: Record<string, number | null>;
  env?: Record<string, string>;
  replicas: number;
  resources?: Resources;
  placement?: Placement;
}

/** One event of the core's stream: an agent event or a core-side event (node status,
 * placement, migration, policy change). Only `type` is common to all. */
export interface StreamEvent {
  type: string;
  ts?: number;
  node?: string;
  seq?: number;
  id?: string | number;
  reason?: string;
  message?: string;
  [k: string]: unknown;
}

export interface MetricPoint {
  ts: number;
  value: number;
}

export interface MetricSeries {
  node?: string;
  target?: string;
  metric?: string;
  field: string;
  unit?: string;
  points: MetricPoint[];
}

/** A run-time policy parameter (M.A.E.A.I. management attribute). */
export interface PolicyParam {
  name: string;
  value: number | string | boolean;
  description?: string;
  min?: number;
  max?: number;
  step?: number;
  options?: string[];
  unit?: string;
  group?: string;
}
