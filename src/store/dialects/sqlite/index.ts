// The embedded default: one SQLite file through better-sqlite3 (kysely's SqliteDialect).
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from '../../schema.js';
import type { OpenedDatabase } from '../types.js';

export function openSqlite(file: string): OpenedDatabase {
  const raw = new BetterSqlite3(file);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes
  // (kill -9), which is the crash model the reconciler relies on.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(raw) }) });
  return {
    db,
    dialect: 'sqlite',
    describe: `sqlite:${file}`,
    // one process owns the file (kysely serializes its one connection): nothing to lock
    withMigrationLock: (fn) => fn(),
  };
}

/**
 * kysely's SQLite driver prepares every query anew, which was a tenth of a busy core's CPU
 * (docs/benchmarks.md, core): the same SQL text (a pass runs the same few statements
 * thousands of times) gets its prepared statement back. Safe because the driver runs one
 * query at a time on its one connection; SQLite re-prepares a statement after a schema change.
 */
function reusingStatements(raw: BetterSqlite3.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        // most recently used last: the first key is the one to evict
        cache.delete(sql);
      } else {
        stmt = raw.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
