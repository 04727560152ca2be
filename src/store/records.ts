// The records the repositories read and write: plain domain shapes, no SQL types.
// Services see only these; row <-> record mapping stays inside repos/.
import type { DesiredState, DriverName, InstanceState, NodeLayer, NodeStatus, PublishedPort, Resources } from '../model/index.js';

// a record's state field, for code that builds records (the type itself is the model's)
export type { InstanceState };

export interface NodeRecord {
  id: string;
  address: string;
  layer: NodeLayer;
  domain: string;
  labels: Record<string, string>;
  capacity: Resources;
  drivers: DriverName[];
  version: string;
  status: NodeStatus;
  /** cordon clears it: nothing new lands here */
  schedulable: boolean;
  /** drain sets it: instances move away; survives down/up */
  draining: boolean;
  ackedSeq: number;
  registeredAt: number;
  updatedAt: number;
  lastHeartbeat: number;
}

export interface MelRecord<Spec = unknown> {
  name: string;
  spec: Spec;
  /** bumped when anything but replicas changes: older instances get replaced */
  generation: number;
  createdAt: number;
  updatedAt: number;
}

export interface InstanceRecord {
  id: string;
  mel: string;
  node: string | null;
  /** container name on the agent: deterministic from the id */
  name: string;
  generation: number;
  desired: DesiredState;
  state: InstanceState;
  reason: string | null;
  ports: PublishedPort[];
  createdAt: number;
  updatedAt: number;
}

export interface EventRecord {
  id: number;
  origin: string;
  seq: number | null;
  node: string | null;
  type: string;
  ts: number;
  data: Record<string, unknown>;
}

export interface SampleRow {
  ts: number;
  node: string;
  target: string;
  metric: string;
  field: string;
  value: number;
  unit: string;
}
