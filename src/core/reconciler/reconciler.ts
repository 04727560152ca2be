// Applies diff() to the whole cluster. One pass at a time: it reads memory, decides,
// commits every decision (placements, lost/stopping marks) to the store in one go, and
// only then sends commands to agents. Commands run in the background; their outcome is
// committed and triggers another pass. A core killed at any point restarts from the
// store: placed-but-unconfirmed instances are re-sent under the same deterministic
// container name, so an agent that already runs it answers 409 and nothing doubles.
import { randomUUID } from 'node:crypto';
import type { InstanceRecord } from '../../store/index.js';
import type { InstanceEvent } from '../../bus/events.js';
import { LABEL_INSTANCE, LABEL_MEL, type DeploySpec } from '../../runtime/types.js';
import { isOsmoError } from '../../shared/errors.js';
import type { AgentClient, AgentInstance } from '../agents/client.js';
import type { EventLog } from '../events/log.js';
import type { CoreMetrics } from '../metrics.js';
import type { ClusterState, Mel } from '../state.js';
import { diff, type Action } from './diff.js';
import { applyToSnapshot, buildSnapshot, schedule } from './schedule.js';
import { Limiter } from './limiter.js';

export interface ReconcilerOptions {
  /** periodic pass even without triggers */
  intervalMs: number;
  /** a command that failed to reach an agent is retried after this */
  retryMs: number;
  /** a failed instance keeps its slot this long before it is replaced (crash-loop backoff) */
  failedHoldMs: number;
  /** commands in flight to all agents together */
  concurrency: number;
}

export const DEFAULT_RECONCILER: ReconcilerOptions = { intervalMs: 1000, retryMs: 2000, failedHoldMs: 3000, concurrency: 64 };

type CoreEvent = { type: string; node: string | null; data: Record<string, unknown> };

export function instanceName(mel: string, id: string): string {
  return `${mel}-${id.replace(/-/g, '').slice(0, 10)}`;
}

export class Reconciler {
  private running: Promise<void> | null = null;
  private again = false;
  private kickTimer: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<string>();
  private readonly lastAttempt = new Map<string, number>();
  private readonly limiter: Limiter;
  private readonly syncing = new Map<string, number>();
  private closed = false;
  /**
   * Outcomes of agent commands, committed in batches (one transaction per ~10 ms instead of
   * one per command). Each is re-checked against the instance as it is at flush time.
   */
  private outcomes: Array<(cur: InstanceRecord | undefined) => { write?: InstanceRecord; remove?: string; event?: CoreEvent } | undefined> = [];
  private outcomeIds: string[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly agents: AgentClient,
    private readonly metrics: CoreMetrics,
    private readonly opts: ReconcilerOptions = DEFAULT_RECONCILER,
  ) {
    this.limiter = new Limiter(opts.concurrency);
  }

