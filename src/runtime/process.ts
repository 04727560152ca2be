// The process driver: instances are supervised child processes of the agent, for machines
// without a container engine. `image` is informational (kept and reported, never executed);
// `command` is required. Adoption across agent restarts: the instance table is persisted, the
// children die with the agent (stop on close, SIGKILL on exit, and any survivor of a crashed
// agent is found by pid + start time and stopped), and a new runtime on the same table starts
// every instance that was meant to be running again. Nothing duplicated, nothing orphaned.
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { OsmoError, conflict, invalid, notFound } from '../shared/errors.js';
import { assertContainerName, assertNoNul } from './docker-spec.js';
import { tailBytes } from './docker-logs.js';
import { DEFAULT_CHECK_TIMEOUT_MS, runCheckCommand, tcpCheck } from './health.js';
import { cpuPercentBetween, processStartTime, sampleGroup, type ProcSample } from './proc-stats.js';
import { ProcessTable, type TableEntry } from './process-table.js';
import { Supervisor, signalGroup } from './process-supervisor.js';
import {
  LABEL_NAME,
  LABEL_NODE,
  type DeploySpec,
  type GuestStats,
  type HealthCheckSpec,
  type HealthResult,
  type InstanceChange,
  type InstanceInfo,
  type Runtime,
} from './types.js';

export interface ProcessRuntimeOptions {
  nodeId: string;
  /** where the instance table and per-instance work dirs live (under the agent's data dir) */
  dir: string;
  stopGraceSeconds?: number;
  /** bytes of stdout+stderr kept per instance (default 1 MiB) */
  logBytes?: number;
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
}

/** What a child may see of the agent's environment: enough to run, none of its secrets. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Children die with the agent: one exit hook for every open runtime, SIGKILL to each group. */
const openRuntimes = new Set<ProcessRuntime>();
process.on('exit', () => {
  for (const rt of openRuntimes) rt.killAllNow();
});

interface Live {
  entry: TableEntry;
  sup: Supervisor;
  /** previous usage sample, so a stats() call measures cpu over the interval since the last */
  last?: ProcSample;
  removing?: Promise<{ imageRemoved: boolean }>;
}

export class ProcessRuntime implements Runtime {
  readonly driver = 'process' as const;
  readonly nodeId: string;
  private readonly live = new Map<string, Live>();
  private readonly listeners = new Set<(c: InstanceChange) => void>();
  private readonly table: ProcessTable;
  private readonly graceMs: number;
  private closed = false;
  private lastSave: Promise<void> = Promise.resolve();

  private constructor(private readonly o: ProcessRuntimeOptions) {
    if (!o.nodeId) throw invalid('process runtime needs a node id');
    this.nodeId = o.nodeId;
    this.table = new ProcessTable(o.dir, o.nodeId);
    this.graceMs = (o.stopGraceSeconds ?? 10) * 1000;
  }

  /** Opens the runtime on its table and starts again what was running before. */
  static async open(o: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const rt = new ProcessRuntime(o);
    mkdirSync(o.dir, { recursive: true });
    openRuntimes.add(rt);
    for (const entry of rt.table.load()) await rt.adopt(entry);
    await rt.persist();
    return rt;
  }

  private async adopt(entry: TableEntry): Promise<void> {
    // A child of a previous agent that died without stopping it: stop it (only if the pid
    // still names the same process), so the restart below does not make a duplicate.
    if (entry.pid !== undefined && entry.pidStart !== undefined && (await processStartTime(entry.pid)) === entry.pidStart) {
      signalGroup(entry.pid, 'SIGKILL');
    }
    const live = this.supervise(entry);
    if (!entry.wanted) {
      live.sup.state = 'exited';
      return;
    }
    await live.sup.start().catch(() => {
      // It ran before; a failure to start now (binary gone) is reported as failed, not fatal.
      live.sup.state = 'failed';
    });
  }

  async deploy(spec: DeploySpec): Promise<InstanceInfo> {
    this.assertOpen();
    const entry = this.validate(spec);
    if (this.live.has(spec.name)) throw conflict(`name "${spec.name}" is already taken on node ${this.nodeId}`);
    const live = this.supervise(entry);
    try {
      await live.sup.start();
    } catch (e) {
      this.live.delete(spec.name);
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw invalid(`command "${entry.spec.command[0]}" cannot be started (${code})`, { field: 'command' });
    }
    try {
      await this.persist();
    } catch (e) {
      // Not on disk means it would be forgotten by the next agent: do not leave it running.
      await live.sup.stop(0);
      this.live.delete(spec.name);
      throw e;
    }
    return this.info(live);
  }

