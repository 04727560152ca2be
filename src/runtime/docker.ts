// The docker driver: instances are containers on one Docker engine, which several agents may
// share. Ownership is a label (LABEL_NODE = nodeId): every read filters on it, every write
// checks it, so one agent never sees or touches another's containers. There is no local
// state at all — adopt-after-restart is simply list() over the labels.
import Docker from './dockerode.js';
import { OsmoError, invalid, notFound } from '../shared/errors.js';
import { engineStatus, fromEngine } from './docker-errors.js';
import { DockerEventWatcher } from './docker-events.js';
import { toInstanceInfo } from './docker-info.js';
import { execCheck } from './docker-exec.js';
import { demuxLogs, tailBytes } from './docker-logs.js';
import { DEFAULT_CHECK_TIMEOUT_MS, dialHost, tcpCheck } from './health.js';
import { pullImage } from './docker-pull.js';
import { createOptions, normaliseImageRef } from './docker-spec.js';
import { withName } from './docker-stats.js';
import { StatsStreams } from './docker-stats-stream.js';
import { CgroupStats } from './cgroup-stats.js';
import { boundEngine, type BoundEngine, type EngineLimits } from './docker-engine.js';
import {
  LABEL_NODE,
  type DeploySpec,
  type EngineLoad,
  type GuestStats,
  type HealthCheckSpec,
  type HealthResult,
  type InstanceChange,
  type InstanceInfo,
  type PullProgress,
  type Runtime,
} from './types.js';

const SEEN_TTL_MS = 10_000;

interface Seen {
  id: string;
  at: number;
  pid: number;
  /** ms since epoch */
  startedAt: number;
}

export interface DockerRuntimeOptions {
  nodeId: string;
  /** Address published ports bind to. Loopback by default; an agent on a real machine may want 0.0.0.0. */
  hostIp?: string;
  /** Seconds between SIGTERM and SIGKILL on remove. */
  stopGraceSeconds?: number;
  /** An engine client; default `new Docker()`, which honours DOCKER_HOST (unix://, tcp://, ssh://). Its calls get bounded (docker-engine.ts). */
  docker?: Docker;
  /** How much may be asked of the engine at once (docker-engine.ts has the defaults). */
  engine?: EngineLimits;
  /**
   * Where guest stats come from: `auto` reads a container's cgroup files when they
   * are reachable from this host and asks the engine's stats stream otherwise; `engine`
   * always asks the engine (the default; docs/decisions.md, 2026-12-01).
   */
  guestStats?: GuestStatsSource;
}

export type GuestStatsSource = 'auto' | 'engine';

export class DockerRuntime implements Runtime {
  readonly driver = 'docker' as const;
  readonly nodeId: string;
  readonly docker: Docker;
  private readonly hostIp: string;
  private readonly grace: number;
  private readonly events: DockerEventWatcher;
  /** name -> id (with its init pid and start) of a running container of ours, as last inspected (see stats()) */
  private readonly seen = new Map<string, Seen>();
  /** one engine stats stream per container being sampled (see stats()) */
  private readonly statsStreams: StatsStreams;
  /** the containers' cgroup files, when the agent shares the engine's host (see stats()) */
  private readonly cgroups: CgroupStats | undefined;
  /** container id -> its InstanceInfo, valid while the container stays in `state` (see list()) */
  private readonly inspected = new Map<string, { state: string; info: InstanceInfo }>();
  private readonly engine: BoundEngine;
  /**
   * Reads already on their way to the engine, which an identical read joins instead of asking
   * again (a heartbeat, a monitor tick and an API call all list at once on a slow engine). Keys
   * carry `epoch`, bumped by every deploy and remove of this runtime: a read that began before
   * one of ours ended may miss its effect, so later callers do not join it.
   */
  private readonly pending = new Map<string, Promise<unknown>>();
  private epoch = 0;
  constructor(opts: DockerRuntimeOptions) {
    if (!opts.nodeId) throw invalid('docker runtime needs a node id');
    this.nodeId = opts.nodeId;
    this.hostIp = opts.hostIp ?? '127.0.0.1';
    this.grace = opts.stopGraceSeconds ?? 10;
    this.docker = opts.docker ?? new Docker();
    this.engine = boundEngine(this.docker, opts.engine);
    this.events = new DockerEventWatcher(this.docker, this.nodeId);
    this.statsStreams = new StatsStreams(this.docker);
    if (opts.guestStats === 'auto') {
      const cg = new CgroupStats();
      if (cg.available()) this.cgroups = cg;
    }
  }

