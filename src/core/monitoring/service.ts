// The OCCI entities the core serves: sensors, collectors and user mixins (stored as one
// document in the store's kv table, so they survive a restart), and every node and instance
// as a read-only compute resource. All validation is the pure core's (src/monitoring); this
// keeps the entities consistent: a sensor's wiring is checked with all its collectors before
// anything changes, deleting a sensor deletes its collectors, and every change is all or
// nothing, stored before it is answered.
import { randomUUID } from 'node:crypto';
import {
  applyPartialUpdate,
  checkWiring,
  renderMixin,
  COLLECTOR_ID,
  COMPUTE_ID,
  type Entity,
  entityLocation,
  type LinkEntity,
  OSMO_INFRA,
  type MixinCategory,
  parseActionInvocation,
  parseEntity,
  type ParseContext,
  Registry,
  type ResourceEntity,
  SENSOR_ID,
} from '../../monitoring/index.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import type { KvRepo } from '../../store/repos/kv.js';
import type { ClusterState } from '../state.js';
import type { SensorDeployer } from './deploy.js';
import { checkPublishers } from './publishers.js';

const KEY = 'occi.entities';

/** What is stored: entities as the pure core validated them, user mixins as their rendering. */
interface Saved {
  userMixins: Record<string, unknown>[];
  sensors: ResourceEntity[];
  collectors: LinkEntity[];
  started: string[];
}

const GiB = 1024 ** 3;
const START = 'http://schemas.ogf.org/occi/monitoring/sensor/action#start';
const STOP = 'http://schemas.ogf.org/occi/monitoring/sensor/action#stop';
const STOPPED = 'stopped: POST ?action=start to deploy it';

export class OcciService {
  readonly reg = new Registry('/occi');
  private readonly sensors = new Map<string, ResourceEntity>();
  private readonly collectors = new Map<string, LinkEntity>();
  private readonly started = new Set<string>();

  /** serialises changes: each one is applied and stored before the next starts */
  private chain: Promise<unknown> = Promise.resolve();
  /** runs the started sensors (absent: entities only, nothing deployed) */
  private deployer: SensorDeployer | undefined;

  constructor(
    private readonly state: ClusterState,
    private readonly kv?: KvRepo,
  ) {}

  /** Hands the started sensors to the deployer now and after every change. */
  attach(d: SensorDeployer): void {
    this.deployer = d;
    this.redeploy();
  }

  private redeploy(): void {
    this.deployer?.sync([...this.started].flatMap((id) => (this.sensors.has(id) ? [this.withLinks(this.sensors.get(id)!)] : [])));
  }

  /** Reads what a previous run stored. */
  async load(): Promise<void> {
    const raw = await this.kv?.get(KEY);
    if (!raw) return;
    try {
      this.restore(JSON.parse(raw) as Saved);
    } catch (e) {
      process.emitWarning(`stored OCCI entities are unreadable, starting without them: ${(e as Error).message}`);
    }
  }

  private saved(): Saved {
    return {
      userMixins: this.reg
        .mixins()
        .filter((m) => m.user)
        .map(renderMixin),
      sensors: [...this.sensors.values()],
      collectors: [...this.collectors.values()],
      started: [...this.started],
    };
  }

  private restore(s: Saved): void {
    for (const m of this.reg.mixins()) if (m.user) this.reg.removeUserMixin(m.scheme + m.term);
    for (const m of s.userMixins) this.reg.addUserMixin(m);
    this.sensors.clear();
    for (const x of s.sensors) this.sensors.set(x.id, x);
    this.collectors.clear();
    for (const x of s.collectors) this.collectors.set(x.id, x);
    this.started.clear();
    for (const id of s.started) this.started.add(id);
  }

