// sync: reads the actual state of a node (what its agent runs, and the instance changes
// it reports) and brings the store in line: adopt, mark failed, restart or remove. Unknown
// and lost instances on a node that came back: the MEL's disconnect.reconcile rule decides
// which copies stay (reconnect.ts, pure; docs/architecture.md).
import type { CoreEvent, InstanceEvent } from '../../bus/events.js';
import { LABEL_INSTANCE } from '../../runtime/types.js';
import type { InstanceRecord } from '../../store/index.js';
import type { AgentClient, AgentInstance } from '../agents/client.js';
import type { EventLog } from '../events/service.js';
import type { ClusterState } from '../state.js';
import type { Dispatcher } from './dispatch.js';
import type { ReconcilerOptions } from './options.js';
import { reconnect, type ContainerFact } from './reconnect.js';
import { buildSnapshot } from './snapshot.js';
import { disconnectPolicy } from '../mels/disconnect.js';
import type { PublishedPort } from '../../model/index.js';
import type { RankFn } from '../scheduler/types.js';

export class Syncer {
  private readonly syncing = new Map<string, number>();
  /**
   * per node: containers a sync found that carry no instance label (not placed by the core:
   * a user's, or one the cloudlet reports on its own path); the heartbeat does not ask for a
   * sync on their account again
   */
  private readonly unowned = new Map<string, Set<string>>();

  constructor(
    private readonly state: ClusterState,
    private readonly events: EventLog,
    private readonly agents: AgentClient,
    private readonly dispatch: Dispatcher,
    private readonly opts: ReconcilerOptions,
    private readonly kick: () => void,
    /** node ranking for disconnect.reconcile best-score */
    private readonly rank: RankFn,
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
    const returning = new Map<string, Array<{ instance: InstanceRecord; container: ContainerFact; ports: PublishedPort[] }>>();
    for (const i of this.state.instancesOn(nodeId)) {
      if (this.dispatch.inFlight(i.id)) continue;
      const c = byName.get(i.name);
      const alive = c !== undefined && /running|restarting|created|pulling/.test(c.state);
      if ((i.state === 'lost' || i.state === 'unknown') && i.desired === 'run') {
        let g = returning.get(i.mel);
        if (!g) returning.set(i.mel, (g = []));
        g.push({ instance: i, container: alive ? 'alive' : c ? 'dead' : 'absent', ports: c?.ports ?? [] });
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
    for (const [mel, list] of returning) this.reconnect(nodeId, mel, list, t, { writes, deletes, events });
    // containers the core placed but no longer knows: the stop was lost in a crash, or a
    // deploy the core gave up on (no answer in time) was carried out by the engine after the
    // instance had gone; the heartbeat asks for this sync as soon as it lists such a name
    this.unowned.set(nodeId, new Set(containers.filter((c) => !c.labels[LABEL_INSTANCE]).map((c) => c.name)));
    for (const c of containers) {
      const owner = c.labels[LABEL_INSTANCE];
      if (!owner || this.state.instanceByName(c.name) || this.state.instances.has(owner) || this.state.provisional.has(c.name)) continue;
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

  /** The node's unknown and lost instances of one MEL against the MEL's other copies: reconnect.ts decides. */
  private reconnect(
    nodeId: string,
    melName: string,
    list: Array<{ instance: InstanceRecord; container: ContainerFact; ports: PublishedPort[] }>,
    t: number,
    out: { writes: InstanceRecord[]; deletes: string[]; events: CoreEvent[] },
  ): void {
    const mel = this.state.mels.get(melName);
    const ids = new Set(list.map((r) => r.instance.id));
    if (!mel) {
      // the MEL went meanwhile: everything still there stops
      for (const r of list) {
        if (r.container === 'absent') out.deletes.push(r.instance.id);
        else out.writes.push({ ...r.instance, desired: 'stop', state: 'stopping', reason: 'node back; MEL deleted', updatedAt: t });
      }
      return;
    }
    const plan = reconnect({
      replicas: mel.spec.replicas,
      generation: mel.generation,
      policy: disconnectPolicy(mel.spec),
      returning: list,
      others: this.state.instancesOf(melName).filter((i) => !ids.has(i.id)),
      rank: (nodes) => {
        const spec = mel.spec;
        return this.rank(
          buildSnapshot(this.state),
          { name: melName, image: spec.image, resources: spec.resources, placement: spec.placement },
          nodes,
        );
      },
    });
    const rec = (id: string) => this.state.instances.get(id);
    for (const id of plan.adopt) {
      const i = rec(id)!;
      const ports = list.find((r) => r.instance.id === id)?.ports ?? [];
      const reason =
        i.state === 'unknown'
          ? 'node back within disconnect.lostAfter'
          : `node back; original kept (${disconnectPolicy(mel.spec).reconcile})`;
      out.writes.push({ ...i, state: 'running', reason, ports: ports.length ? ports : i.ports, updatedAt: t });
      out.events.push({ type: 'reconcile', node: nodeId, data: { action: 'adopt', mel: melName, instance: id, name: i.name, reason } });
    }
    for (const id of plan.fail) {
      const i = rec(id)!;
      out.writes.push({ ...i, state: 'failed', reason: 'node back; container not running', updatedAt: t });
    }
    for (const { id, reason } of plan.stop) {
      const i = rec(id);
      if (!i) continue;
      out.writes.push({ ...i, desired: 'stop', state: 'stopping', reason, updatedAt: t });
      out.events.push({ type: 'reconcile', node: i.node, data: { action: 'stop', mel: melName, instance: id, name: i.name, reason } });
    }
    out.deletes.push(...plan.forget);
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
    // a container the core has no instance for: an orphan to remove (sync decides, by its labels)
    const unowned = this.unowned.get(nodeId);
    if (names.some((n) => !this.state.instanceByName(n) && !unowned?.has(n) && !this.state.provisional.has(n))) {
      void this.syncNode(nodeId, this.opts.driftSyncGapMs);
      return;
    }
    for (const i of this.state.instancesOn(nodeId)) {
      if (this.dispatch.inFlight(i.id)) continue;
      const settled = now - i.updatedAt > this.opts.settleMs;
      if (
        (i.state === 'running' && settled && !seen.has(i.name)) ||
        ((i.state === 'lost' || i.state === 'unknown') && i.desired === 'run') ||
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
