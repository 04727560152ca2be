// The SLA manager's tables (providers, templates, agreements, enforcement jobs, pushed
// metrics, breaches, violations, penalties). Kept apart from MIGRATIONS (migrations.ts) while
// the core is being restructured: the SLA plugin runs these with kysely's Migrator under its
// own bookkeeping table, so nothing else changes. Moving them into MIGRATIONS as
// '0003_sla' later is one line (the up/down stay as they are). Never edit an applied one.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { autoId, real } from './columns.js';

const m0001: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sla_providers')
      .addColumn('uuid', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .execute();
    await db.schema
      .createTable('sla_templates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text')
      .addColumn('service', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sla_agreements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('template_id', 'text')
      .addColumn('provider_id', 'text')
      .addColumn('consumer_id', 'text')
      .addColumn('service', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sla_enforcements')
      .addColumn('agreement_id', 'text', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_executed', 'bigint')
      .addColumn('states', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema
      .createTable('sla_metrics')
      .addColumn('id', ...autoId(db))
      .addColumn('agreement_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', real(db), (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sla_metrics_agreement_at').on('sla_metrics').columns(['agreement_id', 'at']).execute();
    // `key` is the dedupe key of src/sla/keys.ts: the same breach/violation/penalty is stored once
    for (const t of ['sla_breaches', 'sla_violations', 'sla_penalties']) {
      await db.schema
        .createTable(t)
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('agreement_id', 'text', (c) => c.notNull())
        .addColumn('term', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex(`${t}_agreement_at`).on(t).columns(['agreement_id', 'at']).execute();
    }
  },
  async down(db: Kysely<unknown>) {
    for (const t of [
      'sla_penalties',
      'sla_violations',
      'sla_breaches',
      'sla_metrics',
      'sla_enforcements',
      'sla_agreements',
      'sla_templates',
      'sla_providers',
    ]) {
      await db.schema.dropTable(t).execute();
    }
  },
};

// compensating actions: one row per (violation, action), claimed before the action runs, so
// a violation seen again after a crash never acts twice; `at` bounds the cooldown
const m0002: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sla_actions')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('agreement_id', 'text', (c) => c.notNull())
      .addColumn('term', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sla_actions_term').on('sla_actions').columns(['agreement_id', 'term', 'type', 'at']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('sla_actions').execute();
  },
};

export const SLA_MIGRATIONS: Record<string, Migration> = { '0001_sla': m0001, '0002_sla_actions': m0002 };

const provider: MigrationProvider = { getMigrations: async () => SLA_MIGRATIONS };

/** Brings the SLA tables to the latest version (idempotent). */
export async function migrateSla(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'sla_migration', migrationLockTableName: 'sla_migration_lock' });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
