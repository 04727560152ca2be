// The core's in-memory view of the cluster, rebuilt from the store at start. Every
// mutation goes to the store first and to memory second, so memory never holds
// something a crash would lose; reads (API, scheduler snapshots) come from memory.
import {
  commitMel,
  commitPass,
  type EventRecord,
  type InstanceRecord,
  type MelRecord,
  type NewEvent,
  type NodeRecord,
  type Store,
} from '../store/index.js';
import type { MelSpec, Resources } from '../model/index.js';

export interface LiveNode extends NodeRecord {
  /** latest host load from samples (percent); memory only */
  load: { cpu?: number; mem?: number; at?: number };
  /** true until the core has compared its instances with the agent's containers */
  needsSync: boolean;
}

export type Mel = MelRecord<MelSpec>;

/**
 * Told of every change memory takes (after the store has it). The reconciler keeps its
 * dirty sets with it, so a pass looks only at what changed instead of every instance.
 */
export interface StateWatcher {
  /** an instance row written or forgotten: its previous version (if any) and its new one (if any) */
  instance(before: InstanceRecord | undefined, after: InstanceRecord | undefined): void;
  mel(name: string): void;
  node(id: string): void;
}

export class ClusterState {
  readonly nodes = new Map<string, LiveNode>();
  readonly mels = new Map<string, Mel>();
  readonly instances = new Map<string, InstanceRecord>();
  /**
   * containers started before their instance row exists (a migration's copy, saved only at the
   * switch): the sync must not take them for orphans meanwhile
   */
  readonly provisional = new Set<string>();
  private readonly byName = new Map<string, InstanceRecord>();
  // secondary indexes: heartbeats (1000/s) and node views must not scan every instance
  private readonly byNode = new Map<string, Map<string, InstanceRecord>>();
  private readonly byMel = new Map<string, Map<string, InstanceRecord>>();

  private readonly watchers = new Set<StateWatcher>();

  constructor(readonly store: Store) {}