  async deploy(spec: DeploySpec, onProgress?: (p: PullProgress) => void): Promise<InstanceInfo> {
    try {
      return await this.deployOnce(spec, onProgress);
    } finally {
      this.epoch++;
    }
  }

  private async deployOnce(spec: DeploySpec, onProgress?: (p: PullProgress) => void): Promise<InstanceInfo> {
    if (!spec.image) throw invalid('image is required for the docker driver', { field: 'image' });
    const body = createOptions(spec, this.nodeId, this.hostIp);
    // Fail fast on a taken name before a possibly long pull; the create below re-checks (races).
    await this.assertNameFree(spec.name);
    if (!(await this.hasImage(spec.image))) await pullImage(this.docker, spec.image, onProgress);
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(body);
    } catch (e) {
      if (engineStatus(e) === 409) throw this.nameTaken(spec.name);
      throw fromEngine(e, `create of container "${spec.name}" from "${spec.image}" failed`);
    }
    try {
      await container.start();
    } catch (e) {
      // Leave nothing half-made behind: the caller sees one failed deploy, not a stray container.
      await container.remove({ force: true, v: true }).catch(() => {});
      const err = fromEngine(e, `start of container "${spec.name}" failed`);
      if (/port is already allocated|address already in use/i.test(err.message)) {
        throw new OsmoError('conflict', `${err.message} (a requested host port is taken)`);
      }
      if (spec.privileged && /operation not permitted/i.test(err.message)) {
        // The engine itself lacks the privileges (e.g. it runs in a sandbox): a policy of this host.
        throw new OsmoError('forbidden', `${err.message} (privileged containers are not possible on this engine)`);
      }
      throw err;
    }
    try {
      const c = await container.inspect();
      this.remember(c);
      return toInstanceInfo(c);
    } catch (e) {
      // Started, then gone before we looked (removed by someone else): say so, don't crash.
      throw fromEngine(e, `container "${spec.name}" vanished right after start`);
    }
  }

  async remove(name: string, opts: { image?: string; removeImage?: boolean } = {}): Promise<{ imageRemoved: boolean }> {
    try {
      return await this.removeOnce(name, opts);
    } finally {
      this.epoch++;
    }
  }

  private async removeOnce(name: string, opts: { image?: string; removeImage?: boolean }): Promise<{ imageRemoved: boolean }> {
    const info = await this.inspectOwned(name);
    if (!info) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    this.seen.delete(name);
    this.statsStreams.drop(info.Id);
    this.cgroups?.drop(info.Id);
    const c = this.docker.getContainer(info.Id);
    try {
      await c.stop({ t: this.grace });
    } catch (e) {
      // 304: already stopped; 404: gone meanwhile. Both are fine for a remove.
      const st = engineStatus(e);
      if (st !== 304 && st !== 404) throw fromEngine(e, `stop of "${name}" failed`);
    }
    try {
      await c.remove({ force: true, v: true });
    } catch (e) {
      if (engineStatus(e) !== 404) throw fromEngine(e, `remove of "${name}" failed`);
    }
    if (opts.removeImage === false) return { imageRemoved: false };
    return { imageRemoved: await this.removeImageIfUnused(opts.image || info.Config.Image) };
  }

  list(): Promise<InstanceInfo[]> {
    return this.once('list', () => this.listNow());
  }

  /** Engine calls in flight and waiting (short calls and streams). */
  engineLoad(): EngineLoad {
    return this.engine.load();
  }

  private once<T>(what: string, read: () => Promise<T>): Promise<T> {
    const key = `${this.epoch}:${what}`;
    const cur = this.pending.get(key);
    if (cur) return cur as Promise<T>;
    const p = read().finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  private async listNow(): Promise<InstanceInfo[]> {
    let summaries: Docker.ContainerInfo[];
    try {
      summaries = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${this.nodeId}`] } });
    } catch (e) {
      throw fromEngine(e, 'listing containers failed');
    }
    // Inspect gives the argv and exit code the summary lacks. Everything inspect adds is fixed
    // while a container stays in one state (no engine restarts: policy "no"), so an inspect is
    // reused until the summary's state changes; a monitor's list() every second then costs one call.
    const live = new Set(summaries.map((s) => s.Id));
    for (const id of this.inspected.keys()) if (!live.has(id)) this.inspected.delete(id);
    const infos = await Promise.all(
      summaries.map(async (s) => {
        const cached = this.inspected.get(s.Id);
        if (cached && cached.state === s.State) {
          if (s.State === 'running') {
            const startedAt = cached.info.startedAt ? Date.parse(cached.info.startedAt) : 0;
            this.seen.set(cached.info.name, { id: s.Id, at: Date.now(), pid: cached.info.pid ?? 0, startedAt });
          }
          return cached.info;
        }
        try {
          const c = await this.once(`inspect-id:${s.Id}`, () => this.docker.getContainer(s.Id).inspect());
          this.remember(c);
          const info = toInstanceInfo(c);
          // Keyed on the state inspect saw, so a change between the two calls is caught next time.
          this.inspected.set(s.Id, { state: c.State.Status, info });
          return info;
        } catch {
          return undefined; // removed meanwhile
        }
      }),
    );
    return infos.filter((i): i is InstanceInfo => i !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<InstanceInfo | undefined> {
    const c = await this.inspectOwned(name);
    return c ? toInstanceInfo(c) : undefined;
  }

  async stats(name: string): Promise<GuestStats> {
    // A guest monitor calls list() then stats() for each instance every period; the ids list()
    // just saw spare one inspect per instance. An id names one container forever, so a stale
    // entry can only miss (a stream that ends, or zeroes for a stopped one), and then we take
    // the slow path.
    const known = this.seen.get(name);
    if (known && Date.now() - known.at < SEEN_TTL_MS) {
      const direct = this.cgroups?.read(known.id, known.pid, known.startedAt);
      if (direct) return withName(name, direct);
      const s = await this.statsStreams.latest(known.id).catch(() => undefined);
      if (s && s.live) return withName(name, s);
      this.statsStreams.drop(known.id);
      this.seen.delete(name);
    }
    const c = await this.inspectOwned(name);
    if (!c) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    if (!c.State.Running) throw new OsmoError('conflict', `deployment "${name}" is not running (${c.State.Status})`);
    const direct = this.cgroups?.read(c.Id, c.State.Pid, Date.parse(c.State.StartedAt));
    if (direct) return withName(name, direct);
    try {
      return withName(name, await this.statsStreams.latest(c.Id));
    } catch (e) {
      throw fromEngine(e, `stats of "${name}" failed`);
    }
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (e) {
      if (engineStatus(e) === 404) return false;
      throw fromEngine(e, `inspect of image "${image}" failed`);
    }
  }

  async logs(name: string, opts: { maxBytes?: number } = {}): Promise<string> {
    const c = await this.inspectOwned(name);
    if (!c) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    try {
      // The engine can only tail by lines; ask for plenty, then cut to the byte budget.
      const raw = await this.docker.getContainer(c.Id).logs({ stdout: true, stderr: true, follow: false, tail: 10_000 });
      const buf = c.Config.Tty ? raw : demuxLogs(raw);
      return tailBytes(buf, opts.maxBytes ?? 1024 * 1024);
    } catch (e) {
      throw fromEngine(e, `logs of "${name}" failed`);
    }
  }

  /** tcp: the container port as published on this host; command: an exec in the container. */
  async check(name: string, hc: HealthCheckSpec): Promise<HealthResult> {
    const c = await this.inspectOwned(name);
    if (!c) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    if (!c.State.Running) return { healthy: false, detail: `container ${c.State.Status}` };
    if (hc.kind === 'tcp') {
      const p = toInstanceInfo(c).ports.find((x) => x.containerPort === hc.port && x.protocol === 'tcp');
      if (!p) throw invalid(`port ${hc.port}/tcp of "${name}" is not published on this host; publish it to check it`, { field: 'port' });
      const host = dialHost(p.hostIp);
      return tcpCheck(host, p.hostPort, `tcp ${hc.port} -> ${host}:${p.hostPort}`);
    }
    try {
      return await execCheck(this.docker, c.Id, hc.argv, hc.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
    } catch (e) {
      throw fromEngine(e, `health check command in "${name}" failed`);
    }
  }

  watch(listener: (c: InstanceChange) => void): () => void {
    return this.events.add(listener);
  }

  async close(): Promise<void> {
    this.events.stop();
    this.statsStreams.close();
    this.cgroups?.close();
    this.engine.close();
  }

  /** Inspect by name, but only if this node owns it: a foreign container is "not there". */
  private async inspectOwned(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    if (!name) return undefined;
    try {
      const c = await this.once(`inspect-name:${name}`, () => this.docker.getContainer(name).inspect());
      // getContainer also resolves ids and id prefixes; only an exact name counts.
      if (c.Name.replace(/^\//, '') !== name) return undefined;
      if (c.Config.Labels?.[LABEL_NODE] !== this.nodeId) return undefined;
      this.remember(c);
      return c;
    } catch (e) {
      if (engineStatus(e) === 404) return undefined;
      throw fromEngine(e, `inspect of "${name}" failed`);
    }
  }

  private remember(c: Docker.ContainerInspectInfo): void {
    const name = c.Name.replace(/^\//, '');
    if (c.State.Running) this.seen.set(name, { id: c.Id, at: Date.now(), pid: c.State.Pid, startedAt: Date.parse(c.State.StartedAt) });
    else {
      this.seen.delete(name);
      this.cgroups?.drop(c.Id);
    }
  }

  private async assertNameFree(name: string): Promise<void> {
    try {
      const c = await this.docker.getContainer(name).inspect();
      if (c.Name.replace(/^\//, '') === name) throw this.nameTaken(name);
    } catch (e) {
      if (e instanceof OsmoError) throw e;
      if (engineStatus(e) !== 404) throw fromEngine(e, `inspect of "${name}" failed`);
    }
  }

  private nameTaken(name: string): OsmoError {
    return new OsmoError('conflict', `name "${name}" is already taken by a container on this docker engine`);
  }

  /**
   * "Unless another container still uses it": a container made from the same reference keeps
   * it; otherwise we ask the engine to remove the reference without force, and the engine
   * refuses (409) when it is the image's last tag and any container still runs that image id.
   * Removing one of several tags only untags, so shared base images survive.
   */
  private async removeImageIfUnused(image: string): Promise<boolean> {
    const ref = normaliseImageRef(image);
    try {
      const all = await this.docker.listContainers({ all: true });
      if (all.some((c) => normaliseImageRef(c.Image) === ref)) return false;
      await this.docker.getImage(image).remove();
      return true;
    } catch (e) {
      const st = engineStatus(e);
      if (st === 409 || st === 404) return false;
      throw fromEngine(e, `remove of image "${image}" failed`);
    }
  }
}
