// What the policy engine knows about each node beyond the store, shared by the scheduler
// (where new instances go) and the rebalancer and migrator (what moves where): smoothed
// loads (LoadBook), the hysteresis state carried between rounds, the pending table of
// instances a node accepted that have not arrived, the sources with a move in flight, and
// the images each node already has (for prefer-known-destination).
import { PendingTable, type PendingEntry } from '../../policy/acceptance.js';
import type { PolicyDocument } from '../../policy/document.js';
import type { ClusterSnapshot } from '../scheduler/types.js';
import type { ClusterState } from '../state.js';
import { LoadBook } from './loads.js';

export class PolicyState {
  readonly loads: LoadBook;
  /** hysteresis state per node, written by each rebalancing round */
  readonly overloaded = new Map<string, boolean>();
  /** images present on each node (any container, ours or not) */
  readonly catalog = new Map<string, string[]>();
  /** source node -> busy until (ms); Infinity while a move from it runs */
  readonly busyUntil = new Map<string, number>();
  /** instances being migrated */
  readonly migrating = new Set<string>();
  private readonly pending = new Map<string, PendingTable>();

  constructor(
    state: ClusterState,
    readonly policyOf: (node: string) => PolicyDocument,
  ) {
    this.loads = new LoadBook(state);
  }

  /** A move from this node runs or its measured load has not settled yet. */
  busy(node: string, now: number): boolean {
    return (this.busyUntil.get(node) ?? 0) > now;
  }

  pendingOf(node: string, now: number): PendingEntry[] {
    return this.pending.get(node)?.list(now) ?? [];
  }

  /** The node's pending table, sized and timed by its current policy. */
  table(node: string): PendingTable {
    const m = this.policyOf(node).management;
    let t = this.pending.get(node);
    if (!t) this.pending.set(node, (t = new PendingTable(m.pendingTableSize, m.acceptanceTimeoutMs)));
    else t.configure(m.pendingTableSize, m.acceptanceTimeoutMs);
    return t;
  }

  /** The scheduler sees measured loads, hysteresis, acceptance and pending tables too. */
  enrich(snap: ClusterSnapshot, now = Date.now()): ClusterSnapshot {
    for (const n of snap.nodes) {
      const p = this.policyOf(n.id);
      const l = this.loads.node(n.id, now, p);
      n.load = l?.load;
      n.overloaded = this.overloaded.get(n.id) ?? false;
      n.acceptance = p.acceptance;
      n.pendingLoad = this.pendingOf(n.id, now).reduce((a, e) => a + e.load, 0);
      // a new array, not a push: the snapshot's arrays may be the reconciler's kept ones (SnapshotCache)
      const missing = (this.catalog.get(n.id) ?? []).filter((img) => !n.images.includes(img));
      if (missing.length) n.images = [...n.images, ...missing];
    }
    return snap;
  }
}
