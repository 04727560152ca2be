// dispatch: carries out the commands of a committed plan (deploy, stop) against the
// agents, at most `concurrency` at a time, and commits their outcomes in batches (one
// transaction per `outcomeFlushMs` instead of one per command). Each outcome is re-checked
// against the instance as it is at flush time, then another pass is asked for.
import type { InstanceRecord } from '../../store/index.js';
import { isOsmoError } from '../../shared/errors.js';
import type { AgentClient, AgentTarget, DeployOutcome } from '../agents/client.js';
import type { DeploySpec } from '../../runtime/types.js';
import type { CoreEvent } from '../../bus/events.js';
import type { EventLog } from '../events/service.js';
import { deploySpec } from '../instances/spec.js';
import type { ClusterState } from '../state.js';
import type { Headroom } from './headroom.js';
import { Limiter } from './limiter.js';
import type { ReconcilerOptions } from './options.js';

/** the most deploys one batch request to an agent carries (the agent takes up to 100) */
const DEPLOY_BATCH = 50;

/** Given the instance as it is when the batch is committed: what to write, remove, log. */
export type Outcome = (cur: InstanceRecord | undefined) => { write?: InstanceRecord; remove?: string; event?: CoreEvent } | undefined;

/** One node's deploys not yet sent; `scheduled`: its request waits for the limiter or is in flight. */
interface NodeQueue {
  node: AgentTarget;
  ids: string[];
  specs: DeploySpec[];
  scheduled: boolean;
}

export class Dispatcher {
  private readonly inflight = new Set<string>();
  private readonly lastAttempt = new Map<string, number>();
  private readonly limiter: Limiter;
  /** consecutive failures per MEL: the hold before a failed instance is replaced doubles with each */
  private readonly failures = new Map<string, number>();
  private outcomes: Outcome[] = [];
  private outcomeIds: string[] = [];
  private settled: string[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  /** deploys waiting for their node's next request */
  private readonly queued = new Map<string, NodeQueue>();

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly agents: AgentClient,
    private readonly opts: ReconcilerOptions,
    /** after each committed batch: ask for another pass */
    private readonly kick: () => void,
    /** deploy requests wait for room in the event loop (headroom.ts) */
    private readonly headroom?: Headroom,
  ) {
    this.limiter = new Limiter(opts.concurrency);
  }

  /** A command for this instance is in flight. */
  inFlight(id: string): boolean {
    return this.inflight.has(id);
  }

  /** In flight, or sent too recently to be sent again. */
  busy(id: string, now: number): boolean {
    return this.inflight.has(id) || now - (this.lastAttempt.get(id) ?? 0) < this.opts.retryMs;
  }

  /** Lets the next pass send this instance's command again at once. */
  forgetAttempt(id: string): void {
    this.lastAttempt.delete(id);
  }

  holdFor(mel: string): number {
    const n = this.failures.get(mel) ?? 0;
    return Math.min(this.opts.maxFailedHoldMs, this.opts.failedHoldMs * 2 ** Math.max(0, n - 1));
  }

  noteFailure(mel: string): void {
    this.failures.set(mel, (this.failures.get(mel) ?? 0) + 1);
  }

  /**
   * Queues a deploy. A node has at most one deploy request waiting for the limiter or in
   * flight; what is queued for it meanwhile goes in its next request, as one batch (at most
   * DEPLOY_BATCH): at 1,000 nodes one request per instance saturated the core's loop with
   * request handling and socket writes, and a backlog is exactly when batches fill up.
   */
  deploy(id: string): void {
    const i = this.state.instances.get(id);
    const node = i?.node ? this.state.nodes.get(i.node) : undefined;
    const mel = i ? this.state.mels.get(i.mel) : undefined;
    if (!i || !node || !mel) return;
    this.inflight.add(id);
    this.lastAttempt.set(id, Date.now());
    let q = this.queued.get(node.id);
    if (!q) this.queued.set(node.id, (q = { node, ids: [], specs: [], scheduled: false }));
    q.node = node;
    q.ids.push(id);
    q.specs.push(deploySpec(i, mel));
    this.schedule(q);
  }

