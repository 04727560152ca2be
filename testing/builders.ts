// Small builders for scheduler and policy tests.
import { MelSpec } from '../src/model/index.js';
import type { MelSnapshot, NodeSnapshot } from '../src/core/scheduler/types.js';
import type { LiveNode, Mel } from '../src/core/state.js';
import type { RegisterRequest } from '../src/bus/protocol.js';
import type { InstanceRecord, InstanceState } from '../src/store/records.js';

export const GiB = 1024 ** 3;

export function node(id: string, over: Partial<NodeSnapshot> = {}): NodeSnapshot {
  return {
    id,
    status: 'ready',
    schedulable: true,
    layer: 'edge',
    domain: 'd1',
    labels: {},
    capacity: { cpus: 4, memoryBytes: 8 * GiB },
    allocated: { cpus: 0, memoryBytes: 0 },
    load: 0.1,
    overloaded: false,
    acceptance: 'always',
    pendingLoad: 0,
    images: [],
    mels: {},
    ...over,
  };
}

export function mel(name: string, over: Partial<MelSnapshot> = {}): MelSnapshot {
  return {
    name,
    image: `img/${name}:1`,
    resources: { cpus: 1, memoryBytes: 1 * GiB },
    placement: {},
    ...over,
  };
}

/** A node as the core's live state holds it (src/core/state.ts): ready, schedulable, never heard from. */
export function liveNode(id: string, over: Partial<LiveNode> = {}): LiveNode {
  return {
    id,
    address: `http://${id}`,
    layer: 'edge',
    domain: 'd',
    labels: {},
    capacity: { cpus: 1, memoryBytes: GiB },
    drivers: ['docker'],
    version: 't',
    status: 'ready',
    schedulable: true,
    draining: false,
    ackedSeq: 0,
    registeredAt: 0,
    updatedAt: 0,
    lastHeartbeat: 0,
    load: {},
    needsSync: false,
    ...over,
  };
}

/** A MEL as the core's live state holds it, its spec parsed as the API would (defaults filled in). */
export function liveMel(name: string, replicas: number, spec: Record<string, unknown> = {}): Mel {
  return { name, spec: MelSpec.parse({ name, image: 'x', replicas, ...spec }), generation: 1, createdAt: 0, updatedAt: 0 };
}

let rows = 0;
/**
 * An instance row as the store holds it (src/store/records.ts): the n-th of this process is
 * `i<n>`, named `m-<n>`, of MEL `m` on node `a`, desired running in generation 1, created at n.
 */
export function instanceRow(over: Partial<InstanceRecord> & { state: InstanceState }): InstanceRecord {
  rows++;
  return {
    id: `i${rows}`,
    mel: 'm',
    node: 'a',
    name: `m-${rows}`,
    generation: 1,
    desired: 'run',
    reason: null,
    ports: [],
    createdAt: rows,
    updatedAt: rows,
    ...over,
  };
}

/** An agent's registration, as it posts it to the core (the address defaults to one nothing answers on). */
export function registerRequest(id: string, address = 'http://127.0.0.1:1'): RegisterRequest {
  return {
    id,
    address,
    layer: 'edge',
    domain: 'lab',
    labels: {},
    capacity: { cpus: 1, memoryBytes: 1 << 30 },
    drivers: ['docker'],
    version: '0.0.0',
  };
}
