// The policy engine inside the core: keeps loads and monitors current, runs one
// rebalancing round every rebalancePeriodMs and executes its moves (the scheduler reads
// the same PolicyState for placements: src/core/scheduler/module.ts).
// Every period is re-read from the policy each time, so a change applies on the next
// tick without a restart. Every decision becomes an event with its reason.
import { accepts } from '../../policy/acceptance.js';
import type { PolicyDocument } from '../../policy/document.js';
import { capacityFilter, estimateLoad } from '../../policy/fit.js';
import { nextOverloaded } from '../../policy/hysteresis.js';
import { rebalance, type InstanceSnapshot, type Move, type RebalanceNode, type RebalanceState } from '../../policy/rebalance.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import type { AgentClient } from '../agents/client.js';
import type { CoreEvent } from '../../bus/events.js';
import type { EventLog } from '../events/service.js';
import type { CoreMetrics } from '../metrics/service.js';
import type { PolicyService } from '../policies/service.js';
import type { Reconciler } from '../reconciler/reconciler.js';
import type { ClusterState } from '../state.js';
import { shownStatus } from '../nodes/service.js';
import { buildSnapshot } from '../reconciler/snapshot.js';
import { Migrator, type MigrationOutcome } from './migrator.js';
import { Limiter } from '../reconciler/limiter.js';
import { MonitorKeeper } from './monitors.js';
import type { PolicyState } from './policy-state.js';

/** What the engine uses: the policy services, the cluster, and the reconciler (a move's switch kicks it). */
export interface EngineContext {
  token: string;
  state: ClusterState;
  events: EventLog;
  metrics: CoreMetrics;
  agents: AgentClient;
  reconciler: Reconciler;
  policies: PolicyService;
  policyState: PolicyState;
}

export class PolicyEngine {
  readonly migrator: Migrator;
  private readonly monitors: MonitorKeeper;
  private readonly lastNote = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private ensuring: Promise<void> | null = null;
  /** catalog reads in flight: a thousand nodes are read a few dozen at a time, not in one burst */
  private readonly catalogLimiter = new Limiter(32);
  private stopped = false;
  rounds = 0;

  constructor(private readonly ctx: EngineContext) {
    this.migrator = new Migrator(ctx, ctx.policyState);
    this.monitors = new MonitorKeeper(ctx.state, ctx.agents.apiFor);
  }

  private get ps() {
    return this.ctx.policyState;
  }

