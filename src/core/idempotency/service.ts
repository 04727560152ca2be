// Idempotency keys over the store: a key is reserved (a row with no answer) before the write
// runs, completed with the answer after it, or released when the write failed on our side
// (5xx: a retry may act for real). The row, not this process, is what a retry finds, so a
// repeat sent to another core (forwarded to the leader) or to the next leader after a
// failover is judged the same way. docs/decisions.md says what window remains.
import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/index.js';
import { unavailable } from '../../shared/errors.js';
import { seal, unseal } from '../security/seal.js';
import { judge, type IdempotencyAnswer, type Keyed, type Verdict } from './decide.js';

/** Keys live this long (Stripe's 24 h): a retry after that acts again. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** Larger answers are not kept: a repeat is answered 409 OSMO_IDEMPOTENCY_NOT_REPLAYABLE. */
export const MAX_KEPT_ANSWER_BYTES = 1024 * 1024;

const PURPOSE = 'osmo idempotency answers';

export class Idempotency {
  /** this process's name on the rows it reserves */
  readonly owner: string;
  private readonly running = new Set<string>();

  constructor(
    private readonly store: Store,
    label: string,
    readonly ttlMs = IDEMPOTENCY_TTL_MS,
    readonly maxAnswerBytes = MAX_KEPT_ANSWER_BYTES,
    /**
     * the cluster's command key: kept answers are sealed with it, since some carry secrets
     * (a created API token, a rotated join token) that the store must never hold in clear
     */
    private readonly commandKey?: Buffer,
  ) {
    this.owner = `${label}#${randomUUID().slice(0, 8)}`;
  }

  /** `go` when this request now holds the key and runs; otherwise what it is answered. */
  async begin(k: Keyed, now = Date.now()): Promise<{ kind: 'go' } | Verdict> {
    const id = idOf(k);
    // a row that disappears between the insert and the read (expired, released by a failed
    // first try) leaves the key free: try again
    for (let tries = 0; tries < 3; tries++) {
      if (await this.store.idempotency.reserve({ ...k, owner: this.owner, createdAt: now }, now - this.ttlMs)) {
        this.running.add(id);
        return { kind: 'go' };
      }
      const row = await this.store.idempotency.get(k.principal, k.key);
      if (row) {
        const v = judge(row, k, { owner: this.owner, running: this.running.has(id) });
        if (v.kind !== 'replay' || !this.commandKey) return v;
        try {
          return { ...v, body: unseal(this.commandKey, PURPOSE, v.body) };
        } catch {
          return { kind: 'not-replayable', why: "its kept answer cannot be read with this cluster's command key" };
        }
      }
    }
    throw unavailable(`idempotency key "${k.key}": the stored key keeps changing, retry`);
  }

  /** Keeps the answer (status < 500), or releases the key (`undefined`: a 5xx). */
  async finish(k: Keyed, answer: IdempotencyAnswer | undefined): Promise<void> {
    try {
      if (answer)
        await this.store.idempotency.complete(k.principal, k.key, this.owner, {
          ...answer,
          body: answer.body !== null && this.commandKey ? seal(this.commandKey, PURPOSE, answer.body) : answer.body,
        });
      else await this.store.idempotency.release(k.principal, k.key, this.owner);
    } finally {
      this.running.delete(idOf(k));
    }
  }

  /** The request ended without an answer we saw: the key stays reserved, its outcome unknown. */
  forget(k: Keyed): void {
    this.running.delete(idOf(k));
  }

  /** Removes the expired keys; the leader runs it periodically (module.ts). */
  expire(now = Date.now()): Promise<number> {
    return this.store.idempotency.deleteOlderThan(now - this.ttlMs);
  }
}

const idOf = (k: Keyed) => `${k.principal}\n${k.key}`;
