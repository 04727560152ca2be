// The reconcile loop: one pass at a time, each decide → commit → dispatch. decide()
// (decide.ts, pure) turns memory into an explicit plan; the plan's records and events are
// committed to the store in one go; only then dispatch.ts sends its commands to agents.
// Command outcomes and what sync.ts reads from agents are committed in turn and trigger
// another pass. A core killed at any point restarts from the store: placed-but-unconfirmed
// instances are re-sent under the same deterministic container name, so an agent that
// already runs it answers 409 and nothing doubles.
import { randomUUID } from 'node:crypto';
import type { InstanceEvent } from '../../bus/events.js';
import type { AgentClient } from '../agents/client.js';
import type { EventLog } from '../events/service.js';
import type { CoreMetrics } from '../metrics/service.js';
import type { ScheduleFn } from '../scheduler/types.js';
import type { ClusterState } from '../state.js';
import { decide } from './decide.js';
import { Dispatcher } from './dispatch.js';
import { DEFAULT_RECONCILER, type ReconcilerOptions } from './options.js';
import { buildSnapshot } from './snapshot.js';
import { Syncer } from './sync.js';
import { rankNodes } from '../scheduler/index.js';

export class Reconciler {
  private running: Promise<void> | null = null;
  private again = false;
  private kickTimer: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly dispatch: Dispatcher;
  private readonly sync: Syncer;

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    agents: AgentClient,
    private readonly metrics: CoreMetrics,
    /** where new instances go (the policy-aware scheduler of src/core/scheduler/module.ts in a core) */
    private readonly schedule: ScheduleFn,
    private readonly opts: ReconcilerOptions = DEFAULT_RECONCILER,
  ) {
    const kick = () => this.kick();
    this.dispatch = new Dispatcher(state, events, agents, opts, kick);
    this.sync = new Syncer(
      state,
      events,
      agents,
      this.dispatch,
      opts,
      kick,
      schedule.rank ?? ((snap, mel, nodes) => rankNodes(snap, mel, nodes)),
    );
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
    await this.dispatch.close();
  }

  /** Asks for a pass soon; many kicks in a burst make one pass. */
  kick(): void {
    if (this.closed || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = null;
      void this.runPass();
    }, this.opts.kickDelayMs);
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
          this.warnFailed(e);
        } finally {
          end();
        }
        // the next pass only after the loop served what arrived meanwhile (heartbeats, API calls)
        if (this.again && !this.closed) await new Promise((r) => setImmediate(r));
      } while (this.again && !this.closed);
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private async pass(): Promise<void> {
    const { state } = this;
    const now = Date.now();
    const plan = decide({
      state,
      snapshot: buildSnapshot(state),
      schedule: this.schedule,
      now,
      holdFor: (mel) => this.dispatch.holdFor(mel),
      busy: (id) => this.dispatch.busy(id, now),
      newId: randomUUID,
      budget: this.opts.maxActionsPerMel,
      passBudget: this.opts.maxActionsPerPass,
      startAt: this.cursor,
    });
    if (plan.writes.length || plan.deletes.length || plan.events.length) {
      const stored = await state.commit(plan.writes, plan.deletes, (tx) => this.events.storeCore(tx, plan.events));
      this.events.publish(stored);
    }
    this.metrics.placements.inc(plan.placed);
    // commands only after the commit above
    for (const id of plan.deploys) this.dispatch.deploy(id);
    for (const id of plan.stops) this.dispatch.stop(id);
    // the pass budget ran out: the next pass resumes where this one stopped, until every
    // MEL had its turn since the first cut (then the regular passes go on from there)
    this.cursor = plan.resumeAt;
    this.cycleLeft = (this.cycleLeft ?? plan.mels) - plan.completed;
    const unvisited = plan.cut && this.cycleLeft > 0;
    if (!unvisited) this.cycleLeft = null;
    // a MEL had more to do than one pass may: carry on soon, after other work had its turn
    if (plan.more || unvisited) this.kick();
  }

  /** where the next pass starts among the MELs, and how many have not had a turn since a pass was first cut short */
  private cursor = 0;
  private cycleLeft: number | null = null;

  private lastFailure = { message: '', at: 0 };

  /**
   * A pass that fails the same way again (a full disk fails every pass, once a second) is
   * said once a minute, not once a pass.
   */
  private warnFailed(e: unknown): void {
    const message = String((e as Error).message ?? e);
    const now = Date.now();
    if (message === this.lastFailure.message && now - this.lastFailure.at < 60_000) return;
    this.lastFailure = { message, at: now };
    process.emitWarning(`reconcile pass failed (the same failure is reported at most once a minute): ${String((e as Error).stack ?? e)}`);
  }

  /** See Syncer.syncNode. */
  syncNode(nodeId: string, minGapMs?: number): Promise<void> {
    return this.sync.syncNode(nodeId, minGapMs);
  }

  /** See Syncer.checkHeartbeat. */
  checkHeartbeat(nodeId: string, names: string[] | undefined): void {
    this.sync.checkHeartbeat(nodeId, names);
  }

  /** See Syncer.onInstanceEvent. */
  async onInstanceEvent(node: string, e: InstanceEvent): Promise<void> {
    this.sync.onInstanceEvent(node, e);
  }
}
