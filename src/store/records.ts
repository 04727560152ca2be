// The records the repositories read and write: plain domain shapes, no SQL types.
// Services see only these; row <-> record mapping stays inside repos/.
import type { NodeLayer } from '../bus/protocol.js';
import type { PublishedPort } from '../runtime/types.js';

export type NodeStatus = 'ready' | 'suspect' | 'down' | 'draining';

export interface NodeRecord {
  id: string;
  address: string;
  layer: NodeLayer;
  domain: string;
  labels: Record<string, string>;
  capacity: { cpus: number; memoryBytes: number };
  drivers: Array<'docker' | 'process'>;
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

export type InstanceState = 'pending' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' | 'lost';
export type DesiredState = 'run' | 'stop';

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
