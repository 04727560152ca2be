// Where the store lives, from `--store`/OSMO_STORE: `sqlite:PATH`, `postgres://…` (or
// `postgresql://…`), or nothing for `<data-dir>/osmo.db`. Each dialect is a folder here; the
// rest of src/store is written once against kysely and runs on both.
import { isAbsolute, resolve } from 'node:path';
import { PostgresAdapter, type Kysely } from 'kysely';
import { openPostgres, redact, type PostgresOptions } from './postgres/index.js';
import { openSqlite } from './sqlite/index.js';
import type { OpenedDatabase } from './types.js';

export type { DialectName, OpenedDatabase } from './types.js';
export { redact };

export type StoreLocation = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

/** Parses a store URL; throws an Error naming the accepted forms. */
export function parseStoreUrl(spec: string | undefined, dataDir: string): StoreLocation {
  if (spec === undefined || spec === '') return { dialect: 'sqlite', file: resolve(dataDir, 'osmo.db') };
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new Error('store: sqlite: needs a file path, e.g. sqlite:./.osmo/osmo.db');
    return { dialect: 'sqlite', file: isAbsolute(path) ? path : resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    try {
      new URL(spec);
    } catch {
      throw new Error(`store: not a valid URL: ${redact(spec)}`);
    }
    return { dialect: 'postgres', url: spec };
  }
  throw new Error(`store: expected sqlite:PATH or postgres://user:pass@host:port/db, got "${spec.split(':')[0]}:…"`);
}

export function describeLocation(loc: StoreLocation): string {
  return loc.dialect === 'sqlite' ? `sqlite:${loc.file}` : redact(loc.url);
}

export function openDatabase(loc: StoreLocation, pgOptions?: PostgresOptions): OpenedDatabase {
  return loc.dialect === 'sqlite' ? openSqlite(loc.file) : openPostgres(loc.url, pgOptions);
}

/** For migrations, which see only a Kysely: the few column types that differ. */
export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
