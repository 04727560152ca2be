// Make-before-break migration of one instance: start a copy on the destination (which has
// accepted it into its pending table), wait until it runs and — when the MEL declares a
// health check — its agent reports it healthy, then commit both records in one write (new
// one running, old one stopping) and let the reconciler stop the source. Any failure
// before the commit removes the copy and leaves the source untouched. The health check
// runs on the destination's agent (POST /api/v1/deploy/{name}/check), so it works
// wherever that agent is and can run a command inside the copy.
import { randomUUID } from 'node:crypto';
import type { MoveKind, PublishedPort } from '../../model/index.js';
import type { HealthCheckSpec } from '../../runtime/types.js';
import { conflict, notFound, OsmoError } from '../../shared/errors.js';
import type { InstanceRecord } from '../../store/index.js';
import type { AgentClient } from '../agents/client.js';
import type { EventLog } from '../events/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState } from '../state.js';
import { deploySpec, instanceName } from '../instances/spec.js';
import type { PolicyState } from './policy-state.js';

export interface MigrationRequest {
  instance: string;
  to: string;
  kind: MoveKind;
  reason: string;
  /** the instance's estimated load on the destination (phantom load until it arrives) */
  estimatedLoad: number;
}

export interface MigrationOutcome {
  ok: boolean;
  instance: string;
  /** id of the copy on the destination (the instance's new identity) */
  newInstance?: string;
  mel: string;
  from: string;
  to: string;
  ms: number;
  error?: string;
}

/** Timings of a move; the overall deadline is the destination's `migrationTimeoutMs` policy. */
export interface MigratorOptions {
  /** the copy's state and health are polled this often */
  pollMs: number;
  /** a healthy copy must still run this much later (one that dies on start fails before the switch) */
  confirmMs: number;
  /** the confirming listing may run this far past the deadline */
  confirmSlackMs: number;
  /** a command health check is killed after this */
  commandTimeoutMs: number;
}

