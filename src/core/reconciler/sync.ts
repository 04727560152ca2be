// sync: reads the actual state of a node (what its agent runs, and the instance changes
// it reports) and brings the store in line: adopt, mark failed, restart or remove. Lost
// instances on a node that came back: the replacement wins (see docs/architecture.md),
// unless the MEL is still short of replicas, then the original is adopted again.
import type { CoreEvent, InstanceEvent } from '../../bus/events.js';
import { LABEL_INSTANCE } from '../../runtime/types.js';
import type { InstanceRecord } from '../../store/index.js';
import type { AgentClient, AgentInstance } from '../agents/client.js';
import type { EventLog } from '../events/service.js';
import type { ClusterState } from '../state.js';
import type { Dispatcher } from './dispatch.js';
import type { ReconcilerOptions } from './options.js';

export class Syncer {
  private readonly syncing = new Map<string, number>();

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly agents: AgentClient,
    private readonly dispatch: Dispatcher,
    private readonly opts: ReconcilerOptions,
    private readonly kick: () => void,
  ) {}

  /**
   * Compares the store with what the agent actually runs (after a register, a reconnect,
   * a core restart, or drift seen in a heartbeat); at most once per `minGapMs` per node.
   */
  async syncNode(nodeId: string, minGapMs = this.opts.syncGapMs): Promise<void> {
    const node = this.state.nodes.get(nodeId);
    if (!node || node.status === 'down') return;
    const now = Date.now();
    if (now - (this.syncing.get(nodeId) ?? 0) < minGapMs) return;
    this.syncing.set(nodeId, now);
    let containers: AgentInstance[];
    try {
      containers = await this.agents.list(node);
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
      if (this.dispatch.inFlight(i.id)) continue;
      const c = byName.get(i.name);
      const alive = c !== undefined && /running|restarting|created|pulling/.test(c.state);
      if (i.state === 'lost') {
        const mel = this.state.mels.get(i.mel);
        const healthy = this.state
          .instancesOf(i.mel)
          .filter((x) => x.desired === 'run' && (x.state === 'running' || x.state === 'starting')).length;
        if (alive && mel && i.generation === mel.generation && healthy < mel.spec.replicas) {
          writes.push({
            ...i,
            state: 'running',
            reason: 'node back; original adopted (no replacement yet)',
            ports: c.ports.length ? c.ports : i.ports,
            updatedAt: t,
          });
          events.push({
            type: 'reconcile',
            node: nodeId,
            data: { action: 'adopt', mel: i.mel, instance: i.id, name: i.name, reason: 'node back, MEL short of replicas' },
          });
        } else if (c) {
          writes.push({ ...i, desired: 'stop', state: 'stopping', reason: 'node back; replacement kept', updatedAt: t });
          events.push({
            type: 'reconcile',
            node: nodeId,
            data: { action: 'stop', mel: i.mel, instance: i.id, name: i.name, reason: 'node back; replacement kept (keep_replacement)' },
          });
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
        writes.push({
          ...i,
          state: 'running',
          reason: 'adopted existing container',
          ports: c.ports.length ? c.ports : i.ports,
          updatedAt: t,
        });
      } else if (c && !alive && (i.state === 'running' || i.state === 'starting')) {
        writes.push({ ...i, state: 'failed', reason: `container ${c.state}`, updatedAt: t });
      } else if (!c && i.state === 'running') {
        writes.push({ ...i, state: 'failed', reason: 'container vanished from the agent', updatedAt: t });
      } else if (!c && i.state === 'starting') {
        this.dispatch.forgetAttempt(i.id); // never confirmed: send it (again) in the next pass
      }
    }
    // containers the core placed but no longer knows (e.g. the stop was lost in a crash)
    for (const c of containers) {
      const owner = c.labels[LABEL_INSTANCE];
      if (!owner || this.state.instanceByName(c.name) || this.state.instances.has(owner)) continue;
      events.push({
        type: 'reconcile',
        node: nodeId,
        data: { action: 'remove-orphan', name: c.name, reason: 'container of an instance the core does not know' },
      });
      void this.agents.remove(node, c.name).catch(() => undefined);
    }
    if (writes.length) await this.state.saveInstances(writes);
    if (deletes.length) await this.state.deleteInstances(deletes);
    if (events.length) await this.events.coreMany(events);
    this.kick();
  }

  /** Cheap drift check from a heartbeat's instance list; a full sync only when something disagrees. */
  checkHeartbeat(nodeId: string, names: string[] | undefined): void {
    const node = this.state.nodes.get(nodeId);
    if (!node) return;
    if (node.needsSync) {
      void this.syncNode(nodeId, this.opts.pendingSyncGapMs);
      return;
    }
    if (!names) return;
    const seen = new Set(names);
    const now = Date.now();
    for (const i of this.state.instancesOn(nodeId)) {
      if (this.dispatch.inFlight(i.id)) continue;
      const settled = now - i.updatedAt > this.opts.settleMs;
      if (
        (i.state === 'running' && settled && !seen.has(i.name)) ||
        (i.state === 'lost' && seen.has(i.name)) ||
        (i.state === 'starting' && settled && seen.has(i.name))
      ) {
        void this.syncNode(nodeId, this.opts.driftSyncGapMs);
        return;
      }
    }
  }

  /** Agent-reported state changes of instances the core placed (committed with the next outcome batch). */
  onInstanceEvent(node: string, e: InstanceEvent): void {
    const found =
      this.state.instanceByName(e.name) ?? (e.labels?.[LABEL_INSTANCE] ? this.state.instances.get(e.labels[LABEL_INSTANCE]) : undefined);
    if (!found || found.node !== node) return;
    const inflight = this.dispatch.inFlight(found.id);
    this.dispatch.record(
      found.id,
      (i) => {
        if (!i || i.node !== node) return undefined;
        const now = Date.now();
        if (e.state === 'running' && i.state === 'starting' && i.desired === 'run')
          return { write: { ...i, state: 'running', reason: null, updatedAt: now } };
        if ((e.state === 'exited' || e.state === 'failed') && i.desired === 'run' && (i.state === 'running' || i.state === 'starting')) {
          this.dispatch.noteFailure(i.mel);
          return { write: { ...i, state: 'failed', reason: e.reason ?? `container ${e.state}`, updatedAt: now } };
        }
        if (e.state === 'removed' && i.desired === 'run' && i.state === 'running' && !inflight)
          return { write: { ...i, state: 'failed', reason: 'container removed outside osmo', updatedAt: now } };
        return undefined;
      },
      false,
    );
  }
}
