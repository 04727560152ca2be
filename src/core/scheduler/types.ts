// The scheduler's contract: a pure function over a snapshot of cluster state (Nomad style).
// The core builds a ClusterSnapshot from its store, calls schedule(), then commits the
// resulting placements to the store *before* sending any command to an agent.
import type { ClusterSnapshot, MelSnapshot } from '../../model/snapshot.js';

export type { ClusterSnapshot, MelSnapshot, NodeSnapshot } from '../../model/snapshot.js';

export interface ScheduleRequest {
  mel: MelSnapshot;
  /** how many new instances to place */
  count: number;
  /** nodes to leave out (e.g. the source of a migration) */
  exclude?: string[];
}

export interface Placement {
  node: string;
  /** why this node won: for events and `osmo ps` */
  reason: string;
  score: number;
}

export interface ScheduleResult {
  placements: Placement[];
  /** instances that could not be placed, with the reason per node filter that eliminated candidates */
  unplaced: number;
  reason?: string;
}

/** Node ids best first for a MEL that already runs on each of them (see rankNodes). */
export type RankFn = (snapshot: ClusterSnapshot, mel: MelSnapshot, nodes: string[]) => string[];

/**
 * A scheduler as the reconciler calls it (the core's: src/core/scheduler/module.ts), with the
 * ranking it uses to pick survivors when a lost node comes back (default: rankNodes on the
 * default policy).
 */
export type ScheduleFn = ((snapshot: ClusterSnapshot, req: ScheduleRequest) => ScheduleResult) & { rank?: RankFn };