  async remove(name: string): Promise<{ imageRemoved: boolean }> {
    const live = this.live.get(name);
    if (!live) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    // A second remove while the first waits out the grace period shares its outcome.
    live.removing ??= (async () => {
      await live.sup.stop();
      this.live.delete(name);
      await this.persist().catch(() => {}); // gone either way; a stale entry is retried by the next save
      if (!live.entry.spec.workdir) await rm(this.workdirOf(live.entry), { recursive: true, force: true });
      this.emit({ name, state: 'removed', reason: 'removed' });
      // Images are informational here: there is never one to remove.
      return { imageRemoved: false };
    })();
    return live.removing;
  }

  async list(): Promise<InstanceInfo[]> {
    return [...this.live.values()].map((l) => this.info(l)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<InstanceInfo | undefined> {
    const l = this.live.get(name);
    return l ? this.info(l) : undefined;
  }

  /** The newest output (stdout and stderr interleaved, at most logBytes; kept in memory, so it starts empty after an agent restart). */
  async logs(name: string, opts: { maxBytes?: number } = {}): Promise<string> {
    const l = this.live.get(name);
    if (!l) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    const all = l.sup.log.toBuffer();
    return tailBytes(all, opts.maxBytes ?? all.length);
  }

  async stats(name: string): Promise<GuestStats> {
    const l = this.live.get(name);
    if (!l) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    const pid = l.sup.pid;
    if (pid === undefined) throw new OsmoError('conflict', `deployment "${name}" is not running (${l.sup.state})`);
    let prev = l.last;
    // Without a recent sample of this same process, measure over a short interval now.
    if (!prev || Date.now() - prev.at > 60_000 || l.sup.pid !== pid) {
      prev = await sampleGroup(pid);
      await new Promise((r) => setTimeout(r, 250));
    }
    const cur = await sampleGroup(pid);
    l.last = cur;
    return {
      name,
      ts: cur.at,
      cpuPercent: cpuPercentBetween(prev, cur),
      memUsageBytes: cur.rssBytes,
      // No cgroup here: the limit is the declared one if any (not enforced), else the host's memory.
      memLimitBytes: l.entry.spec.resources?.memoryBytes ?? totalmem(),
      // A child shares the agent's network namespace: per-process traffic is not observable.
      netRxBytes: 0,
      netTxBytes: 0,
      blkReadBytes: cur.readBytes,
      blkWriteBytes: cur.writeBytes,
    };
  }

  /**
   * tcp: the port on this host (a child shares the host's network); command: argv as a
   * child beside the instance, with the instance's environment and working directory.
   */
  async check(name: string, hc: HealthCheckSpec): Promise<HealthResult> {
    const l = this.live.get(name);
    if (!l) throw notFound(`no deployment named "${name}" on node ${this.nodeId}`);
    if (l.sup.state !== 'running') return { healthy: false, detail: `process ${l.sup.state}` };
    if (hc.kind === 'tcp') return tcpCheck('127.0.0.1', hc.port, `tcp ${hc.port} -> 127.0.0.1:${hc.port}`);
    return runCheckCommand(hc.argv, {
      cwd: this.workdirOf(l.entry),
      env: this.envOf(l.entry),
      timeoutMs: hc.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
    });
  }

  /** Image names are labels here; "present" means an instance on this node was deployed with it. */
  async hasImage(image: string): Promise<boolean> {
    return [...this.live.values()].some((l) => l.entry.spec.image === image);
  }

  watch(listener: (c: InstanceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every child (they die with the agent) but keeps the table: the next open() restarts them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.live.values()].map((l) => l.sup.stop()));
    await this.lastSave;
    openRuntimes.delete(this);
  }

  /** Synchronous, for the exit hook: no grace period is possible any more. */
  killAllNow(): void {
    for (const l of this.live.values()) l.sup.killNow();
  }

  private validate(spec: DeploySpec): TableEntry {
    assertContainerName(spec.name);
    if (!spec.command || spec.command.length === 0 || !spec.command[0]) {
      throw invalid('command is required for the process driver (image is informational only)', { field: 'command' });
    }
    const unsupported: Array<[string, boolean]> = [
      ['ports', Object.keys(spec.ports ?? {}).length > 0],
      ['volumes', Object.keys(spec.volumes ?? {}).length > 0],
      ['privileged', spec.privileged === true],
    ];
    for (const [field, given] of unsupported) {
      if (given) {
        throw invalid(`${field} is not supported by the process driver (a child process shares the host; use the docker driver)`, {
          field,
        });
      }
    }
    if (spec.workdir !== undefined && (!spec.workdir.startsWith('/') || !isDirectory(spec.workdir))) {
      throw invalid(`workdir "${spec.workdir}" must be an absolute path to an existing directory`, { field: 'workdir' });
    }
    assertNoNul(spec);
    return {
      id: `proc-${randomBytes(6).toString('hex')}`,
      name: spec.name,
      spec: {
        name: spec.name,
        image: spec.image ?? '',
        command: spec.command,
        ...(spec.env ? { env: spec.env } : {}),
        labels: { ...(spec.labels ?? {}), [LABEL_NODE]: this.nodeId, [LABEL_NAME]: spec.name },
        ...(spec.resources ? { resources: spec.resources } : {}),
        ...(spec.workdir ? { workdir: spec.workdir } : {}),
      },
      createdAt: new Date().toISOString(),
      wanted: true,
      restarts: 0,
    };
  }

  /** The allow-listed part of the agent's environment, the spec's env, and who the instance is. */
  private envOf(entry: TableEntry): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of INHERITED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    return Object.assign(env, entry.spec.env ?? {}, { OSMO_INSTANCE: entry.name, OSMO_NODE: this.nodeId });
  }

