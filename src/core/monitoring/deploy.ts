// Automated deployment of started sensors (the seed's point): each sensor's pipe runs in the
// core; its collectors' metrics are measured where the targets live — the agent of the
// target's node runs the cpu/mem/net/disk monitor (holder "occi", so nobody else's monitor
// is stopped or slowed) or a probe (http-probe, tcp-reachable); instance-state is read from
// the core's own view. Samples come back through the ingest path as live events and enter
// the pipes; publishers do the I/O (publishers.ts). One pass every PASS_MS (and after each
// change) re-resolves targets, installs what is missing, removes what nobody needs and sets
// each sensor's state: deploying, active or failed, with a message.
import type { OsmoEvent } from '../../bus/events.js';
import { PubSub } from '../../bus/pubsub.js';
import type { AgentApi, ProbeRequest } from '../../client/index.js';
import type { EdgeSensorSpec } from '../../sensors/edge-protocol.js';
import { type LinkEntity, Pipe, type PipeInput, type Registry, type ResourceEntity } from '../../monitoring/index.js';
import type { ClusterState } from '../state.js';
import { due, readMonitor, readProbe } from '../../sensors/read.js';
import { makePublisher, type Publisher, type PublisherHost, type SensorValue } from './publishers.js';

/** the holder name the core's sensors use on the agents' monitors */
export const HOLDER = 'occi';
const PASS_MS = 2000;
const RESEND_MS = 20_000;
const RETRY_MS = 5000;
const TICK_MS = 250;

export type SensorState = { state: 'inactive' | 'deploying' | 'active' | 'failed'; message: string };

type Where =
  | { kind: 'monitor'; node: string; metric: 'cpu' | 'mem' | 'net' | 'disk'; source: 'host' | 'guest'; target: string }
  | { kind: 'probe'; node: string; id: string; spec: ProbeRequest }
  | { kind: 'state'; instance: string };

interface Binding {
  input: PipeInput;
  /** the MEL of the target instance, and the instance followed since the target went away (replaced, migrated) */
  mel?: string;
  followed?: string;
  pipe: Pipe;
  periodMs: number;
  lastAt: number;
  where?: Where;
  /** why it is not bound */
  problem?: string;
  waiting?: string;
}

interface Deployed {
  key: string;
  sensor: ResourceEntity;
  /** the pipe in the core; none for an edge sensor (its pipe runs on the agent of its targets' node) */
  pipe?: Pipe;
  /** placement edge: the node it runs on, or why it cannot */
  edge?: { node?: string; problem?: string };
  publishers: Publisher[];
  bindings: Binding[];
  failed?: string;
  /** outside its schedule (timebase/timestart/timestop): why */
  off?: string | undefined;
  notes: string[];
}

interface Installed {
  sig: string;
  at: number;
  monitors: Map<string, number>;
  probes: Map<string, string>;
  /** edge sensors: id → spec (JSON) */
  sensors: Map<string, string>;
  error?: string;
}

type Want = { monitors: Map<string, number>; probes: Map<string, string>; sensors: Map<string, string> };
const noWant = (): Want => ({ monitors: new Map(), probes: new Map(), sensors: new Map() });

/** What an agent says of an edge sensor process (GET /api/v1/sensor). */
type EdgeReport = Awaited<ReturnType<AgentApi['sensors']>>[number];

export interface DeployerOptions {
  state: ClusterState;
  reg: Registry;
  /** the token a node's agent accepts from the core (src/core/security: one per node) */
  /** the agent's API (REST or bus), signed with the node's command token */
  apiFor: (to: { id: string; address: string }) => AgentApi;
  host: Omit<PublisherHost, 'live' | 'problem'>;
  /** subscribes to the core's live events; returns an unsubscribe */
  subscribe: (listener: (e: OsmoEvent) => void) => () => void;
}

const idOf = (location: string): string => location.slice(location.lastIndexOf('/') + 1);
const attr = (c: LinkEntity, name: string): unknown => c.attributes[name];

