// Desired-state operations on MELs. Each commits its change and its event together and kicks
// the reconciler; placement happens there, never here.
import { conflict, notFound } from '../../shared/errors.js';
import type { CoreEventData } from '../../bus/events.js';
import type { EventLog } from '../events/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState, Mel } from '../state.js';
import type { MelBody, MelSpec, MelView } from '../../model/index.js';
import { sameTemplate } from './schema.js';

export class MelService {
  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly reconciler: Reconciler,
  ) {}

  list(): MelView[] {
    return [...this.state.mels.values()].sort((a, b) => a.name.localeCompare(b.name)).map((m) => this.view(m));
  }

  get(name: string): MelView {
    return this.view(this.require(name));
  }

  private require(name: string): Mel {
    const m = this.state.mels.get(name);
    if (!m) throw notFound(`MEL ${name} not found`);
    return m;
  }

  async create(spec: MelSpec): Promise<MelView> {
    if (this.state.mels.has(spec.name)) throw conflict(`MEL ${spec.name} already exists; use PUT /api/v1/mels/${spec.name} to change it`);
    const now = Date.now();
    const m: Mel = { name: spec.name, spec, generation: 1, createdAt: now, updatedAt: now };
    await this.commit(m, { action: 'create', mel: spec.name, replicas: spec.replicas, image: spec.image });
    this.reconciler.kick();
    return this.view(m);
  }

  async put(name: string, body: MelBody): Promise<{ view: MelView; created: boolean }> {
    const old = this.state.mels.get(name);
    if (!old) return { view: await this.create({ ...body, name }), created: true };
    const spec: MelSpec = { ...body, name };
    const now = Date.now();
    const generation = sameTemplate(old.spec, spec) ? old.generation : old.generation + 1;
    const m: Mel = { ...old, spec, generation, updatedAt: now };
    await this.commit(m, { action: 'update', mel: name, replicas: spec.replicas, generation });
    this.reconciler.kick();
    return { view: this.view(m), created: false };
  }

  async scale(name: string, replicas: number): Promise<MelView> {
    const old = this.require(name);
    const m: Mel = { ...old, spec: { ...old.spec, replicas }, updatedAt: Date.now() };
    await this.commit(m, { action: 'scale', mel: name, replicas, previous: old.spec.replicas });
    this.reconciler.kick();
    return this.view(m);
  }

  async remove(name: string): Promise<void> {
    this.require(name);
    await this.commit(name, { action: 'delete', mel: name });
    this.reconciler.kick();
  }

  /** The MEL's change and its event in one commit, published after it (a MEL is never stored without its event). */
  private async commit(m: Mel | string, data: CoreEventData<'mel'>): Promise<void> {
    const stored = await this.state.commitMel(m, this.events.stampCore([{ type: 'mel', node: null, data }]));
    this.events.publishStored(stored);
  }

  view(m: Mel): MelView {
    const insts = this.state.instancesOf(m.name).filter((i) => i.desired === 'run');
    const count = (s: string) => insts.filter((i) => i.state === s).length;
    const pendingReason = insts.find((i) => i.state === 'pending')?.reason ?? undefined;
    return {
      ...m.spec,
      generation: m.generation,
      createdAt: new Date(m.createdAt).toISOString(),
      updatedAt: new Date(m.updatedAt).toISOString(),
      status: {
        desired: m.spec.replicas,
        running: count('running'),
        pending: count('pending'),
        starting: count('starting'),
        failed: count('failed'),
        ...(count('unknown') ? { unknown: count('unknown') } : {}),
        ...(pendingReason ? { reason: pendingReason } : {}),
      },
    };
  }
}