  private schedule(q: NodeQueue): void {
    if (q.scheduled || q.ids.length === 0 || this.closed) return;
    q.scheduled = true;
    // waiting for room inside the slot: meanwhile the node's queue fills into a bigger batch
    void this.limiter.run(async () => {
      await this.headroom?.wait();
      return this.sendQueued(q);
    });
  }

  /** Runs with a limiter slot: takes what the node's queue holds now. */
  private async sendQueued(q: NodeQueue): Promise<void> {
    if (this.closed) return;
    const ids = q.ids.splice(0, DEPLOY_BATCH);
    const specs = q.specs.splice(0, DEPLOY_BATCH);
    let outs: unknown[];
    try {
      outs =
        specs.length === 1
          ? [await this.agents.deploy(q.node, specs[0]!).catch((e: unknown) => e)]
          : await this.agents.deployMany(q.node, specs);
    } catch (e) {
      outs = ids.map(() => e);
    }
    outs.forEach((o, j) => this.deployed(ids[j]!, o));
    q.scheduled = false;
    if (q.ids.length > 0) this.schedule(q);
    else if (this.queued.get(q.node.id) === q) this.queued.delete(q.node.id);
  }

  /** Records one deploy's outcome: a DeployOutcome, or the error it ended with. */
  private deployed(id: string, out: unknown): void {
    if (out !== null && typeof out === 'object' && 'created' in out) {
      const ok = out as DeployOutcome;
      return this.record(id, (cur) => {
        if (!cur || cur.state !== 'starting' || cur.desired !== 'run') return undefined;
        this.failures.delete(cur.mel);
        return {
          write: {
            ...cur,
            state: 'running',
            ports: ok.ports.length ? ok.ports : cur.ports,
            reason: ok.created ? null : 'adopted existing container',
            updatedAt: Date.now(),
          },
          event: { type: 'instance-state', node: cur.node, data: { mel: cur.mel, instance: cur.id, name: cur.name, state: 'running' } },
        };
      });
    }
    this.record(id, (cur) => {
      // no answer from the agent: keep the placement and retry; an answer that refuses: failed
      if (!cur || cur.state !== 'starting' || (isOsmoError(out) && out.kind === 'unavailable')) return undefined;
      const reason = (out as Error).message;
      this.noteFailure(cur.mel);
      return {
        write: { ...cur, state: 'failed', reason, updatedAt: Date.now() },
        event: {
          type: 'instance-state',
          node: cur.node,
          data: { mel: cur.mel, instance: cur.id, name: cur.name, state: 'failed', reason },
        },
      };
    });
  }

  stop(id: string): void {
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
      .run(() => this.agents.remove(node, i.name))
      .then(
        () => {
          this.lastAttempt.delete(id);
          this.record(id, (cur) =>
            cur
              ? {
                  remove: id,
                  event: { type: 'instance-state', node: i.node, data: { mel: i.mel, instance: i.id, name: i.name, state: 'stopped' } },
                }
              : undefined,
          );
        },
        () => this.record(id, () => undefined),
      );
  }

  /** Queues an outcome for the next batch; `settles`: it ends a command in flight for the instance. */
  record(id: string, fn: Outcome, settles = true): void {
    this.outcomes.push(fn);
    this.outcomeIds.push(id);
    if (settles) this.settled.push(id);
    if (!this.flushTimer && !this.closed) this.flushTimer = setTimeout(() => void this.flush(), this.opts.outcomeFlushMs);
  }

  /** Commits what is queued; no new batch is timed after this (commands still in flight are dropped). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.queued.clear();
    await this.flush();
  }

  private flush(): Promise<void> {
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
        if (writes.size || removes.length || events.length) {
          const stored = await this.state.commitPass([...writes.values()], removes, this.events.stampCore(events));
          this.events.publishStored(stored);
        }
      } catch (e) {
        process.emitWarning(`recording command outcomes failed: ${String(e)}`);
      }
      for (const id of settled) this.inflight.delete(id);
      this.kick();
    });
    return this.flushing;
  }
}
