// `osmo store copy`: every table of one store into another (SQLite -> PostgreSQL to move up
// from `osmo up`, or back). Both are first brought to the latest schema, so the tables and
// columns match; the tables are the source's own (minus the migrators' bookkeeping), so a
// table added by a later migration is copied without changing this file. The target is
// written in one transaction: it holds everything or nothing.
import { sql, type Kysely } from 'kysely';
import { migrateAll } from './db.js';
import { transaction } from './transaction.js';
import { openDatabase, type OpenedDatabase, type StoreLocation } from './dialects/index.js';

const BOOKKEEPING = new Set(['kysely_migration', 'kysely_migration_lock', 'sla_migration', 'sla_migration_lock']);
/** rows per INSERT: ≤ 20 columns x 500 stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters */
const BATCH = 500;

export interface CopyResult {
  /** rows copied, by table */
  tables: Record<string, number>;
}

export class TargetNotEmptyError extends Error {
  constructor(readonly tables: string[]) {
    super(`the target store is not empty (${tables.join(', ')}): pass --force to replace what it holds`);
  }
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

async function userTables(o: OpenedDatabase): Promise<string[]> {
  return (await o.db.introspection.getTables())
    .map((t) => t.name)
    .filter((n) => !BOOKKEEPING.has(n))
    .sort();
}

async function rowCount(db: AnyDb, table: string): Promise<number> {
  const r = await db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('c'))
    .executeTakeFirst();
  return Number(r?.c ?? 0);
}

/** The source's rows of one table, a batch at a time (SQLite streams; PostgreSQL reads the table). */
async function* batches(src: OpenedDatabase, table: string): AsyncGenerator<Record<string, unknown>[]> {
  const q = (src.db as unknown as AnyDb).selectFrom(table).selectAll();
  if (src.dialect === 'sqlite') {
    let batch: Record<string, unknown>[] = [];
    for await (const row of q.stream()) {
      batch.push(row);
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    return;
  }
  // `stream()` on PostgreSQL needs pg-cursor; a store moving down to SQLite fits in memory
  const rows = await q.execute();
  for (let k = 0; k < rows.length; k += BATCH) yield rows.slice(k, k + BATCH);
}

/**
 * Copies every table of `from` into `to`. Refuses a target holding any row unless `force`
 * (then its rows are deleted first, in the same transaction).
 */
export async function copyStore(from: StoreLocation, to: StoreLocation, opts: { force?: boolean } = {}): Promise<CopyResult> {
  const src = openDatabase(from);
  const dst = openDatabase(to);
  try {
    await migrateAll(src);
    await migrateAll(dst);
    const tables = await userTables(src);
    const targetTables = new Set(await userTables(dst));
    const missing = tables.filter((t) => !targetTables.has(t));
    if (missing.length > 0) throw new Error(`the target has no table ${missing.join(', ')} (is it an older osmo?)`);
    const target = dst.db as unknown as AnyDb;
    const result: CopyResult = { tables: {} };
    await transaction(target, async (tx) => {
      const nonEmpty: string[] = [];
      for (const t of tables) if ((await rowCount(tx, t)) > 0) nonEmpty.push(t);
      if (nonEmpty.length > 0 && !opts.force) throw new TargetNotEmptyError(nonEmpty);
      for (const t of nonEmpty) await tx.deleteFrom(t).execute();
      for (const t of tables) {
        let n = 0;
        for await (const rows of batches(src, t)) {
          await tx.insertInto(t).values(rows).execute();
          n += rows.length;
        }
        result.tables[t] = n;
      }
      // rows came with their ids: move each identity past them so the next insert does not collide
      if (dst.dialect === 'postgres') {
        for (const meta of await dst.db.introspection.getTables()) {
          if (!tables.includes(meta.name)) continue;
          for (const c of meta.columns.filter((x) => x.isAutoIncrementing)) {
            await sql`select setval(pg_get_serial_sequence(${meta.name}, ${c.name}), coalesce(max(${sql.ref(c.name)}), 0) + 1, false)
                      from ${sql.table(meta.name)}`.execute(tx);
          }
        }
      }
    });
    return result;
  } finally {
    await Promise.allSettled([src.db.destroy(), dst.db.destroy()]);
  }
}
