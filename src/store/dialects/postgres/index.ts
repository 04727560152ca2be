// PostgreSQL through kysely's PostgresDialect and a `pg` Pool. Only three things differ
// from SQLite at this level: bigint/numeric come back as strings unless parsed, an idle
// pooled connection that the server drops emits an error the pool must swallow (else the
// process dies on a PostgreSQL restart), and migrations need a lock across processes.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../schema.js';
import type { OpenedDatabase } from '../types.js';

const INT8 = 20;
const NUMERIC = 1700;

// Every bigint the schema holds is a time in ms, a sequence number or a count: well inside
// 2^53, so a JS number is exact (the SQLite driver returns numbers too).
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Any 64-bit number; the same on every core, so two cores starting at once take turns. */
const MIGRATION_LOCK = 0x6f736d6f; // "osmo"

export interface PostgresOptions {
  /** pool size (default 10) */
  max?: number;
  /** called when an idle connection fails (the pool replaces it on next use) */
  onIdleError?: (e: Error) => void;
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export function openPostgres(url: string, opts: PostgresOptions = {}): OpenedDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types,
    // fail a request fast while the server is away: the API answers 503 and the caller retries
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (e) => (opts.onIdleError ?? ((x: Error) => process.emitWarning(`postgres: idle connection lost: ${x.message}`)))(e));
  // A connection cut while checked out (inside a transaction, between two statements) emits
  // 'error' on its client, which the pool listens to only while the client is idle: without
  // this listener a PostgreSQL restart kills the process. The error is not lost: the
  // client's next query fails ("not queryable", a 503) and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    describe: redact(url),
    async withMigrationLock(fn) {
      // a session lock on one pooled connection held while the migrator works on others
      return db.connection().execute(async (conn) => {
        await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
        try {
          return await fn();
        } finally {
          await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
        }
      });
    },
  };
}