  start(): void {
    this.interval = setInterval(() => this.kick(), this.opts.intervalMs);
    this.interval.unref();
    this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.interval) clearInterval(this.interval);
    if (this.kickTimer) clearTimeout(this.kickTimer);
    await this.running;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushOutcomes();
  }

  private settled: string[] = [];
  /** consecutive failures per MEL: the hold before a failed instance is replaced doubles with each (max 60 s) */
  private readonly failures = new Map<string, number>();

  private holdFor(mel: string): number {
    const n = this.failures.get(mel) ?? 0;
    return Math.min(60_000, this.opts.failedHoldMs * 2 ** Math.max(0, n - 1));
  }

  private noteFailure(mel: string): void {
    this.failures.set(mel, (this.failures.get(mel) ?? 0) + 1);
  }

  /** `settles`: this outcome ends a command in flight for the instance */
  private outcome(id: string, fn: (cur: InstanceRecord | undefined) => { write?: InstanceRecord; remove?: string; event?: CoreEvent } | undefined, settles = true): void {
    this.outcomes.push(fn);
    this.outcomeIds.push(id);
    if (settles) this.settled.push(id);
    if (!this.flushTimer && !this.closed) this.flushTimer = setTimeout(() => void this.flushOutcomes(), 10);
  }

  private flushOutcomes(): Promise<void> {
    this.flushTimer = null;
    const fns = this.outcomes;
    const ids = this.outcomeIds;
    const settled = this.settled;
    this.outcomes = [];
    this.outcomeIds = [];
    this.settled = [];
    if (fns.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      const writes = new Map<string, InstanceRecord>();
      const removes: string[] = [];
      const events: CoreEvent[] = [];
      fns.forEach((fn, k) => {
        const id = ids[k]!;
        const r = fn(writes.get(id) ?? this.state.instances.get(id));
        if (!r) return;
        if (r.write) writes.set(id, r.write);
        if (r.remove) removes.push(r.remove);
        if (r.event) events.push(r.event);
      });
      try {
        if (writes.size) await this.state.saveInstances([...writes.values()]);
        if (removes.length) await this.state.deleteInstances(removes);
        if (events.length) await this.events.coreMany(events);
      } catch (e) {
        process.emitWarning(`recording command outcomes failed: ${String(e)}`);
      }
      for (const id of settled) this.inflight.delete(id);
      this.kick();
    });
    return this.flushing;
  }

  /** Asks for a pass soon; many kicks in a burst make one pass. */
  kick(): void {
    if (this.closed || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = null;
      void this.runPass();
    }, 5);
  }

  /** Runs a pass now (or after the current one) and resolves when it is done. */
  async runPass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const end = this.metrics.reconcileSeconds.startTimer();
        try {
          await this.pass();
        } catch (e) {
          process.emitWarning(`reconcile pass failed: ${String((e as Error).stack ?? e)}`);
        } finally {
          end();
        }
      } while (this.again && !this.closed);
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private busy(id: string, now: number): boolean {
    return this.inflight.has(id) || now - (this.lastAttempt.get(id) ?? 0) < this.opts.retryMs;
  }

  private async pass(): Promise<void> {
    const { state } = this;
    const now = Date.now();
    const snap = buildSnapshot(state);
    const writes: InstanceRecord[] = [];
    const deletes: string[] = [];
    const events: CoreEvent[] = [];
    const deploys: string[] = [];
    const stops: string[] = [];

    const groups = new Map<string, InstanceRecord[]>();
    for (const i of state.instances.values()) {
      let g = groups.get(i.mel);
      if (!g) groups.set(i.mel, (g = []));
      g.push(i);
    }
    const names = new Set([...state.mels.keys(), ...groups.keys()]);
    for (const name of names) {
      const mel = state.mels.get(name);
      const instances = groups.get(name) ?? [];
      const actions = diff({
        mel: mel && { name, replicas: mel.spec.replicas, generation: mel.generation, stopFirst: Object.values(mel.spec.ports ?? {}).some((hostPort) => hostPort !== null) },
        instances,
        nodes: state.nodes,
        now,
        failedHoldMs: this.holdFor(name),
      });
      for (const a of actions) this.decide(a, mel, now, snap, { writes, deletes, events, deploys, stops });
    }

    if (writes.length) await state.saveInstances(writes);
    if (deletes.length) await state.deleteInstances(deletes);
    if (events.length) await this.events.coreMany(events);
    // commands only after the commit above
    for (const id of deploys) this.dispatchDeploy(id);
    for (const id of stops) this.dispatchStop(id);
  }

  private decide(
    a: Action,
    mel: Mel | undefined,
    now: number,
    snap: ReturnType<typeof buildSnapshot>,
    out: { writes: InstanceRecord[]; deletes: string[]; events: CoreEvent[]; deploys: string[]; stops: string[] },
  ): void {
    const { state } = this;
    switch (a.kind) {
      case 'lost': {
        const i = state.instances.get(a.id);
        if (!i) return;
        out.writes.push({ ...i, state: 'lost', reason: `node ${i.node} down`, updatedAt: now });
        out.events.push({ type: 'reconcile', node: i.node, data: { action: 'lost', mel: i.mel, instance: i.id, name: i.name, reason: `node ${i.node} down; replacing` } });
        return;
      }
      case 'drop-pending':
        out.deletes.push(...a.ids);
        return;
      case 'deploy':
        if (!this.busy(a.id, now)) out.deploys.push(a.id);
        return;
      case 'stop': {
        const i = state.instances.get(a.id);
        if (!i) return;
        if (i.node === null) {
          out.deletes.push(i.id);
          return;
        }
        if (i.desired !== 'stop' || i.state !== 'stopping') {
          out.writes.push({ ...i, desired: 'stop', state: 'stopping', reason: a.reason, updatedAt: now });
          out.events.push({ type: 'reconcile', node: i.node, data: { action: 'stop', mel: i.mel, instance: i.id, name: i.name, reason: a.reason } });
        }
        if (!this.busy(a.id, now)) out.stops.push(a.id);
        return;
      }
      case 'place': {
        if (!mel) return;
        const spec = mel.spec;
        const result = schedule(snap, {
          mel: { name: mel.name, image: spec.image, resources: spec.resources, placement: spec.placement },
          count: a.count,
        });
        let k = 0;
        for (const p of result.placements) {
          const reuse = a.reuse[k] ? state.instances.get(a.reuse[k]!) : undefined;
          k++;
          const id = reuse?.id ?? randomUUID();
          const rec: InstanceRecord = {
            id,
            mel: mel.name,
            node: p.node,
            name: reuse?.name ?? instanceName(mel.name, id),
            generation: mel.generation,
            desired: 'run',
            state: 'starting',
            reason: p.reason,
            ports: [],
            createdAt: reuse?.createdAt ?? now,
            updatedAt: now,
          };
          out.writes.push(rec);
          out.deploys.push(id);
          out.events.push({ type: 'placement', node: p.node, data: { mel: mel.name, instance: id, name: rec.name, node: p.node, score: p.score, reason: p.reason } });
          applyToSnapshot(snap, p.node, mel.name, spec.image, spec.resources);
          this.metrics.placements.inc();
        }
        const reason = result.reason ?? 'not placed';
        const unplaced = a.count - result.placements.length;
        for (let u = 0; u < unplaced; u++) {
          const reuse = a.reuse[k] ? state.instances.get(a.reuse[k]!) : undefined;
          k++;
          if (reuse) {
            if (reuse.reason !== reason) {
              out.writes.push({ ...reuse, reason, generation: mel.generation, updatedAt: now });
              out.events.push({ type: 'reconcile', node: null, data: { action: 'pending', mel: mel.name, instance: reuse.id, reason } });
            }
            continue;
          }
          const id = randomUUID();
          out.writes.push({ id, mel: mel.name, node: null, name: instanceName(mel.name, id), generation: mel.generation, desired: 'run', state: 'pending', reason, ports: [], createdAt: now, updatedAt: now });
          out.events.push({ type: 'reconcile', node: null, data: { action: 'pending', mel: mel.name, instance: id, reason } });
        }
        // reused pending rows beyond what this pass needed
        for (; k < a.reuse.length; k++) out.deletes.push(a.reuse[k]!);
        return;
      }
    }
  }

  deploySpec(i: InstanceRecord, mel: Mel): DeploySpec {
    const s = mel.spec;
    return {
      name: i.name,
      image: s.image,
      ...(s.command ? { command: s.command } : {}),
      ...(s.ports ? { ports: s.ports } : {}),
      ...(s.volumes ? { volumes: s.volumes } : {}),
      privileged: s.privileged,
      ...(s.env ? { env: s.env } : {}),
      labels: { [LABEL_MEL]: mel.name, [LABEL_INSTANCE]: i.id },
      resources: s.resources,
    };
  }

  private dispatchDeploy(id: string): void {
    const i = this.state.instances.get(id);
    const node = i?.node ? this.state.nodes.get(i.node) : undefined;
    const mel = i ? this.state.mels.get(i.mel) : undefined;
    if (!i || !node || !mel) return;
    this.inflight.add(id);
    this.lastAttempt.set(id, Date.now());
    void this.limiter
      .run(() => this.agents.deploy(node.address, this.deploySpec(i, mel)))
      .then(
        (out) =>
          this.outcome(id, (cur) => {
            if (!cur || cur.state !== 'starting' || cur.desired !== 'run') return undefined;
            this.failures.delete(cur.mel);
            return {
              write: { ...cur, state: 'running', ports: out.ports.length ? out.ports : cur.ports, reason: out.created ? null : 'adopted existing container', updatedAt: Date.now() },
              event: { type: 'instance-state', node: cur.node, data: { mel: cur.mel, instance: cur.id, name: cur.name, state: 'running' } },
            };
          }),
        (e: unknown) =>
          this.outcome(id, (cur) => {
            // no answer from the agent: keep the placement and retry; an answer that refuses: failed
            if (!cur || cur.state !== 'starting' || (isOsmoError(e) && e.kind === 'unavailable')) return undefined;
            const reason = (e as Error).message;
            this.noteFailure(cur.mel);
            return { write: { ...cur, state: 'failed', reason, updatedAt: Date.now() }, event: { type: 'instance-state', node: cur.node, data: { mel: cur.mel, instance: cur.id, name: cur.name, state: 'failed', reason } } };
          }),
      );
  }

  private dispatchStop(id: string): void {
    const i = this.state.instances.get(id);
    if (!i) return;
    const node = i.node ? this.state.nodes.get(i.node) : undefined;
    if (!node) {
      void this.state.deleteInstances([id]);
      return;
    }
    this.inflight.add(id);
    this.lastAttempt.set(id, Date.now());
    void this.limiter
      .run(() => this.agents.remove(node.address, i.name))
      .then(
        () => {
          this.lastAttempt.delete(id);
          this.outcome(id, (cur) => (cur ? { remove: id, event: { type: 'instance-state', node: i.node, data: { mel: i.mel, instance: i.id, name: i.name, state: 'stopped' } } } : undefined));
        },
        () => this.outcome(id, () => undefined),
      );
  }

  /** Agent-reported state changes of instances the core placed (committed with the next outcome batch). */
  async onInstanceEvent(node: string, e: InstanceEvent): Promise<void> {
    const found = this.state.instanceByName(e.name) ?? (e.labels?.[LABEL_INSTANCE] ? this.state.instances.get(e.labels[LABEL_INSTANCE]) : undefined);
    if (!found || found.node !== node) return;
    const inflight = this.inflight.has(found.id);
    this.outcome(found.id, (i) => {
      if (!i || i.node !== node) return undefined;
      const now = Date.now();
      if (e.state === 'running' && i.state === 'starting' && i.desired === 'run') return { write: { ...i, state: 'running', reason: null, updatedAt: now } };
      if ((e.state === 'exited' || e.state === 'failed') && i.desired === 'run' && (i.state === 'running' || i.state === 'starting')) {
        this.noteFailure(i.mel);
        return { write: { ...i, state: 'failed', reason: e.reason ?? `container ${e.state}`, updatedAt: now } };
      }
      if (e.state === 'removed' && i.desired === 'run' && i.state === 'running' && !inflight) return { write: { ...i, state: 'failed', reason: 'container removed outside osmo', updatedAt: now } };
      return undefined;
    }, false);
  }

  /**
   * Compares the store with what the agent actually runs (after a register, a reconnect,
   * a core restart, or drift seen in a heartbeat) and adopts, restarts or removes.
   * Lost instances on a node that came back: the replacement wins (see docs/architecture.md),
   * unless the MEL is still short of replicas, then the original is adopted again.
   */
  async syncNode(nodeId: string, minGapMs = 1000): Promise<void> {
    const node = this.state.nodes.get(nodeId);
    if (!node || node.status === 'down') return;
    const now = Date.now();
    if (now - (this.syncing.get(nodeId) ?? 0) < minGapMs) return;
    this.syncing.set(nodeId, now);
    let containers: AgentInstance[];
    try {
      containers = await this.agents.list(node.address);
    } catch {
      // keep the timestamp: an agent that cannot list (engine down) is asked again after minGapMs, not every heartbeat
      return;
    }
    node.needsSync = false;
    const byName = new Map(containers.map((c) => [c.name, c]));
    const writes: InstanceRecord[] = [];
    const deletes: string[] = [];
    const events: CoreEvent[] = [];
    const t = Date.now();
    for (const i of this.state.instancesOn(nodeId)) {
      if (this.inflight.has(i.id)) continue;
      const c = byName.get(i.name);
      const alive = c !== undefined && /running|restarting|created|pulling/.test(c.state);
      if (i.state === 'lost') {
        const mel = this.state.mels.get(i.mel);
        const healthy = this.state.instancesOf(i.mel).filter((x) => x.desired === 'run' && (x.state === 'running' || x.state === 'starting')).length;
        if (alive && mel && i.generation === mel.generation && healthy < mel.spec.replicas) {
          writes.push({ ...i, state: 'running', reason: 'node back; original adopted (no replacement yet)', ports: c.ports.length ? c.ports : i.ports, updatedAt: t });
          events.push({ type: 'reconcile', node: nodeId, data: { action: 'adopt', mel: i.mel, instance: i.id, name: i.name, reason: 'node back, MEL short of replicas' } });
        } else if (c) {
          writes.push({ ...i, desired: 'stop', state: 'stopping', reason: 'node back; replacement kept', updatedAt: t });
          events.push({ type: 'reconcile', node: nodeId, data: { action: 'stop', mel: i.mel, instance: i.id, name: i.name, reason: 'node back; replacement kept (keep_replacement)' } });
        } else {
          deletes.push(i.id);
        }
        continue;
      }
      if (i.desired === 'stop') {
        if (!c) deletes.push(i.id);
        continue;
      }
      if (c && alive && i.state !== 'running' && i.state !== 'pending') {
        writes.push({ ...i, state: 'running', reason: 'adopted existing container', ports: c.ports.length ? c.ports : i.ports, updatedAt: t });
      } else if (c && !alive && (i.state === 'running' || i.state === 'starting')) {
        writes.push({ ...i, state: 'failed', reason: `container ${c.state}`, updatedAt: t });
      } else if (!c && i.state === 'running') {
        writes.push({ ...i, state: 'failed', reason: 'container vanished from the agent', updatedAt: t });
      } else if (!c && i.state === 'starting') {
        this.lastAttempt.delete(i.id); // never confirmed: send it (again) in the next pass
      }
    }
    // containers the core placed but no longer knows (e.g. the stop was lost in a crash)
    for (const c of containers) {
      const owner = c.labels[LABEL_INSTANCE];
      if (!owner || this.state.instanceByName(c.name) || this.state.instances.has(owner)) continue;
      events.push({ type: 'reconcile', node: nodeId, data: { action: 'remove-orphan', name: c.name, reason: 'container of an instance the core does not know' } });
      void this.agents.remove(node.address, c.name).catch(() => undefined);
    }
    if (writes.length) await this.state.saveInstances(writes);
    if (deletes.length) await this.state.deleteInstances(deletes);
    if (events.length) await this.events.coreMany(events);
    this.kick();
  }

  /** Cheap drift check from a heartbeat's instance list. */
  checkHeartbeat(nodeId: string, names: string[] | undefined): void {
    const node = this.state.nodes.get(nodeId);
    if (!node) return;
    if (node.needsSync) {
      void this.syncNode(nodeId, 5000);
      return;
    }
    if (!names) return;
    const seen = new Set(names);
    const now = Date.now();
    for (const i of this.state.instancesOn(nodeId)) {
      if (this.inflight.has(i.id)) continue;
      const settled = now - i.updatedAt > 3000;
      if ((i.state === 'running' && settled && !seen.has(i.name)) || (i.state === 'lost' && seen.has(i.name)) || (i.state === 'starting' && settled && seen.has(i.name))) {
        void this.syncNode(nodeId, 2000);
        return;
      }
    }
  }
}
