// Every timing of the reconciler in one place (CoreOptions.reconciler overrides any of
// them). The defaults suit a LAN cluster with one-second heartbeats.

export interface ReconcilerOptions {
  /** a pass runs at least this often, even without a trigger */
  intervalMs: number;
  /** kicks within this window make one pass */
  kickDelayMs: number;
  /** a command that did not reach its agent is sent again after this */
  retryMs: number;
  /** agent commands in flight, to all agents together */
  concurrency: number;
  /** command outcomes arriving within this window are committed in one transaction */
  outcomeFlushMs: number;
  /** a failed instance keeps its slot this long before it is replaced (crash-loop backoff) ... */
  failedHoldMs: number;
  /** ... doubling with each consecutive failure of its MEL, up to this */
  maxFailedHoldMs: number;
  /** an instance whose record changed less than this ago is not judged by a heartbeat yet */
  settleMs: number;
  /** at most one sync (agent list) per node within this, by default */
  syncGapMs: number;
  /** ... for a node that still needs its first sync, asked for on every heartbeat */
  pendingSyncGapMs: number;
  /** ... for a node whose heartbeat disagrees with the store (drift) */
  driftSyncGapMs: number;
  /** rows one MEL may write or delete in one pass; the rest follows in the next passes */
  maxActionsPerMel: number;
  /**
   * rows (and commands) all MELs together may write in one pass: a pass holds the event loop
   * while it decides (and, on SQLite, commits), so a big rollout goes out in passes of this
   * size with heartbeats and API calls served in between. Passes follow one another, so on
   * PostgreSQL, where a commit is a round trip that waits on a busy loop, the size sets the
   * placement rate: 1,000 (500 before) placed a 10,000-replica rollout about 1.5× as fast
   * (docs/benchmarks.md, "Passes of 1,000")
   */
  maxActionsPerPass: number;
  /**
   * passes and deploy requests (work the core chooses to start) wait while the event loop was
   * busier than this over the last `headroomWindowMs` (0–1; 1: never wait), at most
   * `headroomMaxWaitMs`: heartbeats and API calls keep some of the loop during a rollout
   */
  headroomUtilization: number;
  headroomWindowMs: number;
  headroomMaxWaitMs: number;
}

export const DEFAULT_RECONCILER: ReconcilerOptions = {
  intervalMs: 1000,
  kickDelayMs: 5,
  retryMs: 2000,
  concurrency: 64,
  outcomeFlushMs: 10,
  failedHoldMs: 3000,
  maxFailedHoldMs: 60_000,
  settleMs: 3000,
  syncGapMs: 1000,
  pendingSyncGapMs: 5000,
  driftSyncGapMs: 2000,
  maxActionsPerMel: 1000,
  maxActionsPerPass: 1000,
  // off: measured, the gate made medians 2–5× shorter while placing but not the p99, and
  // rollouts 5–30 % slower (docs/benchmarks.md, "Headroom while placing")
  headroomUtilization: 1,
  headroomWindowMs: 20,
  headroomMaxWaitMs: 250,
};
