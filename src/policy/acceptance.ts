// Acceptance: whether a node takes a new or migrating instance, and the table of
// accepted-but-not-arrived instances whose phantom load counts until they arrive.
import type { Acceptance, PolicyDocument } from './document.js';

export interface AcceptanceView {
  /** smoothed L; undefined = no fresh measurement */
  load?: number;
  overloaded: boolean;
  /** raw sum of the estimated loads of pending (accepted, not arrived) instances */
  pendingLoad: number;
}

export type Verdict = { ok: true } | { ok: false; reason: string };
const yes: Verdict = { ok: true };

/** L the node would have after taking `incoming`: current + phantom pending + incoming. */
export function projectedLoad(node: AcceptanceView, incoming: number, phantomLoadWeight: number): number {
  return (node.load ?? 0) + phantomLoadWeight * node.pendingLoad + incoming;
}

/**
 * The node-side acceptance policy. An unknown load counts as 0 (a node that has not
 * reported yet must still be able to take its first instances).
 */
export function accepts(
  policy: Acceptance,
  node: AcceptanceView,
  incoming: number,
  p: Pick<PolicyDocument, 'thresholds'> & { management: Pick<PolicyDocument['management'], 'phantomLoadWeight'> },
): Verdict {
  switch (policy) {
    case 'always':
      return yes;
    case 'never':
      return { ok: false, reason: 'acceptance policy never' };
    case 'if-unloaded-before':
      return node.overloaded ? { ok: false, reason: 'overloaded (if-unloaded-before)' } : yes;
    case 'if-unloaded-after': {
      const after = projectedLoad(node, incoming, p.management.phantomLoadWeight);
      return after < p.thresholds.high
        ? yes
        : { ok: false, reason: `would reach ${after.toFixed(2)} >= high ${p.thresholds.high} (if-unloaded-after)` };
    }
  }
}

export interface PendingEntry {
  instance: string;
  /** estimated load it will add */
  load: number;
  acceptedAt: number;
}

/**
 * Bounded table of accepted-but-not-arrived instances of one node. Entries leave when the
 * instance arrives (arrived()), or when the acceptance timeout passes (a move that never
 * came must not block the node forever).
 */
export class PendingTable {
  private entries = new Map<string, PendingEntry>();

  constructor(
    private maxSize: number,
    private timeoutMs: number,
  ) {}

  configure(maxSize: number, timeoutMs: number): void {
    this.maxSize = maxSize;
    this.timeoutMs = timeoutMs;
  }

  expire(now: number): void {
    for (const [k, e] of this.entries) if (now - e.acceptedAt > this.timeoutMs) this.entries.delete(k);
  }

  /** Records an acceptance; refused when the table is full (after expiring old entries). */
  add(instance: string, load: number, now: number): Verdict {
    this.expire(now);
    if (this.entries.has(instance)) {
      this.entries.set(instance, { instance, load, acceptedAt: now });
      return yes;
    }
    if (this.entries.size >= this.maxSize) return { ok: false, reason: `pending table full (${this.maxSize})` };
    this.entries.set(instance, { instance, load, acceptedAt: now });
    return yes;
  }

  arrived(instance: string): void {
    this.entries.delete(instance);
  }

  /** Raw sum of pending estimated loads (the phantom weight is applied by the policy). */
  load(now: number): number {
    this.expire(now);
    let s = 0;
    for (const e of this.entries.values()) s += e.load;
    return s;
  }

  size(now: number): number {
    this.expire(now);
    return this.entries.size;
  }

  list(now: number): PendingEntry[] {
    this.expire(now);
    return [...this.entries.values()];
  }
}