  private workdirOf(entry: TableEntry): string {
    return entry.spec.workdir ?? join(this.o.dir, 'work', entry.name);
  }

  private supervise(entry: TableEntry): Live {
    const cwd = this.workdirOf(entry);
    if (!entry.spec.workdir) mkdirSync(cwd, { recursive: true });
    const env = this.envOf(entry);
    const b = this.o.backoff ?? {};
    const live: Live = {
      entry,
      sup: new Supervisor({
        argv: entry.spec.command,
        cwd,
        env,
        logBytes: this.o.logBytes ?? 1024 * 1024,
        graceMs: this.graceMs,
        backoff: { initialMs: b.initialMs ?? 250, maxMs: b.maxMs ?? 30_000, resetAfterMs: b.resetAfterMs ?? 10_000 },
        restarts: entry.restarts,
        onSpawn: (pid) => {
          void processStartTime(pid).then((start) => {
            if (live.sup.pid !== pid || this.closed) return;
            entry.pid = pid;
            entry.pidStart = start;
            entry.restarts = live.sup.restarts;
            if (this.live.get(entry.name) === live) this.background();
          });
        },
        onState: (state, reason) => {
          if (state === 'exited' && entry.wanted) {
            entry.wanted = false;
            if (this.live.get(entry.name) === live) this.background();
          }
          this.emit({ name: entry.name, state, reason, info: this.info(live) });
        },
      }),
    };
    this.live.set(entry.name, live);
    return live;
  }

  private info(l: Live): InstanceInfo {
    const { entry, sup } = l;
    return {
      name: entry.name,
      id: entry.id,
      driver: 'process',
      image: entry.spec.image,
      command: entry.spec.command,
      state: sup.state,
      createdAt: entry.createdAt,
      ...(sup.startedAt ? { startedAt: sup.startedAt } : {}),
      ...(sup.exitCode !== undefined ? { exitCode: sup.exitCode } : {}),
      ports: [],
      labels: entry.spec.labels ?? {},
      ...(sup.pid !== undefined ? { pid: sup.pid } : {}),
      restarts: sup.restarts,
    };
  }

  /** Saves the table; deploy/remove await it (durable before they answer), state changes don't. */
  private persist(): Promise<void> {
    if (this.closed) return this.lastSave;
    const saving = this.table.save([...this.live.values()].map((l) => ({ ...l.entry, restarts: l.sup.restarts }))).catch((e: unknown) => {
      throw new OsmoError('unavailable', `cannot write the process instance table ${this.table.file}: ${(e as Error).message}`);
    });
    this.lastSave = saving.catch(() => {});
    return saving;
  }

  private background(): void {
    // A failed background save is retried by the next one; the table is only a restart hint.
    this.persist().catch(() => {});
  }

  private emit(c: InstanceChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch {
        // one listener's bug must not starve the others
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new OsmoError('unavailable', 'process runtime is closed');
  }
}
