// The embedded default: one SQLite file through better-sqlite3 (kysely's SqliteDialect).
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../../schema.js';
import type { OpenedDatabase } from '../types.js';

export function openSqlite(file: string): OpenedDatabase {
  const raw = new BetterSqlite3(file);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes
  // (kill -9), which is the crash model the reconciler relies on.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    db,
    dialect: 'sqlite',
    describe: `sqlite:${file}`,
    // one process owns the file (kysely serializes its one connection): nothing to lock
    withMigrationLock: (fn) => fn(),
  };
}
