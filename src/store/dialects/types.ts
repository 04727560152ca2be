import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** What a dialect folder hands the store: the database and the few things that differ. */
export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** where it is, without a password (for logs and `osmo store` output) */
  describe: string;
  /** runs `fn` while no other process migrates the same database */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
}
