// The node registry: registration, heartbeats, failure detection, cordon and drain.
// Liveness lives in memory (a heartbeat per node per second must not be a disk write);
// status changes are committed and logged. The detector (detector.ts, an accrual detector)
// ticks every heartbeat interval / 4: a node is `suspect` or `down` once its silence is both
// past the floor (suspectMs, downMs) and unlikely under its own recent heartbeat intervals
// (φ ≥ suspectPhi, downPhi), so a loaded machine's jitter widens the timeouts by itself.
// After a core (re)start, nodes restored from the store have not had a chance to reach the
// new process yet: they get restartGraceMs from the start before they are judged at all (the
// idea of Nomad's failover heartbeat TTL), so a slow restart never reads as a dead cluster.
// When a node turns suspect, one TCP connect to its agent's address (probe.ts) may prove the
// agent process dead (a refused connect) and make it down before the down floor.
import type { CoreEvent } from '../../bus/events.js';
import type { HeartbeatRequest, RegisterRequest, RegisterResponse } from '../../bus/protocol.js';
import { notFound, OsmoError } from '../../shared/errors.js';
import type { NodeStatus } from '../../model/index.js';
import type { EventLog } from '../events/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState, LiveNode } from '../state.js';
import { ArrivalWindow, judge, paced, type DetectorOptions } from './detector.js';
import { connectProbe, probeTarget, probeVerdict, type ProbeOutcome, type ProbeTarget } from './probe.js';

export interface LivenessOptions extends DetectorOptions {
  /** nodes known at start are not judged before this long after it (0: judged at once) */
  restartGraceMs: number;
  /** most heartbeats a second asked of the whole fleet: beyond, the interval grows with the node count (detector.ts `paced`; 0: no limit) */
  maxHeartbeatsPerSecond: number;
  /** on suspicion, connect once to the agent's address: refused means its process is gone, so down at once (probe.ts) */
  probeOnSuspect: boolean;
  /** how long that connect may take; past it the probe says nothing */
  probeTimeoutMs: number;
}

/**
 * Heartbeat 500 ms; suspect after 3 missed beats at the earliest, down after 6 at the
 * earliest: φ alone reaches 8 at ≈ 1.5 s of silence on a quiet machine, but a 1.5 s floor read
 * an agent as dead while its Docker engine shut down on a loaded 2-core machine (CI,
 * engine-restart.test.ts), so the floors are 1.5 s / 3 s (docs/decisions.md).
 */
export const DEFAULT_LIVENESS: LivenessOptions = {
  heartbeatMs: 500,
  suspectMs: 1500,
  downMs: 3000,
  suspectPhi: 3,
  downPhi: 8,
  minStdMs: 100,
  pauseMs: 500,
  window: 64,
  restartGraceMs: 10_000,
  maxHeartbeatsPerSecond: 1000,
  probeOnSuspect: true,
  probeTimeoutMs: 500,
};

/** probes in flight at most; a suspicion beyond them is left to the detector, as without the probe */
const MAX_PROBES = 64;