  /**
   * Applies a change (synchronous, validated by the pure core) and stores the result; a
   * refusal or a failed write leaves memory and store as they were. Changes run one at a time.
   */
  change<T>(f: () => T): Promise<T> {
    const run = async (): Promise<T> => {
      const before = this.saved();
      const result = this.atomically(f);
      try {
        await this.kv?.set(KEY, JSON.stringify(this.saved()));
      } catch (e) {
        this.restore(before);
        throw e;
      }
      this.redeploy();
      return result;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  readonly ctx: ParseContext = {
    resolve: (location) => {
      const e = this.get(location);
      return e ? { kind: e.kind } : undefined;
    },
    newId: () => randomUUID(),
  };

  /** Nodes (`node.<id>`) and instances (`instance.<id>`) as compute resources. */
  computes(): ResourceEntity[] {
    const out: ResourceEntity[] = [];
    const osmo = OSMO_INFRA + 'osmo';
    for (const n of this.state.nodes.values()) {
      out.push({
        class: 'resource',
        kind: COMPUTE_ID,
        id: `node.${n.id}`,
        title: n.id,
        mixins: [osmo],
        links: [],
        attributes: {
          'occi.compute.hostname': n.id,
          'occi.compute.cores': n.capacity.cpus,
          'occi.compute.memory': n.capacity.memoryBytes / GiB,
          'occi.compute.state': n.status === 'ready' ? 'active' : n.status === 'down' ? 'error' : 'inactive',
          'occi.compute.state.message': n.status,
          'osmo.compute.role': 'node',
          'osmo.compute.layer': n.layer,
          'osmo.compute.domain': n.domain,
        },
      });
    }
    for (const i of this.state.instances.values()) {
      const st = i.state === 'running' ? 'active' : i.state === 'failed' || i.state === 'lost' ? 'error' : 'inactive';
      out.push({
        class: 'resource',
        kind: COMPUTE_ID,
        id: `instance.${i.id}`,
        title: i.name,
        mixins: [osmo],
        links: [],
        attributes: {
          'occi.compute.hostname': i.name,
          'occi.compute.state': st,
          'occi.compute.state.message': i.reason ?? i.state,
          'osmo.compute.role': 'instance',
          'osmo.compute.mel': i.mel,
          ...(i.node ? { 'osmo.compute.node': i.node } : {}),
        },
      });
    }
    return out;
  }

  /** A sensor as served: its collectors inside, its state as the deployer sees it. */
  private withLinks(s: ResourceEntity): ResourceEntity {
    const st = this.started.has(s.id) ? this.deployer?.stateOf(s.id) : undefined;
    const state = st ?? {
      state: 'inactive',
      message: this.started.has(s.id) ? 'started, but this server deploys nothing (no deployer)' : STOPPED,
    };
    return {
      ...s,
      links: this.collectorsOf(s),
      attributes: { ...s.attributes, 'osmo.sensor.state': state.state, 'osmo.sensor.state.message': state.message },
    };
  }

  private collectorsOf(s: ResourceEntity): LinkEntity[] {
    const loc = entityLocation(this.reg, s);
    return [...this.collectors.values()].filter((c) => c.source.location === loc);
  }

  /** Entities of a kind (or all of them), sensors with their collectors inside. */
  list(kindId?: string): Entity[] {
    const all: Entity[] = [...[...this.sensors.values()].map((s) => this.withLinks(s)), ...this.collectors.values(), ...this.computes()];
    return kindId ? all.filter((e) => this.reg.isA(e.kind, kindId)) : all;
  }

  get(location: string): Entity | undefined {
    const cut = location.lastIndexOf('/') + 1;
    const kind = this.reg.atLocation(location.slice(0, cut));
    const id = location.slice(cut);
    if (!kind || kind.class !== 'kind' || !id) return undefined;
    const k = kind.scheme + kind.term;
    if (k === SENSOR_ID) {
      const s = this.sensors.get(id);
      return s && this.withLinks(s);
    }
    if (k === COLLECTOR_ID) return this.collectors.get(id);
    if (k === COMPUTE_ID) return this.computes().find((c) => c.id === id);
    return undefined;
  }

  /** The actions an entity offers now: a started sensor offers stop, a stopped one start. */
  readonly actionsOf = (e: Entity): string[] => (e.kind === SENSOR_ID ? [this.started.has(e.id) ? STOP : START] : []);

  /** Checks a sensor with the collectors it would have; throws naming the channel. */
  private checkSensor(sensor: ResourceEntity, collectors: readonly LinkEntity[]): void {
    checkPublishers(sensor);
    checkWiring(this.reg, sensor, collectors, { requireProducers: collectors.length > 0 });
  }

  /**
   * Creates (POST on a kind's collection, or PUT on a free location) or replaces (PUT) an
   * entity. Returns whether it was created.
   */
  put(body: unknown, kindLocation: string, fixedId?: string): { entity: Entity; created: boolean } {
    const e = parseEntity(this.reg, body, this.ctx, fixedId);
    const want = this.reg.atLocation(kindLocation);
    if (!want || want.class !== 'kind' || want.scheme + want.term !== e.kind) {
      throw invalid(`kind: ${e.kind} does not belong in ${kindLocation}`, { field: 'kind' });
    }
    if (e.class === 'resource') return this.putSensor(e, fixedId !== undefined, body);
    return this.putCollector(e, fixedId !== undefined);
  }

  private putSensor(s: ResourceEntity, replace: boolean, body: unknown): { entity: Entity; created: boolean } {
    const existed = this.sensors.has(s.id);
    if (existed && !replace) throw conflict(`sensor ${s.id} already exists`);
    const gaveLinks = typeof body === 'object' && body !== null && 'links' in body;
    const own = this.collectorsOf(s);
    for (const l of s.links) {
      const other = this.collectors.get(l.id);
      if (other && !own.some((o) => o.id === l.id)) throw conflict(`collector ${l.id} already exists (of another sensor)`);
    }
    const collectors = gaveLinks ? s.links : own;
    // osmo sets the state, not the client (withLinks shows the deployer's)
    const sensor: ResourceEntity = {
      ...s,
      links: [],
      attributes: { ...s.attributes, 'osmo.sensor.state': 'inactive', 'osmo.sensor.state.message': STOPPED },
    };
    this.checkSensor(sensor, collectors);
    if (gaveLinks) for (const o of own) this.collectors.delete(o.id);
    for (const c of collectors) this.collectors.set(c.id, c);
    this.sensors.set(s.id, sensor);
    return { entity: this.withLinks(sensor), created: !existed };
  }

  private putCollector(c: LinkEntity, replace: boolean): { entity: Entity; created: boolean } {
    const existed = this.collectors.has(c.id);
    if (existed && !replace) throw conflict(`collector ${c.id} already exists`);
    const sensor = this.get(c.source.location) as ResourceEntity;
    const siblings = this.collectorsOf(sensor).filter((o) => o.id !== c.id);
    this.checkSensor(sensor, [...siblings, c]);
    if (existed && this.collectors.get(c.id)!.source.location !== c.source.location) {
      throw invalid('source: a collector cannot move to another sensor; delete it and create a new one', { field: 'source' });
    }
    this.collectors.set(c.id, c);
    return { entity: c, created: !existed };
  }

  /** Partial update (POST on an entity). */
  update(location: string, body: unknown): Entity {
    const e = this.mustGet(location);
    this.mustBeWritable(e);
    const next = applyPartialUpdate(this.reg, e, body, this.ctx);
    if (next.class === 'resource') {
      this.checkSensor(next, this.collectorsOf(next));
      this.sensors.set(next.id, { ...next, links: [] });
      return this.withLinks(next);
    }
    const sensor = this.get(next.source.location) as ResourceEntity;
    this.checkSensor(sensor, [...this.collectorsOf(sensor).filter((o) => o.id !== next.id), next]);
    this.collectors.set(next.id, next);
    return next;
  }

  /** Runs a change of several entities (and user mixins) all or nothing. */
  atomically<T>(f: () => T): T {
    const before = this.saved();
    try {
      return f();
    } catch (e) {
      this.restore(before);
      throw e;
    }
  }

  /** Associates (add) or dissociates (remove) a mixin with the entities at these locations, all or none. */
  associate(mixinId: string, locations: readonly string[], add: boolean): Entity[] {
    return this.atomically(() => this.associateEach(mixinId, locations, add));
  }

  private associateEach(mixinId: string, locations: readonly string[], add: boolean): Entity[] {
    const out: Entity[] = [];
    for (const loc of locations) {
      const e = this.mustGet(loc);
      this.mustBeWritable(e);
      if (add && e.mixins.includes(mixinId)) continue;
      if (!add) {
        if (!e.mixins.includes(mixinId)) continue;
        const mixins = e.mixins.filter((m) => m !== mixinId);
        const attributes = Object.fromEntries(
          Object.entries(e.attributes).filter(([n]) => !(this.reg.mixin(mixinId)?.attributes ?? []).some((a) => a.name === n)),
        );
        const body =
          e.class === 'link'
            ? { ...e, class: undefined, mixins, attributes }
            : { ...e, class: undefined, links: undefined, mixins, attributes };
        delete (body as { class?: unknown }).class;
        delete (body as { links?: unknown }).links;
        out.push(this.put(body, this.kindLocation(e), e.id).entity);
        continue;
      }
      out.push(this.update(loc, { mixins: [mixinId] }));
    }
    return out;
  }

  /** Defines user mixins (conformance profile 2). */
  addUserMixins(inputs: readonly unknown[]): MixinCategory[] {
    return this.atomically(() => inputs.map((m) => this.reg.addUserMixin(m)));
  }

  /** Removes a user mixin after dissociating it from every entity. */
  removeUserMixin(id: string): void {
    const m = this.reg.mixin(id);
    if (!m) throw notFound(`no mixin ${id}`);
    if (!m.user) throw invalid(`mixin ${id} is defined by the provider and cannot be removed`, { category: id });
    this.atomically(() => {
      for (const e of this.list()) if (e.mixins.includes(id)) this.associateEach(id, [entityLocation(this.reg, e)], false);
      this.reg.removeUserMixin(id);
    });
  }

  action(location: string, term: string, body: unknown): Entity {
    const e = this.mustGet(location);
    const { action } = parseActionInvocation(
      this.reg,
      e,
      term,
      body ?? { action: `${this.reg.kind(e.kind)?.actions.find((a) => a.endsWith('#' + term)) ?? term}` },
    );
    if (action === START) this.started.add(e.id);
    if (action === STOP) this.started.delete(e.id);
    return this.mustGet(location);
  }

  /** Deletes every sensor or every collector (DELETE on a kind's collection). */
  deleteAll(kindId: string): void {
    if (kindId === SENSOR_ID) {
      this.sensors.clear();
      this.collectors.clear();
      this.started.clear();
    } else if (kindId === COLLECTOR_ID) {
      // a sensor without collectors is always well wired (nothing to produce, nothing dangling added)
      this.collectors.clear();
    } else throw invalid(`${kindId}: nothing to delete here`);
  }

  delete(location: string): void {
    const e = this.mustGet(location);
    this.mustBeWritable(e);
    if (e.class === 'resource') {
      for (const c of this.collectorsOf(e)) this.collectors.delete(c.id);
      this.sensors.delete(e.id);
      this.started.delete(e.id);
      return;
    }
    const sensor = this.get(e.source.location) as ResourceEntity;
    const rest = this.collectorsOf(sensor).filter((o) => o.id !== e.id);
    this.checkSensor(sensor, rest);
    this.collectors.delete(e.id);
  }

  kindLocation(e: Entity): string {
    return this.reg.kind(e.kind)!.location!;
  }

  mustGet(location: string): Entity {
    const e = this.get(location);
    if (!e) throw notFound(`no entity at ${location}`);
    return e;
  }

  private mustBeWritable(e: Entity): void {
    if (this.reg.kind(e.kind)?.readOnly)
      throw invalid(`${entityLocation(this.reg, e)} is read-only (osmo's own view of a node or instance)`);
  }
}