  /** Calls `w` on every change from now on; returns the unsubscribe. */
  watch(w: StateWatcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  async load(now = Date.now()): Promise<void> {
    for (const n of await this.store.nodes.list()) {
      // liveness is not persisted: a restarted core gives every known node a fresh grace period
      this.nodes.set(n.id, { ...n, lastHeartbeat: now, load: {}, needsSync: true });
    }
    for (const m of await this.store.mels.list<MelSpec>()) this.mels.set(m.name, m);
    for (const i of await this.store.instances.list()) this.index(i);
  }

  private index(i: InstanceRecord): void {
    const old = this.instances.get(i.id);
    if (old) this.unindex(old);
    this.instances.set(i.id, i);
    this.byName.set(i.name, i);
    add(this.byNode, i.node ?? '', i);
    add(this.byMel, i.mel, i);
    for (const w of this.watchers) w.instance(old, i);
  }

  private unindex(i: InstanceRecord): void {
    if (this.byName.get(i.name)?.id === i.id) this.byName.delete(i.name);
    this.byNode.get(i.node ?? '')?.delete(i.id);
    this.byMel.get(i.mel)?.delete(i.id);
  }

  instanceByName(name: string): InstanceRecord | undefined {
    return this.byName.get(name);
  }

  instancesOf(mel: string): InstanceRecord[] {
    return [...(this.byMel.get(mel)?.values() ?? [])];
  }

  instancesOn(node: string): InstanceRecord[] {
    return [...(this.byNode.get(node)?.values() ?? [])];
  }

  /** The instances on `node` ('' for those without one), without a copy: do not change the state while iterating. */
  eachOn(node: string): Iterable<InstanceRecord> {
    return this.byNode.get(node)?.values() ?? [];
  }

  /** The instances of `mel`, without a copy: do not change the state while iterating. */
  eachOf(mel: string): Iterable<InstanceRecord> {
    return this.byMel.get(mel)?.values() ?? [];
  }

  /** MELs that have a record or still have instances (a deleted MEL's instances are stopped before they are forgotten). */
  melNames(): string[] {
    const names = new Set(this.mels.keys());
    for (const [mel, g] of this.byMel) if (g.size > 0) names.add(mel);
    return [...names];
  }

  private nodeChanged(id: string): void {
    for (const w of this.watchers) w.node(id);
  }

  private melChanged(name: string): void {
    for (const w of this.watchers) w.mel(name);
  }

  async saveNode(n: LiveNode): Promise<void> {
    this.dirtyNodes.delete(n.id);
    await this.store.nodes.upsert(record(n));
    this.nodes.set(n.id, n);
    this.nodeChanged(n.id);
  }

  /** Several nodes in one transaction (the failure detector's changes of one tick). */
  async saveNodes(list: LiveNode[]): Promise<void> {
    for (const n of list) this.dirtyNodes.delete(n.id);
    await this.store.nodes.upsertMany(list.map(record));
    for (const n of list) {
      this.nodes.set(n.id, n);
      this.nodeChanged(n.id);
    }
  }

  private readonly dirtyNodes = new Set<string>();
  private nodeFlush: NodeJS.Timeout | null = null;
  /**
   * For fields that may lag on disk (ackedSeq after each event batch): written with other
   * dirty nodes in one transaction within 500 ms. Losing that window in a crash only means
   * the agent's next events are checked against an older seq (the events table dedupes).
   */
  touchNode(id: string): void {
    this.dirtyNodes.add(id);
    if (!this.nodeFlush) {
      this.nodeFlush = setTimeout(() => void this.flushNodes(), 500);
      this.nodeFlush.unref();
    }
  }

  async flushNodes(): Promise<void> {
    if (this.nodeFlush) clearTimeout(this.nodeFlush);
    this.nodeFlush = null;
    const list = [...this.dirtyNodes].map((id) => this.nodes.get(id)).filter((n): n is LiveNode => n !== undefined);
    this.dirtyNodes.clear();
    await this.store.nodes.upsertMany(list.map(record)).catch((e: unknown) => process.emitWarning(`node flush failed: ${String(e)}`));
  }

  async removeNode(id: string): Promise<void> {
    await this.store.nodes.remove(id);
    this.nodes.delete(id);
    this.nodeChanged(id);
  }

  async saveMel(m: Mel): Promise<void> {
    await this.store.mels.upsert(m);
    this.mels.set(m.name, m);
    this.melChanged(m.name);
  }

  /**
   * A MEL's change (`m`, or the name of a MEL to delete) with its events, in one commit
   * (commitMel in store/index.ts: one statement on PostgreSQL); memory follows only after it.
   */
  async commitMel(m: Mel | string, events: NewEvent[]): Promise<EventRecord[]> {
    const stored = await commitMel(this.store, m, events);
    if (typeof m === 'string') this.mels.delete(m);
    else this.mels.set(m.name, m);
    this.melChanged(typeof m === 'string' ? m : m.name);
    return stored;
  }

  /**
   * A MEL and its instances at once: both are in the store before memory shows either, so a
   * reconciler pass never sees the MEL without them (and places a copy) or them without it.
   */
  async saveMelWithInstances(m: Mel, list: InstanceRecord[]): Promise<void> {
    await this.store.mels.upsert(m);
    await this.store.instances.upsertMany(list);
    this.mels.set(m.name, m);
    for (const i of list) this.index(i);
    this.melChanged(m.name);
  }

  /** Forgets a MEL and its instance records at once (their containers are gone already). */
  async forgetMel(name: string): Promise<void> {
    const ids = this.instancesOf(name).map((i) => i.id);
    await this.store.instances.removeMany(ids);
    await this.store.mels.remove(name);
    this.forget(ids);
    this.mels.delete(name);
    this.melChanged(name);
  }

  async saveInstances(list: InstanceRecord[]): Promise<void> {
    await this.store.instances.upsertMany(list);
    for (const i of list) this.index(i);
  }

  async deleteInstances(ids: string[]): Promise<void> {
    await this.store.instances.removeMany(ids);
    this.forget(ids);
  }

  /**
   * A reconcile pass's commit (commitPass in store/index.ts: one statement on PostgreSQL): its instance
   * writes and deletes and its events at once; memory follows only after the commit.
   */
  async commitPass(writes: InstanceRecord[], deletes: string[], events: NewEvent[]): Promise<EventRecord[]> {
    const out = await commitPass(this.store, writes, deletes, events);
    for (const i of writes) this.index(i);
    this.forget(deletes);
    return out;
  }

  private forget(ids: string[]): void {
    for (const id of ids) {
      const i = this.instances.get(id);
      if (!i) continue;
      this.instances.delete(id);
      this.unindex(i);
      for (const w of this.watchers) w.instance(i, undefined);
    }
  }

  /** Resource requests of the instances that hold a place on `node`. */
  allocated(node: string): Resources {
    let cpus = 0;
    let memoryBytes = 0;
    for (const i of this.byNode.get(node)?.values() ?? []) {
      if (!holdsPlace(i)) continue;
      const r = this.mels.get(i.mel)?.spec.resources;
      if (!r) continue;
      cpus += r.cpus;
      memoryBytes += r.memoryBytes;
    }
    return { cpus, memoryBytes };
  }
}

function record(n: LiveNode): NodeRecord {
  const { load: _l, needsSync: _s, ...rec } = n;
  return rec;
}

/** Instances that occupy node resources from the scheduler's point of view (an unknown one keeps its place for its node's return). */
export function holdsPlace(i: InstanceRecord): boolean {
  return i.node !== null && (i.state === 'starting' || i.state === 'running' || i.state === 'stopping' || i.state === 'unknown');
}

function add(m: Map<string, Map<string, InstanceRecord>>, key: string, i: InstanceRecord): void {
  let g = m.get(key);
  if (!g) m.set(key, (g = new Map()));
  g.set(i.id, i);
}
