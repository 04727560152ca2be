// MockRuntime: an in-memory runtime driver for unit tests of the agent's services (Nomad
// ships a mock driver for the same reason). It runs nothing: deploy records a spec, stats
// answer what the test set, watch() hears what the test emits. It is a fake by design and
// must never stand in where a test claims Docker or real processes — those are the e2e tests.
import { OsmoError } from '../src/shared/errors.js';
import {
  LABEL_NAME,
  LABEL_NODE,
  type DeploySpec,
  type GuestStats,
  type InstanceChange,
  type InstanceInfo,
  type PullProgress,
  type Runtime,
} from '../src/runtime/types.js';
import type { ContainerState } from '../src/model/index.js';

export interface MockRuntimeOptions {
  nodeId?: string;
  /** pull progress reported for every deploy, in order */
  pull?: PullProgress[];
}

export class MockRuntime implements Runtime {
  readonly driver = 'docker' as const;
  readonly nodeId: string;
  readonly instances = new Map<string, InstanceInfo>();
  /** every call the services made, in order: `deploy web`, `stats web`, `list` … */
  readonly calls: string[] = [];
  /** set by a test: the next deploy fails with this error (then clears) */
  failNextDeploy: Error | undefined;
  /** set by a test: what stats() answers per instance */
  readonly stats_ = new Map<string, Omit<GuestStats, 'name' | 'ts'>>();
  private readonly listeners = new Set<(c: InstanceChange) => void>();
  private seq = 0;

  constructor(private readonly o: MockRuntimeOptions = {}) {
    this.nodeId = o.nodeId ?? 'mock-node';
  }

  async deploy(spec: DeploySpec, onProgress?: (p: PullProgress) => void): Promise<InstanceInfo> {
    this.calls.push(`deploy ${spec.name}`);
    if (this.failNextDeploy) {
      const e = this.failNextDeploy;
      this.failNextDeploy = undefined;
      throw e;
    }
    if (this.instances.has(spec.name)) throw new OsmoError('conflict', `name: "${spec.name}" is taken`);
    for (const p of this.o.pull ?? []) onProgress?.(p);
    const info: InstanceInfo = {
      name: spec.name,
      id: `mock-${++this.seq}`,
      driver: this.driver,
      image: spec.image,
      command: spec.command ?? [],
      state: 'running',
      createdAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      ports: [],
      labels: { ...spec.labels, [LABEL_NODE]: this.nodeId, [LABEL_NAME]: spec.name },
    };
    this.instances.set(spec.name, info);
    return info;
  }

  async remove(name: string): Promise<{ imageRemoved: boolean }> {
    this.calls.push(`remove ${name}`);
    if (!this.instances.delete(name)) throw new OsmoError('not_found', `no deployment named "${name}"`);
    return { imageRemoved: false };
  }

  async list(): Promise<InstanceInfo[]> {
    this.calls.push('list');
    return [...this.instances.values()];
  }

  async get(name: string): Promise<InstanceInfo | undefined> {
    return this.instances.get(name);
  }

  async stats(name: string): Promise<GuestStats> {
    this.calls.push(`stats ${name}`);
    const s = this.stats_.get(name);
    if (!this.instances.has(name) || !s) throw new OsmoError('not_found', `no stats for "${name}"`);
    return { name, ts: Date.now(), ...s };
  }

  async hasImage(image: string): Promise<boolean> {
    return [...this.instances.values()].some((i) => i.image === image);
  }

  watch(listener: (c: InstanceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What the engine would report on its own: a state change of one instance. */
  emit(name: string, state: ContainerState, reason?: string): void {
    const info = this.instances.get(name);
    if (info) info.state = state;
    for (const l of this.listeners) l({ name, state, ...(reason ? { reason } : {}), ...(info ? { info } : {}) });
  }

  get watchers(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
