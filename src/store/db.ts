// Bringing a database's schema to the latest version: the core's migrations and the SLA
// manager's, under the dialect's migration lock so two cores starting at once never race.
import { Migrator, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';
import { migrateSla } from './sla-migrations.js';
import type { OpenedDatabase } from './dialects/index.js';

/** The core's own migrations (not the SLA tables); returns the names applied now. */
export async function migrate(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Every table of the store, once, whichever process gets there first. */
export async function migrateAll(opened: OpenedDatabase): Promise<string[]> {
  return opened.withMigrationLock(async () => {
    const applied = await migrate(opened.db);
    await migrateSla(opened.db as unknown as Kysely<unknown>);
    return applied;
  });
}