export class Registry {
  private timer: NodeJS.Timeout | null = null;
  /** restored nodes not heard from since start, and until when they are spared */
  private readonly spared = new Map<string, number>();
  /** heartbeat inter-arrival times per node (memory only: a restarted core learns them again) */
  private readonly arrivals = new Map<string, ArrivalWindow>();

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly reconciler: Reconciler,
    readonly liveness: LivenessOptions = DEFAULT_LIVENESS,
    private readonly probe: (t: ProbeTarget, timeoutMs: number) => Promise<ProbeOutcome> = connectProbe,
  ) {}

  private stopped = false;

  start(): void {
    const until = Date.now() + this.liveness.restartGraceMs;
    for (const id of this.state.nodes.keys()) this.spared.set(id, until);
    const tickMs = Math.max(50, Math.floor(this.liveness.heartbeatMs / 4));
    let last = Date.now();
    this.timer = setInterval(() => {
      // A tick that fires late means this process was stalled (a long synchronous round, a
      // starved CPU). The heartbeats sent meanwhile are still unread in the sockets: timers
      // run before the loop polls them, so judging now would call live nodes dead. Skip this
      // tick; the next one sees those heartbeats.
      const now = Date.now();
      const late = now - last - tickMs;
      last = now;
      if (late > tickMs) {
        this.skippedTicks++;
        return;
      }
      // a store that is away (PostgreSQL restarting) must not crash the core: the statuses
      // already changed in memory, where the reconciler reads them; the write is warned about
      this.detect(now).catch((e: unknown) => process.emitWarning(`node status could not be saved: ${(e as Error).message}`));
    }, tickMs);
    this.timer.unref();
  }

  /** detector ticks skipped because the core itself was stalled (osmo_liveness_skipped_ticks in /metrics) */
  skippedTicks = 0;

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  async register(req: RegisterRequest): Promise<RegisterResponse> {
    const now = Date.now();
    this.spared.delete(req.id);
    const old = this.state.nodes.get(req.id);
    let ackedSeq = old?.ackedSeq ?? 0;
    if (req.lastSeq !== undefined && req.lastSeq < ackedSeq) {
      // the agent lost its own state and numbers from scratch again
      await this.state.store.events.forgetAbove(req.id, req.lastSeq);
      ackedSeq = req.lastSeq;
    }
    const node: LiveNode = {
      id: req.id,
      address: req.address.replace(/\/+$/, ''),
      layer: req.layer,
      domain: req.domain,
      labels: req.labels,
      capacity: req.capacity,
      drivers: req.drivers,
      version: req.version,
      status: 'ready',
      schedulable: old?.schedulable ?? true,
      draining: old?.draining ?? false,
      ackedSeq,
      registeredAt: old?.registeredAt ?? now,
      updatedAt: now,
      lastHeartbeat: now,
      load: old?.load ?? {},
      needsSync: true,
    };
    // a (re-)registering agent is a fresh process: its history starts over
    const w = new ArrivalWindow(this.liveness.window);
    w.record(now);
    this.arrivals.set(node.id, w);
    await this.state.saveNode(node);
    await this.events.core('node', node.id, {
      node: node.id,
      action: old ? 're-register' : 'register',
      status: 'ready',
      previous: old?.status ?? null,
      address: node.address,
      layer: node.layer,
      domain: node.domain,
    });
    void this.reconciler.syncNode(node.id, 0);
    this.reconciler.kick();
    return { heartbeatIntervalMs: this.pace().heartbeatMs, ackedSeq };
  }

  async heartbeat(req: HeartbeatRequest): Promise<{ status: NodeStatus; heartbeatIntervalMs: number }> {
    const n = this.state.nodes.get(req.id);
    // 404 tells the agent to register again (e.g. after its node was removed)
    if (!n) throw notFound(`node ${req.id} is not registered; register first`);
    n.lastHeartbeat = Date.now();
    this.window(n.id).record(n.lastHeartbeat);
    this.spared.delete(n.id);
    if (n.status === 'suspect' || n.status === 'down') {
      const wasDown = n.status === 'down';
      await this.setStatus(n, 'ready', wasDown ? 'heartbeats resumed after down' : 'heartbeat resumed');
      if (wasDown) n.needsSync = true;
    }
    this.reconciler.checkHeartbeat(n.id, req.instances);
    return { status: n.draining ? 'draining' : n.status, heartbeatIntervalMs: this.pace().heartbeatMs };
  }

  /** The liveness times for the fleet's current size (the interval grows past maxHeartbeatsPerSecond). */
  pace(): LivenessOptions {
    const nodes = this.state.nodes.size;
    if (this.paceFor?.nodes !== nodes) this.paceFor = { nodes, pace: paced(this.liveness, nodes, this.liveness.maxHeartbeatsPerSecond) };
    return this.paceFor.pace;
  }

  private paceFor: { nodes: number; pace: LivenessOptions } | undefined;

  private window(id: string): ArrivalWindow {
    let w = this.arrivals.get(id);
    if (!w) this.arrivals.set(id, (w = new ArrivalWindow(this.liveness.window)));
    return w;
  }

  private async setStatus(n: LiveNode, status: NodeStatus, reason: string, probe?: ProbeOutcome): Promise<void> {
    const previous = n.status;
    if (previous === status) return;
    n.status = status;
    n.updatedAt = Date.now();
    await this.state.saveNode(n);
    await this.events.core('node', n.id, { node: n.id, action: 'status', status, previous, reason, ...(probe ? { probe } : {}) });
    this.reconciler.kick();
  }

  private detecting = false;
  async detect(now = Date.now()): Promise<void> {
    if (this.detecting) return;
    this.detecting = true;
    try {
      // every change of this tick in one write and one batch of events: after a stall, hundreds
      // of nodes may change at once, and one transaction each would stall the core further
      const changed: LiveNode[] = [];
      const events: CoreEvent[] = [];
      const suspected: LiveNode[] = [];
      const set = (n: LiveNode, status: NodeStatus, reason: string) => {
        events.push({ type: 'node', node: n.id, data: { node: n.id, action: 'status', status, previous: n.status, reason } });
        n.status = status;
        n.updatedAt = now;
        changed.push(n);
      };
      const pace = this.pace();
      for (const n of this.state.nodes.values()) {
        const spared = this.spared.get(n.id);
        if (spared !== undefined) {
          if (now < spared) continue;
          this.spared.delete(n.id);
        }
        if (n.status === 'down') continue;
        const age = now - n.lastHeartbeat;
        if (age < pace.suspectMs) continue;
        const j = judge(age, this.window(n.id), pace);
        const why = () => `no heartbeat for ${age} ms (phi ${j.phi.toFixed(1)}; intervals ${Math.round(j.mean)} ± ${Math.round(j.std)} ms)`;
        if (j.verdict === 'down') set(n, 'down', why());
        else if (j.verdict === 'suspect' && n.status === 'ready') {
          set(n, 'suspect', why());
          suspected.push(n);
        }
      }
      if (changed.length === 0) return;
      await this.state.saveNodes(changed);
      await this.events.coreMany(events);
      this.reconciler.kick();
      // after the write, so that the log reads suspect before a down the probe may cause;
      // not awaited: a probe waiting on its timeout must not hold up the next tick
      if (this.liveness.probeOnSuspect) for (const n of suspected) void this.probeSuspect(n);
    } finally {
      this.detecting = false;
    }
  }

  /** probes started on suspicion and not yet answered (a test waits for them) */
  probing = 0;

  /** One connect per suspicion episode: a refused one makes the node down now (probe.ts). */
  private async probeSuspect(n: LiveNode): Promise<void> {
    const target = probeTarget(n.address);
    if (!target) return; // an agent on the bus: nothing to dial
    // many nodes suspect at once is the core's own network, not many dead agents: a probe would
    // prove nothing there, and thousands of sockets would take descriptors the heartbeats need
    if (this.probing >= MAX_PROBES) return;
    const beat = n.lastHeartbeat;
    const at = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    this.probing++;
    try {
      const outcome = await this.probe(target, this.liveness.probeTimeoutMs);
      const now = this.state.nodes.get(n.id);
      if (this.stopped) return;
      const silence = Date.now() - beat;
      try {
        if (probeVerdict(outcome, beat, now === n ? n : undefined) === 'down')
          await this.setStatus(
            n,
            'down',
            `agent process gone: connect to ${at} refused (probe on suspicion; no heartbeat for ${silence} ms)`,
            outcome,
          );
        else
          await this.events.core('node', n.id, {
            node: n.id,
            action: 'probe',
            status: n.status,
            probe: outcome,
            reason: `connect to ${at}: ${outcome}; no verdict, the detector decides (no heartbeat for ${silence} ms)`,
          });
      } catch (e) {
        process.emitWarning(`node status could not be saved: ${(e as Error).message}`);
      }
    } finally {
      this.probing--;
    }
  }

  private get(id: string): LiveNode {
    const n = this.state.nodes.get(id);
    if (!n) throw notFound(`node ${id} not found`);
    return n;
  }

  async cordon(id: string, schedulable: boolean): Promise<LiveNode> {
    const n = this.get(id);
    if (n.schedulable !== schedulable) {
      n.schedulable = schedulable;
      n.updatedAt = Date.now();
      await this.state.saveNode(n);
      await this.events.core('node', id, { node: id, action: schedulable ? 'uncordon' : 'cordon' });
      this.reconciler.kick();
    }
    return n;
  }

  async drain(id: string, draining: boolean): Promise<LiveNode> {
    const n = this.get(id);
    if (n.draining !== draining) {
      n.draining = draining;
      n.updatedAt = Date.now();
      await this.state.saveNode(n);
      await this.events.core('node', id, { node: id, action: draining ? 'drain' : 'undrain', status: draining ? 'draining' : n.status });
      this.reconciler.kick();
    }
    return n;
  }

  /** Its credential was revoked: down at once (its heartbeats are refused from now on), instances replaced elsewhere. */
  async revoked(id: string): Promise<LiveNode> {
    const n = this.get(id);
    this.spared.delete(id);
    await this.events.core('node', id, { node: id, action: 'revoke' });
    await this.setStatus(n, 'down', 'credential revoked');
    return n;
  }

  /** Forgets a node; refused while it still holds instances the core placed. */
  async remove(id: string): Promise<void> {
    const n = this.get(id);
    const held = this.state.instancesOn(id).filter((i) => i.state !== 'lost');
    if (held.length > 0 && n.status !== 'down')
      throw new OsmoError('conflict', `node ${id} still runs ${held.length} instance(s); drain it first`);
    await this.state.deleteInstances(this.state.instancesOn(id).map((i) => i.id));
    await this.state.removeNode(id);
    this.arrivals.delete(id);
    await this.events.core('node', id, { node: id, action: 'removed' });
    this.reconciler.kick();
  }
}

/** Status as shown to users: draining overrides ready/suspect. */
export function shownStatus(n: LiveNode): NodeStatus {
  return n.draining && n.status !== 'down' ? 'draining' : n.status;
}
