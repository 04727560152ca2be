// Fencing: a write made by a leader carries the term it was elected in and checks it in the
// same transaction. `FOR SHARE` on the term row makes a new leader's term bump wait for a
// transaction that read the old term, so either the old leader's write commits before the
// takeover or it sees the new term and is refused: a deposed leader never writes after its
// successor started.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './dialects/index.js';
import { transaction } from './transaction.js';

/**
 * The term this process writes under. Off (the default, and always on SQLite): writes are
 * plain transactions. On: every fenced write checks `term`; while it is undefined (the lease
 * is lost, maybe for good) fenced writes are refused.
 */
export class Fence {
  enabled = false;
  term: number | undefined;
}

export class FencedError extends Error {
  /** store-errors.ts maps it to a 503: a retry reaches the new leader or this one, re-elected */
  readonly code = 'OSMO_FENCED';
  constructor(
    readonly term: number,
    readonly current: number | undefined,
  ) {
    super(`not the leader any more: this core led term ${term}, the store is at term ${current ?? 'none'}`);
  }
}

/**
 * The term a write must check: null when the fence is off; FencedError while it is on but
 * the lease is lost (no term).
 */
export function termToCheck(fence: Fence): number | null {
  if (!fence.enabled) return null;
  if (fence.term === undefined) throw new FencedError(0, undefined);
  return fence.term;
}

/** A transaction, fenced when `fence` is on (the repositories' batch writes go through here). */
export async function writeTransaction<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  fence: Fence,
  fn: (tx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  // inside a caller's transaction (several repositories committing together, see
  // inOneTransaction): join it; the caller's transaction is the fenced one
  if (db.isTransaction) return fn(db as Transaction<Database>);
  const term = termToCheck(fence);
  if (term === null) return transaction(db, fn);
  return fencedTransaction(db, dialect, term, fn);
}

/** Runs `fn` in a transaction that commits only while `term` is the store's current term. */
export async function fencedTransaction<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  term: number,
  fn: (tx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return transaction(db, async (tx) => {
    // a SQLite file has one core: its transaction already excludes every other writer
    const row =
      dialect === 'postgres'
        ? (await sql<{ term: number }>`select term from core_leader where id = 1 for share`.execute(tx)).rows[0]
        : await tx.selectFrom('core_leader').select('term').where('id', '=', 1).executeTakeFirst();
    if (row === undefined || Number(row.term) !== term) throw new FencedError(term, row === undefined ? undefined : Number(row.term));
    return fn(tx);
  });
}