export class SensorDeployer {
  /** every value a publisher delivers, on the sensor's id (SSE, `osmo sensor tail`) */
  readonly live = new PubSub<SensorValue>();
  private readonly deployed = new Map<string, Deployed>();
  private readonly installed = new Map<string, Installed>();
  private byMonitor = new Map<string, Binding[]>();
  private byProbe = new Map<string, Binding[]>();
  private byState: Binding[] = [];
  private readonly problems = new Map<string, string>();
  /** edge sensors as their agents last reported them */
  private readonly edgeReports = new Map<string, EdgeReport>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly off: () => void;
  private passing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: DeployerOptions) {
    this.off = o.subscribe((e) => this.onEvent(e));
    const pass = setInterval(() => void this.pass(), PASS_MS);
    const tick = setInterval(() => this.tick(Date.now()), TICK_MS);
    pass.unref();
    tick.unref();
    this.timers.push(pass, tick);
  }

  /** The sensors that should run (started ones, with their collectors); the rest stop. */
  sync(sensors: readonly ResourceEntity[]): void {
    const want = new Map(sensors.map((s) => [s.id, s]));
    for (const [id, d] of this.deployed) {
      const s = want.get(id);
      if (!s || keyOf(s) !== d.key) this.undeploy(id);
    }
    for (const s of sensors) if (!this.deployed.has(s.id)) this.deploy(s);
    void this.pass();
  }

  stateOf(id: string): SensorState | undefined {
    const d = this.deployed.get(id);
    if (!d) return undefined;
    if (d.failed) return { state: 'failed', message: d.failed };
    if (d.off) return { state: 'inactive', message: d.off };
    if (d.edge?.problem) return { state: 'failed', message: d.edge.problem };
    const problems = d.bindings.filter((b) => b.problem).map((b) => b.problem!);
    const installErrors = [...new Set(d.bindings.flatMap((b) => (b.where && 'node' in b.where ? [b.where.node] : [])))]
      .map((n) => this.installed.get(n)?.error)
      .filter((e): e is string => !!e);
    const waiting = d.bindings.flatMap((b) => {
      if (b.waiting) return [b.waiting];
      const w = b.where;
      if (!w || w.kind === 'state') return [];
      const i = this.installed.get(w.node);
      const done = w.kind === 'monitor' ? i?.monitors.has(`${w.metric}:${w.source}`) : i?.probes.has(w.id);
      return i?.sig && done ? [] : [`installing on node ${w.node}`];
    });
    const notes = [...d.notes, ...(this.problems.has(id) ? [this.problems.get(id)!] : [])];
    if (problems.length || installErrors.length) return { state: 'failed', message: [...problems, ...installErrors, ...notes].join('; ') };
    if (waiting.length) return { state: 'deploying', message: waiting.join('; ') };
    const where = d.bindings.map((b) => describe(b.where!)).join(', ');
    const measuring = `measuring ${where || 'nothing (no collectors)'}`;
    if (d.edge) {
      const node = d.edge.node;
      const r = this.edgeReports.get(id);
      const on = `the pipe runs on node ${node ?? '?'}`;
      if (!node || !this.installed.get(node)?.sensors.has(id) || !r)
        return { state: 'deploying', message: `starting the edge sensor process on node ${node ?? '?'}` };
      if (r.state === 'failed') return { state: 'failed', message: `${on}: ${r.problem ?? 'the process failed'}` };
      if (r.state !== 'running') return { state: 'deploying', message: `${on}: ${r.state}${r.problem ? ` (${r.problem})` : ''}` };
      return {
        state: 'active',
        message: [`${measuring}; ${on} (pid ${r.pid}, ${r.values} values)`, ...(r.problem ? [r.problem] : []), ...notes].join('; '),
      };
    }
    return { state: 'active', message: [measuring, ...notes].join('; ') };
  }

  async close(): Promise<void> {
    this.off();
    for (const t of this.timers) clearInterval(t);
    await this.passing;
    await Promise.all([...this.deployed.values()].flatMap((d) => d.publishers.map((p) => p.close().catch(() => undefined))));
    this.deployed.clear();
  }

  private deploy(s: ResourceEntity): void {
    const d: Deployed = { key: keyOf(s), sensor: s, publishers: [], bindings: [], notes: [] };
    this.deployed.set(s.id, d);
    const edge = s.attributes['osmo.sensor.placement'] === 'edge';
    if (edge) d.edge = {};
    const host: PublisherHost = {
      ...this.o.host,
      live: () => undefined,
      problem: (sensor, m) => this.problems.set(sensor, m),
    };
    try {
      // an edge sensor's pipe runs on the agent: the core only needs its inputs (which collector measures what)
      const pipe = new Pipe(this.o.reg, s, s.links, (p) => {
        if (edge) return () => undefined;
        const pub = makePublisher(s.id, p, host);
        d.publishers.push(pub);
        const asBool = p.type === 'boolean';
        return (value, ts) => {
          const v: SensorValue = { sensor: s.id, channel: p.channel, publisher: pub.term, value: asBool ? value !== 0 : value, ts };
          pub.send(v);
          this.live.publish(s.id, v);
        };
      });
      if (!edge) d.pipe = pipe;
      d.bindings = pipe.inputs.map((input) => ({
        input,
        pipe,
        periodMs: Number(attr(input.collector, 'occi.collector.period')) * 1000,
        lastAt: -Infinity,
        waiting: 'resolving the target',
      }));
    } catch (e) {
      d.failed = (e as Error).message;
      for (const p of d.publishers) void p.close();
      d.publishers = [];
    }
  }

  private undeploy(id: string): void {
    const d = this.deployed.get(id);
    if (!d) return;
    this.deployed.delete(id);
    this.problems.delete(id);
    this.edgeReports.delete(id);
    for (const p of d.publishers) void p.close().catch(() => undefined);
  }

  /** Where a collector's metric is measured, or why it cannot be (yet). */
  private resolve(b: Binding): { where?: Where; problem?: string; waiting?: string } {
    const c = b.input.collector;
    const target = idOf(c.target.location);
    const metric = b.input.metric;
    const a = (n: string) => attr(c, `osmo.metric.${metric}.${n}`);
    let node: string | null | undefined;
    let instance: { id: string; name: string } | undefined;
    if (target.startsWith('node.')) {
      node = target.slice(5);
      if (!this.o.state.nodes.has(node)) return { problem: `collector ${c.id}: no node ${node}` };
    } else if (target.startsWith('instance.')) {
      const i = this.follow(b, target.slice(9));
      if (!i) return { problem: `collector ${c.id}: no instance ${target.slice(9)}` };
      if (metric === 'instance-state') return { where: { kind: 'state', instance: i.id } };
      node = i.node;
      instance = { id: i.id, name: i.name };
      if (!node) return { waiting: `collector ${c.id}: instance ${i.name} has no node yet` };
    } else return { problem: `collector ${c.id}: target ${c.target.location} is not a node or an instance` };
    if (metric === 'instance-state') return { problem: `collector ${c.id}: instance-state needs an instance as its target` };
    if (metric === 'cpu' || metric === 'mem' || metric === 'net' || metric === 'disk') {
      return {
        where: {
          kind: 'monitor',
          node,
          metric,
          source: instance ? 'guest' : 'host',
          target: instance ? instance.name : 'host',
        },
      };
    }
    const time = b.periodMs / 1000;
    const id = `${HOLDER}.${c.id}`;
    const port = a('port') as number | undefined;
    const hostname = metric === 'tcp-reachable' ? (a('hostname') as string | undefined) : undefined;
    const at = hostname ? { host: hostname } : instance ? { instance: instance.name } : { host: '127.0.0.1' };
    if (!instance && port === undefined) return { problem: `collector ${c.id}: osmo.metric.${metric}.port is required for a node target` };
    const spec: ProbeRequest =
      metric === 'http-probe'
        ? {
            kind: 'http',
            ...at,
            ...(port !== undefined ? { port } : {}),
            path: String(a('path') ?? '/'),
            timeoutMs: Number(a('timeout') ?? 5) * 1000,
            time,
          }
        : { kind: 'tcp', ...at, port: port!, timeoutMs: Number(a('maxdelay')), time };
    return { where: { kind: 'probe', node, id, spec } };
  }

  /**
   * The target instance, or once it is gone (replaced after its node was lost, migrated) a
   * running instance of the same MEL: the sensor follows the service, not one container.
   */
  private follow(b: Binding, id: string): { id: string; name: string; node: string | null; mel: string } | undefined {
    const instances = this.o.state.instances;
    const own = instances.get(id);
    const cur = instances.get(b.followed ?? id);
    if (own && (own.state === 'running' || !b.mel)) {
      b.mel = own.mel;
      b.followed = undefined;
      return own;
    }
    if (cur && cur.state === 'running') return cur;
    const next = b.mel ? [...instances.values()].find((x) => x.mel === b.mel && x.state === 'running' && x.node) : undefined;
    if (next) {
      b.followed = next.id;
      return next;
    }
    return cur ?? own;
  }

  private onEvent(e: OsmoEvent): void {
    if (e.type === 'sample') {
      const bs = this.byMonitor.get(`${e.node}|${e.data.metric}|${e.data.source}|${e.data.target}`);
      if (bs) for (const b of bs) this.feed(b, e.ts, readMonitor(b.input, e.data.fields, e.data.source));
    } else if (e.type === 'probe') {
      const bs = this.byProbe.get(`${e.node}|${e.data.id}`);
      if (bs) for (const b of bs) this.feed(b, e.ts, readProbe(b.input, e.data.fields));
    } else if (e.type === 'sensor' && this.deployed.get(e.data.sensor)?.edge) {
      // an edge sensor's value, as its agent's process delivered it: the same live face as a core-side one
      const d = e.data;
      this.live.publish(d.sensor, { sensor: d.sensor, channel: d.channel, publisher: d.publisher, value: d.value, ts: e.ts });
    }
  }

  private feed(b: Binding, ts: number, x: number | undefined): void {
    if (x === undefined || !Number.isFinite(x)) return;
    // the agent's monitor runs at the shortest period anyone asked for: keep this collector's
    // own period (with slack for timer jitter)
    if (!due(ts, b.lastAt, b.periodMs)) return;
    b.lastAt = ts;
    b.pipe.push(b.input.handle, x, ts);
  }

  private tick(now: number): void {
    for (const b of this.byState) {
      if (now - b.lastAt < b.periodMs || b.where?.kind !== 'state') continue;
      const i = this.o.state.instances.get(b.where.instance);
      b.lastAt = now;
      b.pipe.push(b.input.handle, i?.state === 'running' ? 1 : 0, now);
    }
    for (const d of this.deployed.values()) d.pipe?.tick(now);
  }

  /** Re-resolves, indexes and installs; one at a time (a change during a pass runs another). */
  private pass(): Promise<void> {
    if (this.passing) {
      this.again = true;
      return this.passing;
    }
    this.passing = this.passOnce()
      .catch((e: unknown) => process.emitWarning(`sensor deployment pass failed: ${(e as Error).message}`))
      .finally(() => {
        this.passing = undefined;
        if (this.again) {
          this.again = false;
          void this.pass();
        }
      });
    return this.passing;
  }

  private async passOnce(): Promise<void> {
    const byMonitor = new Map<string, Binding[]>();
    const byProbe = new Map<string, Binding[]>();
    const byState: Binding[] = [];
    const want = new Map<string, Want>();
    const wantOf = (n: string) => want.get(n) ?? want.set(n, noWant()).get(n)!;
    const push = <K>(m: Map<K, Binding[]>, k: K, b: Binding) => (m.get(k) ?? m.set(k, []).get(k)!).push(b);
    const now = Date.now();
    for (const d of this.deployed.values()) {
      d.off = offSchedule(d.sensor, now);
      if (d.off) continue;
      if (d.edge) {
        this.placeEdge(d, wantOf);
        continue;
      }
      for (const b of d.bindings) {
        const r = this.resolve(b);
        if (JSON.stringify(r.where) !== JSON.stringify(b.where)) b.lastAt = -Infinity;
        b.where = r.where;
        b.problem = r.problem;
        b.waiting = r.waiting;
        const w = r.where;
        if (!w) continue;
        if (w.kind === 'state') {
          byState.push(b);
          continue;
        }
        const n = this.o.state.nodes.get(w.node);
        if (n?.status !== 'ready') b.waiting = `node ${w.node} is ${n?.status ?? 'unknown'}`;
        if (w.kind === 'monitor') {
          push(byMonitor, `${w.node}|${w.metric}|${w.source}|${w.target}`, b);
          const k = `${w.metric}:${w.source}`;
          const ms = wantOf(w.node).monitors;
          ms.set(k, Math.min(ms.get(k) ?? Infinity, b.periodMs / 1000));
        } else {
          push(byProbe, `${w.node}|${w.id}`, b);
          wantOf(w.node).probes.set(w.id, JSON.stringify(w.spec));
        }
      }
    }
    this.byMonitor = byMonitor;
    this.byProbe = byProbe;
    this.byState = byState;

    const nodes = new Set([...want.keys(), ...this.installed.keys()]);
    await Promise.all([...nodes].map((n) => this.install(n, want.get(n) ?? noWant(), now)));
  }

  /**
   * An edge sensor: its collectors' monitors and probes go on the agent of its targets' node as
   * for any sensor, and so does its pipe (a process the agent runs). All its targets must live
   * on one node, and what only the core sees (instance-state) cannot feed it.
   */
  private placeEdge(d: Deployed, wantOf: (n: string) => Want): void {
    const nodes = new Set<string>();
    const bindings: EdgeSensorSpec['bindings'] = [];
    for (const b of d.bindings) {
      const r = this.resolve(b);
      b.where = r.where;
      b.problem = r.problem;
      b.waiting = r.waiting;
      const w = r.where;
      if (!w) continue;
      if (w.kind === 'state') {
        b.problem = `collector ${b.input.collector.id}: instance-state is known only to the core; an edge sensor cannot read it (use placement core)`;
        continue;
      }
      nodes.add(w.node);
      const n = this.o.state.nodes.get(w.node);
      if (n?.status !== 'ready') b.waiting = `node ${w.node} is ${n?.status ?? 'unknown'}`;
      bindings.push({
        collector: b.input.collector.id,
        where:
          w.kind === 'monitor' ? { kind: 'monitor', metric: w.metric, source: w.source, target: w.target } : { kind: 'probe', id: w.id },
      });
    }
    d.edge =
      nodes.size > 1
        ? { problem: `placement edge needs every collector's target on one node; they are on ${[...nodes].sort().join(', ')}` }
        : {};
    const node = [...nodes][0];
    if (d.edge.problem || !node || d.bindings.some((b) => b.problem || b.waiting)) return;
    d.edge.node = node;
    const w = wantOf(node);
    for (const b of d.bindings) {
      const where = b.where!;
      if (where.kind === 'monitor') {
        const k = `${where.metric}:${where.source}`;
        w.monitors.set(k, Math.min(w.monitors.get(k) ?? Infinity, b.periodMs / 1000));
      } else if (where.kind === 'probe') w.probes.set(where.id, JSON.stringify(where.spec));
    }
    const { ['osmo.sensor.state']: _s, ['osmo.sensor.state.message']: _m, ...attributes } = d.sensor.attributes;
    const spec: EdgeSensorSpec = { sensor: { ...d.sensor, attributes } as unknown as EdgeSensorSpec['sensor'], bindings };
    w.sensors.set(d.sensor.id, JSON.stringify(spec));
  }

  /** Brings one agent to what the sensors want of it: puts what is missing, deletes what nobody needs. */
  private async install(nodeId: string, want: Want, now: number): Promise<void> {
    const n = this.o.state.nodes.get(nodeId);
    const had = this.installed.get(nodeId);
    const empty = want.monitors.size === 0 && want.probes.size === 0 && want.sensors.size === 0;
    if (!n) {
      this.installed.delete(nodeId);
      return;
    }
    // an unreachable agent keeps what we put there: it is cleaned up when it is back (a
    // restarted one, with a new registration, has nothing of ours left)
    if (n.status !== 'ready') return;
    const sig = `${n.registeredAt}|${n.address}|${JSON.stringify([...want.monitors].sort(byKey))}|${JSON.stringify([...want.probes].sort(byKey))}|${JSON.stringify([...want.sensors].sort(byKey))}`;
    const api = this.o.apiFor(n);
    // edge sensors say how their process is doing on every pass
    if (want.sensors.size > 0) await this.readEdge(nodeId, api, want);
    if (had && had.sig === sig && now - had.at < (had.error ? RETRY_MS : RESEND_MS)) return;
    const sameAgent = had && had.sig.startsWith(`${n.registeredAt}|${n.address}|`);
    try {
      for (const [k, period] of want.monitors) {
        const [metric, source] = k.split(':') as ['cpu' | 'mem' | 'net' | 'disk', 'host' | 'guest'];
        await api.monitor(metric, { time: period, source, holder: HOLDER }, 5000);
      }
      for (const [id, spec] of want.probes) await api.probe(id, JSON.parse(spec) as ProbeRequest, 5000);
      for (const [id, spec] of want.sensors) this.edgeReports.set(id, await api.putSensor(id, JSON.parse(spec) as EdgeSensorSpec, 5000));
      if (sameAgent) {
        for (const k of had.monitors.keys()) {
          if (want.monitors.has(k)) continue;
          const [metric, source] = k.split(':') as ['cpu' | 'mem' | 'net' | 'disk', 'host' | 'guest'];
          await api.stopMonitor(metric, source, HOLDER).catch(ignoreNotFound);
        }
        for (const id of had.probes.keys()) if (!want.probes.has(id)) await api.stopProbe(id).catch(ignoreNotFound);
        for (const id of had.sensors.keys()) if (!want.sensors.has(id)) await api.stopSensor(id).catch(ignoreNotFound);
      }
      if (empty) this.installed.delete(nodeId);
      else this.installed.set(nodeId, { sig, at: now, monitors: want.monitors, probes: want.probes, sensors: want.sensors });
    } catch (e) {
      this.installed.set(nodeId, {
        sig: had?.sig ?? '',
        at: now,
        monitors: new Map([...(had?.monitors ?? []), ...want.monitors]),
        probes: new Map([...(had?.probes ?? []), ...want.probes]),
        sensors: new Map([...(had?.sensors ?? []), ...want.sensors]),
        error: `node ${nodeId}: ${(e as Error).message}`,
      });
    }
  }

  private async readEdge(nodeId: string, api: AgentApi, want: Want): Promise<void> {
    try {
      const reports = new Map((await api.sensors(5000)).map((r) => [r.id, r]));
      for (const id of want.sensors.keys()) {
        const r = reports.get(id);
        if (r) this.edgeReports.set(id, r);
        else this.edgeReports.delete(id);
      }
      // an agent that lost a sensor (restarted) gets it again on this pass
      const had = this.installed.get(nodeId);
      if (had && [...want.sensors.keys()].some((id) => !reports.has(id))) had.at = -Infinity;
    } catch {
      /* the install below reports the agent's trouble */
    }
  }
}

