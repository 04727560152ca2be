// Opening the database: the only file that knows the dialect. A PostgreSQL variant is a
// second function here returning the same Kysely<Database> (see docs/decisions.md).
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';

export function openSqlite(file: string): Kysely<Database> {
  const raw = new BetterSqlite3(file);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes
  // (kill -9), which is the crash model the reconciler relies on.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
}

export async function migrate(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
