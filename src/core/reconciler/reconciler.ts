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
import { Headroom } from './headroom.js';
import { DEFAULT_RECONCILER, type ReconcilerOptions } from './options.js';
import { SnapshotCache } from './snapshot.js';
import { Syncer } from './sync.js';
import { rankNodes } from '../scheduler/index.js';

/** the longest pause between passes kicked back to back */
const MAX_PAUSE_MS = 200;

/**
 * How long the loop is owed after a pass that took `wallMs` and held the loop for `heldMs` of
 * them, before the next pass kicked back to back: as long as it held the loop, less the time a
 * commit over the network already left the loop to others while it waited, at most
 * MAX_PAUSE_MS; 0 means only a turn of the loop (setImmediate).
 *
 * @example
 * pauseAfterPass(100, 100); // 100: a SQLite pass holds the loop throughout, the same again is owed
 * pauseAfterPass(300, 60); // 0: its PostgreSQL commit waited 240 ms while the loop served others
 */
export function pauseAfterPass(wallMs: number, heldMs: number): number {
  const held = Math.min(wallMs, heldMs);
  const owed = held - (wallMs - held);
  return owed < 1 ? 0 : Math.min(owed, MAX_PAUSE_MS);
}

export class Reconciler {
  private running: Promise<void> | null = null;
  private again = false;
  private kickTimer: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly dispatch: Dispatcher;
  private readonly sync: Syncer;
  /**
   * What changed since the last pass: a pass kicked by a change visits only the MELs it may
   * concern (their instances, spec or nodes changed), so ten thousand acknowledgements do not
   * each cost a walk over every instance. The interval's pass visits every MEL, which catches
   * what time alone changes (a failed instance's hold, disconnect.lostAfter, a command to resend).
   */
  private readonly dirty = new Set<string>();
  /** a node changed: MELs with pending instances may now fit (looked up at the next pass, once) */
  private pendingDirty = false;
  private fullDue = true;
  private readonly snapshots: SnapshotCache;
  private readonly headroom: Headroom;
  private readonly unwatch: () => void;

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
    this.snapshots = new SnapshotCache(state);
    this.unwatch = state.watch({
      instance: (before, after) => {
        for (const r of [before, after]) {
          if (!r) continue;
          this.dirty.add(r.mel);
          this.snapshots.touch(r.node);
        }
      },
      mel: (name) => {
        this.dirty.add(name);
        this.snapshots.touchMel(name);
      },
      node: (id) => {
        this.snapshots.touch(id);
        for (const i of state.eachOn(id)) this.dirty.add(i.mel);
        this.pendingDirty = true;
      },
    });
    this.headroom = new Headroom({
      maxUtilization: opts.headroomUtilization,
      windowMs: opts.headroomWindowMs,
      maxWaitMs: opts.headroomMaxWaitMs,
    });
    this.dispatch = new Dispatcher(state, events, agents, opts, kick, this.headroom);
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
    this.interval = setInterval(() => {
      this.fullDue = true;
      this.kick();
    }, this.opts.intervalMs);
    this.interval.unref();
    this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unwatch();
    if (this.interval) clearInterval(this.interval);
    if (this.kickTimer) clearTimeout(this.kickTimer);
    this.headroom.close();
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
        await this.headroom.wait();
        if (this.closed) break;
        this.again = false;
        const end = this.metrics.reconcileSeconds.startTimer();
        const t0 = performance.now();
        this.heldMs = Infinity;
        let full = true;
        try {
          full = await this.pass();
        } catch (e) {
          this.warnFailed(e);
        } finally {
          // the histogram counts passes over every MEL: "two more passes" (what tests and
          // operators wait for) keeps meaning that everything was looked at twice
          if (full) end();
        }
        // the next pass only after the loop served what arrived meanwhile (heartbeats, API
        // calls): passes kicked back to back take at most about half of the loop, whatever
        // the fleet's acknowledgements ask for
        if (this.again && !this.closed) {
          const owed = pauseAfterPass(performance.now() - t0, this.heldMs);
          await new Promise((r) => (owed === 0 ? setImmediate(r) : setTimeout(r, owed)));
        }
      } while (this.again && !this.closed);
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /** Returns whether the pass visited every MEL (the interval's pass), not only changed ones. */
  private async pass(): Promise<boolean> {
    const { state } = this;
    const full = this.fullDue || this.cycleLeft !== null;
    if (this.pendingDirty) {
      for (const i of state.eachOn('')) this.dirty.add(i.mel);
      this.pendingDirty = false;
    }
    if (!full && this.dirty.size === 0) return false;
    this.fullDue = false;
    const only = full ? undefined : [...this.dirty];
    this.dirty.clear();
    const now = Date.now();
    const t0 = performance.now();
    const plan = decide({
      state,
      snapshot: () => this.snapshots.build(),
      only,
      instancesOf: (mel) => [...state.eachOf(mel)],
      melNames: () => state.melNames(),
      schedule: this.schedule,
      now,
      holdFor: (mel) => this.dispatch.holdFor(mel),
      busy: (id) => this.dispatch.busy(id, now),
      newId: randomUUID,
      budget: this.opts.maxActionsPerMel,
      passBudget: this.opts.maxActionsPerPass,
      startAt: full ? this.cursor : 0,
    });
    for (const name of plan.unfinished) this.dirty.add(name);
    // what the pass held the loop for: the commit counts only when it never let the loop turn
    // (SQLite, in-process); a commit over the network (PostgreSQL) waits while the loop
    // serves others, and pausing as long as it took halved placements for nothing
    let held = performance.now() - t0;
    if (plan.writes.length || plan.deletes.length || plan.events.length) {
      let turned = false;
      const probe = setImmediate(() => (turned = true));
      const tc = performance.now();
      const stored = await state.commitPass(plan.writes, plan.deletes, this.events.stampCore(plan.events));
      this.metrics.passCommitSeconds.observe((performance.now() - tc) / 1000);
      clearImmediate(probe);
      if (!turned) held += performance.now() - tc;
      const tp = performance.now();
      this.events.publishStored(stored);
      held += performance.now() - tp;
    }
    const td = performance.now();
    this.metrics.placements.inc(plan.placed);
    // commands only after the commit above
    for (const id of plan.deploys) this.dispatch.deploy(id);
    for (const id of plan.stops) this.dispatch.stop(id);
    this.heldMs = held + (performance.now() - td);
    // a full pass cut short by the pass budget: the next resumes where this one stopped,
    // until every MEL had its turn since the first cut (then the regular passes go on from there)
    let unvisited = false;
    if (full) {
      this.cursor = plan.resumeAt;
      this.cycleLeft = (this.cycleLeft ?? plan.mels) - plan.completed;
      unvisited = plan.cut && this.cycleLeft > 0;
      if (!unvisited) this.cycleLeft = null;
    }
    // a MEL had more to do than one pass may: carry on soon, after other work had its turn
    if (plan.more || unvisited || plan.unfinished.length > 0) this.kick();
    return full;
  }

  /** the last pass's time holding the event loop (ms), which the pause after it matches */
  private heldMs = Infinity;

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
