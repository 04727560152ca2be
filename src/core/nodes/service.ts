// The node registry: registration, heartbeats, failure detection, cordon and drain.
// Liveness lives in memory (a heartbeat per node per second must not be a disk write);
// status changes are committed and logged. A node is `suspect` after suspectMs without a
// heartbeat and `down` after downMs; the detector ticks every heartbeat interval / 4.
// After a core (re)start, nodes restored from the store have not had a chance to reach the
// new process yet: they get restartGraceMs from the start before they are judged at all (the
// idea of Nomad's failover heartbeat TTL), so a slow restart never reads as a dead cluster.
import type { CoreEvent } from '../../bus/events.js';
import type { HeartbeatRequest, RegisterRequest, RegisterResponse } from '../../bus/protocol.js';
import { notFound, OsmoError } from '../../shared/errors.js';
import type { NodeStatus } from '../../model/index.js';
import type { EventLog } from '../events/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState, LiveNode } from '../state.js';

export interface LivenessOptions {
  heartbeatMs: number;
  suspectMs: number;
  downMs: number;
  /** nodes known at start are not judged before this long after it (0: judged at once) */
  restartGraceMs: number;
}

export const DEFAULT_LIVENESS: LivenessOptions = { heartbeatMs: 1000, suspectMs: 2000, downMs: 4000, restartGraceMs: 10_000 };

export class Registry {
  private timer: NodeJS.Timeout | null = null;
  /** restored nodes not heard from since start, and until when they are spared */
  private readonly spared = new Map<string, number>();

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly reconciler: Reconciler,
    readonly liveness: LivenessOptions = DEFAULT_LIVENESS,
  ) {}

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
      void this.detect(now);
    }, tickMs);
    this.timer.unref();
  }

  /** detector ticks skipped because the core itself was stalled (osmo_liveness_skipped_ticks in /metrics) */
  skippedTicks = 0;

  stop(): void {
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
    return { heartbeatIntervalMs: this.liveness.heartbeatMs, ackedSeq };
  }

  async heartbeat(req: HeartbeatRequest): Promise<{ status: NodeStatus; heartbeatIntervalMs: number }> {
    const n = this.state.nodes.get(req.id);
    // 404 tells the agent to register again (e.g. after its node was removed)
    if (!n) throw notFound(`node ${req.id} is not registered; register first`);
    n.lastHeartbeat = Date.now();
    this.spared.delete(n.id);
    if (n.status === 'suspect' || n.status === 'down') {
      const wasDown = n.status === 'down';
      await this.setStatus(n, 'ready', wasDown ? 'heartbeats resumed after down' : 'heartbeat resumed');
      if (wasDown) n.needsSync = true;
    }
    this.reconciler.checkHeartbeat(n.id, req.instances);
    return { status: n.draining ? 'draining' : n.status, heartbeatIntervalMs: this.liveness.heartbeatMs };
  }

  private async setStatus(n: LiveNode, status: NodeStatus, reason: string): Promise<void> {
    const previous = n.status;
    if (previous === status) return;
    n.status = status;
    n.updatedAt = Date.now();
    await this.state.saveNode(n);
    await this.events.core('node', n.id, { node: n.id, action: 'status', status, previous, reason });
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
      const set = (n: LiveNode, status: NodeStatus, reason: string) => {
        events.push({ type: 'node', node: n.id, data: { node: n.id, action: 'status', status, previous: n.status, reason } });
        n.status = status;
        n.updatedAt = now;
        changed.push(n);
      };
      for (const n of this.state.nodes.values()) {
        const spared = this.spared.get(n.id);
        if (spared !== undefined) {
          if (now < spared) continue;
          this.spared.delete(n.id);
        }
        const age = now - n.lastHeartbeat;
        if (n.status !== 'down' && age > this.liveness.downMs) set(n, 'down', `no heartbeat for ${age} ms`);
        else if (n.status === 'ready' && age > this.liveness.suspectMs) set(n, 'suspect', `no heartbeat for ${age} ms`);
      }
      if (changed.length === 0) return;
      await this.state.saveNodes(changed);
      await this.events.coreMany(events);
      this.reconciler.kick();
    } finally {
      this.detecting = false;
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
    await this.events.core('node', id, { node: id, action: 'removed' });
    this.reconciler.kick();
  }
}

/** Status as shown to users: draining overrides ready/suspect. */
export function shownStatus(n: LiveNode): NodeStatus {
  return n.draining && n.status !== 'down' ? 'draining' : n.status;
}
