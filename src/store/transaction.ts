// The one way the store opens a transaction of its own (fence.ts for the core's tables, the
// SLA and cloudlet repositories, `osmo store copy`).
import type { Kysely, Transaction } from 'kysely';

/**
 * kysely's `db.transaction().execute(fn)`, except that a failed rollback never hides the error
 * that caused it. SQLite rolls a transaction back by itself when a write or the commit meets a
 * full disk (SQLITE_FULL); the ROLLBACK after it then fails with "no transaction is active",
 * and that, not the full disk, reached the caller: a 500 instead of 503 OSMO_STORE_FULL.
 *
 * @example
 * await transaction(db, async (tx) => {
 *   await tx.insertInto('mels').values(row).execute();
 * });
 */
export async function transaction<DB, T>(db: Kysely<DB>, fn: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  const tx = await db.startTransaction().execute();
  try {
    const out = await fn(tx);
    await tx.commit().execute();
    return out;
  } catch (e) {
    // the connection is released either way (kysely's ControlledTransaction.rollback)
    await tx
      .rollback()
      .execute()
      .catch(() => undefined);
    throw e;
  }
}
