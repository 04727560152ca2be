// Small builders for scheduler and policy tests.
import type { MelSnapshot, NodeSnapshot } from '../src/core/scheduler/types.js';

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