export const DEFAULT_MIGRATOR: MigratorOptions = { pollMs: 300, confirmMs: 500, confirmSlackMs: 10_000, commandTimeoutMs: 5000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Migrator {
  private closed = false;

  constructor(
    private readonly ctx: { state: ClusterState; events: EventLog; agents: AgentClient; reconciler: Pick<Reconciler, 'kick'> },
    private readonly ps: PolicyState,
    private readonly opts: MigratorOptions = DEFAULT_MIGRATOR,
  ) {}

  close(): void {
    this.closed = true;
  }

  async migrate(req: MigrationRequest): Promise<MigrationOutcome> {
    const { ctx } = this;
    const t0 = Date.now();
    const src = ctx.state.instances.get(req.instance);
    if (!src || !src.node) throw notFound(`instance ${req.instance} not found`);
    if (src.desired !== 'run' || src.state !== 'running')
      throw conflict(`instance ${src.id} is ${src.state}; only a running instance migrates`);
    const mel = ctx.state.mels.get(src.mel);
    if (!mel) throw conflict(`instance ${src.id} belongs to no MEL`);
    const dest = ctx.state.nodes.get(req.to);
    if (!dest) throw notFound(`node ${req.to} not found`);
    if (dest.id === src.node) throw conflict(`instance ${src.id} already runs on ${dest.id}`);
    if (dest.status !== 'ready' || !dest.schedulable || dest.draining)
      throw conflict(
        `node ${dest.id} does not take instances (status ${dest.status}${dest.schedulable ? '' : ', cordoned'}${dest.draining ? ', draining' : ''})`,
      );
    if (this.ps.migrating.has(src.id)) throw conflict(`instance ${src.id} is already migrating`);
    const from = src.node;
    const accepted = this.ps.table(dest.id).add(src.id, req.estimatedLoad, t0);
    if (!accepted.ok) throw conflict(`node ${dest.id} refuses ${src.id}: ${accepted.reason}`);

    this.ps.migrating.add(src.id);
    this.ps.busyUntil.set(from, Infinity);
    const policy = this.ps.policyOf(from);
    const deadline = t0 + this.ps.policyOf(dest.id).management.migrationTimeoutMs;
    const newId = randomUUID();
    const rec: InstanceRecord = {
      id: newId,
      mel: mel.name,
      node: dest.id,
      name: instanceName(mel.name, newId),
      generation: mel.generation,
      desired: 'run',
      state: 'starting',
      reason: `migrated from ${from} (${req.kind})`,
      ports: [],
      createdAt: t0,
      updatedAt: t0,
    };
    const base = {
      mel: mel.name,
      instance: src.id,
      name: src.name,
      newInstance: newId,
      newName: rec.name,
      from,
      to: dest.id,
      kind: req.kind,
    };
    await ctx.events.core('migration', from, { ...base, phase: 'start', reason: req.reason });
    let ok = false;
    ctx.state.provisional.add(rec.name);
    try {
      const out = await withDeadline(ctx.agents.deploy(dest, deploySpec(rec, mel)), deadline, 'deploy on the destination');
      let ports: PublishedPort[] = out.ports;
      // running
      for (;;) {
        if (this.closed) throw new OsmoError('unavailable', 'core shutting down');
        const list = await withDeadline(ctx.agents.list(dest), deadline, 'listing the destination');
        const c = list.find((x) => x.name === rec.name);
        if (c && c.state === 'running') {
          if (c.ports.length) ports = c.ports;
          break;
        }
        if (c && /exited|dead|failed/.test(c.state)) throw new OsmoError('unavailable', `copy on ${dest.id} ${c.state}`);
        if (Date.now() > deadline) throw new OsmoError('unavailable', `copy on ${dest.id} not running within ${deadline - t0} ms`);
        await sleep(this.opts.pollMs);
      }
      // healthy
      const hc = mel.spec.healthCheck;
      let health = 'running (no health check declared)';
      if (hc) {
        let check: HealthCheckSpec;
        let what: string;
        if (hc.tcpPort !== undefined) {
          const p = ports.find((x) => x.containerPort === hc.tcpPort && x.protocol === 'tcp');
          if (!p) throw new OsmoError('invalid', `health check port ${hc.tcpPort}/tcp is not published; publish it in the MEL's ports`);
          check = { kind: 'tcp', port: hc.tcpPort };
          what = `tcp ${p.hostPort}`;
        } else {
          check = { kind: 'command', argv: hc.command!, timeoutMs: this.opts.commandTimeoutMs };
          what = `command ${JSON.stringify(hc.command)}`;
        }
        for (;;) {
          // bounded by the agent client's own timeout; the deadline is judged between checks
          const r = await ctx.agents.check(dest, rec.name, check);
          if (r.healthy) {
            health = `healthy (${r.detail})`;
            break;
          }
          if (Date.now() > deadline)
            throw new OsmoError('unavailable', `copy on ${dest.id} not healthy (${what}) within ${deadline - t0} ms: ${r.detail}`);
          await sleep(this.opts.pollMs);
        }
      }
      // still running a moment later: a container that dies on start fails here, not after the switch
      await sleep(this.opts.confirmMs);
      const again = await withDeadline(ctx.agents.list(dest), deadline + this.opts.confirmSlackMs, 'listing the destination');
      if (again.find((x) => x.name === rec.name)?.state !== 'running')
        throw new OsmoError('unavailable', `copy on ${dest.id} stopped right after starting`);

      // break: one commit switches the instance over; the reconciler stops the source
      const now = Date.now();
      const cur = ctx.state.instances.get(src.id);
      const writes: InstanceRecord[] = [{ ...rec, state: 'running', ports, updatedAt: now }];
      if (cur && cur.desired === 'run')
        writes.push({ ...cur, desired: 'stop', state: 'stopping', reason: `migrated to ${dest.id}`, updatedAt: now });
      await ctx.state.saveInstances(writes);
      ctx.reconciler.kick();
      ok = true;
      const ms = Date.now() - t0;
      await ctx.events.core('migration', from, { ...base, phase: 'done', ms, health });
      return { ok: true, instance: src.id, newInstance: newId, mel: mel.name, from, to: dest.id, ms };
    } catch (e) {
      const error = (e as Error).message;
      await ctx.agents.remove(dest, rec.name).catch(() => undefined);
      await ctx.events.core('migration', from, { ...base, phase: 'rolled-back', error });
      return { ok: false, instance: src.id, mel: mel.name, from, to: dest.id, ms: Date.now() - t0, error };
    } finally {
      ctx.state.provisional.delete(rec.name);
      // After the switch the copy's first guest sample comes up to one monitoring period
      // later and the destination's smoothed L needs about three more (EWMA) to show it;
      // until then its phantom entry keeps counting, or the next round would see a
      // half-empty destination and overfill it. Counting it twice meanwhile errs on the
      // safe side (a refusal, not an overload).
      const settle = ok ? 4 * this.ps.policyOf(dest.id).management.monitoringPeriodMs : 0;
      const release = () => this.ps.table(dest.id).arrived(src.id);
      if (settle > 0) setTimeout(release, settle).unref();
      else release();
      this.ps.migrating.delete(src.id);
      // the source's smoothed load needs a few monitoring periods to show the move
      this.ps.busyUntil.set(from, Date.now() + 3 * policy.management.monitoringPeriodMs);
    }
  }
}

async function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) throw new OsmoError('unavailable', `timed out before ${what}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new OsmoError('unavailable', `timed out during ${what}`)), left);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