  start(): void {
    const global = () => this.ctx.policies.globalDocument().management;
    this.loop(
      () => global().loadRefreshPeriodMs,
      () => this.refresh(),
    );
    this.loop(
      () => global().rebalancePeriodMs,
      async () => void (await this.round()),
    );
    this.loop(
      () => global().catalogRefreshPeriodMs,
      () => this.refreshCatalog(),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.migrator.close();
  }

  private loop(period: () => number, f: () => Promise<void>): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        await f();
      } catch (e) {
        process.emitWarning(`policy engine: ${String((e as Error).stack ?? e)}`);
      }
      if (!this.stopped) arm();
    };
    const arm = () => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void tick();
      }, period());
      t.unref();
      this.timers.add(t);
    };
    arm();
  }

  private policyOf = (node: string): PolicyDocument => this.ctx.policies.forNode(node);

  async refresh(now = Date.now()): Promise<void> {
    this.ps.loads.refresh(now, this.policyOf);
    // agents that do not answer (5 s each, a few dozen at a time) must not hold up the next load refresh
    if (this.ensuring) return;
    this.ensuring = this.monitors.ensure(now, this.policyOf).finally(() => (this.ensuring = null));
  }

  /** The seed's "libraries and services" table: which images each node already has. */
  async refreshCatalog(): Promise<void> {
    await Promise.all(
      [...this.ctx.state.nodes.values()]
        .filter((n) => n.status === 'ready')
        .map(async (n) => {
          try {
            const list = await this.catalogLimiter.run(() => this.ctx.agents.list(n));
            this.ps.catalog.set(n.id, [...new Set(list.map((c) => c.image).filter((i): i is string => !!i))]);
          } catch {
            // unreachable now: keep what we knew
          }
        }),
    );
  }

  /** The rebalancer's view: nodes with loads and hysteresis, running instances with theirs. */
  snapshot(now = Date.now()): RebalanceState {
    const snap = this.ps.enrich(buildSnapshot(this.ctx.state), now);
    const nodes: RebalanceNode[] = snap.nodes.map((n) => {
      const live = this.ctx.state.nodes.get(n.id);
      const l = this.ps.loads.node(n.id, now, this.policyOf(n.id));
      return {
        ...n,
        status: live ? shownStatus(live) : n.status,
        loadTs: l?.ts,
        pending: this.ps.pendingOf(n.id, now),
        inFlight: this.ps.busy(n.id, now),
      };
    });
    const instances: InstanceSnapshot[] = [];
    for (const i of this.ctx.state.instances.values()) {
      if (i.desired !== 'run' || i.state !== 'running' || !i.node) continue;
      const mel = this.ctx.state.mels.get(i.mel);
      if (!mel) continue;
      const load = this.ps.loads.instance(i.name, now, this.policyOf(i.node));
      instances.push({
        id: i.id,
        mel: i.mel,
        image: mel.spec.image,
        node: i.node,
        ...(load !== undefined ? { load } : {}),
        resources: mel.spec.resources,
        placement: mel.spec.placement,
        movable: !this.ps.migrating.has(i.id),
      });
    }
    return { nodes, instances };
  }

  /** One round: hysteresis, moves, events. Moves run in the background. */
  async round(now = Date.now()): Promise<Move[]> {
    this.rounds++;
    this.ctx.metrics.rebalanceRounds.inc();
    const state = this.snapshot(now);
    const set = this.ctx.policies.set;
    const r = rebalance(state, set, now);
    const events: CoreEvent[] = [];
    for (const n of state.nodes) {
      const was = this.ps.overloaded.get(n.id) ?? false;
      const is = r.overloaded[n.id] ?? false;
      this.ps.overloaded.set(n.id, is);
      if (!is) this.lastNote.delete(n.id);
      if (was !== is) {
        const t = this.policyOf(n.id).thresholds;
        events.push({
          type: 'load',
          node: n.id,
          data: {
            node: n.id,
            overloaded: is,
            load: n.load,
            terms: this.ps.loads.terms(n.id, now),
            thresholds: t,
            reason: is ? `L ${n.load?.toFixed(3)} >= high ${t.high}` : `L ${n.load?.toFixed(3)} <= low ${t.low}`,
          },
        });
      }
    }
    for (const note of r.notes) {
      // one event per kind of hold, not one per round with fresh numbers in it
      const kind = note.reason.replace(/\d+(\.\d+)?/g, '#');
      if (this.lastNote.get(note.node) === kind) continue;
      this.lastNote.set(note.node, kind);
      events.push({ type: 'rebalance', node: note.node, data: { decision: 'hold', node: note.node, reason: note.reason } });
    }
    for (const m of r.moves) {
      this.lastNote.delete(m.from);
      const policy = this.policyOf(m.from);
      events.push({
        type: 'rebalance',
        node: m.from,
        data: {
          decision: 'move',
          ...m,
          policy: { selection: policy.selection, destination: policy.destination, thresholds: policy.thresholds },
          loads: { from: state.nodes.find((n) => n.id === m.from)?.load, to: state.nodes.find((n) => n.id === m.to)?.load },
        },
      });
    }
    if (events.length) await this.ctx.events.coreMany(events);
    for (const m of r.moves)
      void this.migrator
        .migrate({ instance: m.instance, to: m.to, kind: m.kind, reason: m.reason, estimatedLoad: m.estimatedLoad })
        .catch(() => undefined);
    return r.moves;
  }

  /** Manual migration: to the given node (after its acceptance), or where the destination policy says. */
  async manual(instanceId: string, to: string | undefined, now = Date.now()): Promise<MigrationOutcome & { reason: string }> {
    const i = this.ctx.state.instances.get(instanceId) ?? this.ctx.state.instanceByName(instanceId);
    if (!i) throw notFound(`instance ${instanceId} not found`);
    if (!i.node || i.desired !== 'run' || i.state !== 'running')
      throw conflict(`instance ${i.id} is ${i.state}; only a running instance migrates`);
    const state = this.snapshot(now);
    let move: { to: string; reason: string; estimatedLoad: number };
    if (to === undefined) {
      const r = rebalance(state, this.ctx.policies.set, now, { force: [i.id] });
      const m = r.moves.find((x) => x.instance === i.id);
      if (!m) throw conflict(r.notes.find((n) => n.reason.includes(i.id))?.reason ?? `no destination accepts ${i.id}`);
      move = m;
    } else {
      const dest = state.nodes.find((n) => n.id === to);
      if (!dest) throw notFound(`node ${to} not found`);
      if (to === i.node) throw invalid(`node: instance ${i.id} already runs on ${to}`);
      const mel = this.ctx.state.mels.get(i.mel);
      const src = state.nodes.find((n) => n.id === i.node);
      const p = this.policyOf(to);
      const inst = state.instances.find((x) => x.id === i.id);
      const est = inst?.load ?? (mel && src ? estimateLoad(mel.spec.resources, dest.capacity, p.weights) : 0);
      const pendingLoad = (dest.pending ?? []).reduce((a, e) => a + e.load, 0);
      const v = accepts(
        p.acceptance,
        { load: dest.load, overloaded: nextOverloaded(dest.overloaded, dest.load, p.thresholds), pendingLoad },
        est,
        p,
      );
      if (!v.ok) throw conflict(`node ${to} refuses ${i.id}: ${v.reason}`);
      const full = mel && capacityFilter(dest.capacity, dest.allocated, mel.spec.resources);
      if (full) throw conflict(`node ${to} refuses ${i.id}: ${full}`);
      move = {
        to,
        estimatedLoad: est,
        reason: `manual: operator moved ${i.id} to ${to} (acceptance ${p.acceptance}: ok, L ${dest.load?.toFixed(2) ?? 'unknown'})`,
      };
    }
    await this.ctx.events.core('rebalance', i.node, {
      decision: 'move',
      kind: 'manual',
      instance: i.id,
      mel: i.mel,
      from: i.node,
      to: move.to,
      reason: move.reason,
    });
    const out = await this.migrator.migrate({
      instance: i.id,
      to: move.to,
      kind: 'manual',
      reason: move.reason,
      estimatedLoad: move.estimatedLoad,
    });
    return { ...out, reason: move.reason };
  }
}