const byKey = (a: [string, unknown], b: [string, unknown]): number => a[0].localeCompare(b[0]);

function ignoreNotFound(e: unknown): void {
  if ((e as { status?: number }).status === 404 || /: 404 /.test((e as Error).message)) return;
  throw e;
}

/**
 * The sensor's schedule (OCCI monitoring: timebase in epoch seconds, timestart/timestop in
 * seconds after it; a negative timebase suspends): undefined while it should run, otherwise
 * why not.
 */
export function offSchedule(s: ResourceEntity, nowMs: number): string | undefined {
  const base = s.attributes['occi.sensor.timebase'];
  if (typeof base !== 'number') return undefined;
  if (base < 0) return 'suspended: occi.sensor.timebase is negative';
  const start = s.attributes['occi.sensor.timestart'];
  const stop = s.attributes['occi.sensor.timestop'];
  const at = (x: number) => new Date((base + x) * 1000).toISOString();
  if (typeof start === 'number' && nowMs < (base + start) * 1000) return `scheduled: starts at ${at(start)}`;
  if (typeof stop === 'number' && nowMs >= (base + stop) * 1000) return `finished: stopped at ${at(stop)} (occi.sensor.timestop)`;
  return undefined;
}

function keyOf(s: ResourceEntity): string {
  const { attributes, ...rest } = s;
  const { ['osmo.sensor.state']: _s, ['osmo.sensor.state.message']: _m, ...attrs } = attributes;
  return JSON.stringify({ ...rest, attributes: attrs });
}

function describe(w: Where): string {
  if (w.kind === 'state') return `instance ${w.instance} state (core)`;
  if (w.kind === 'monitor') return `${w.metric}/${w.source} of ${w.target} on ${w.node}`;
  return `${w.spec.kind} probe of ${w.spec.instance ?? `${w.spec.host}:${w.spec.port}`} on ${w.node}`;
}
