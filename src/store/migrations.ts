// Versioned schema migrations, kept in code (no files to ship) and run by kysely's
// Migrator, which records applied names in its own table: running them twice is a no-op.
// Only kysely's schema builder is used, so the same list runs on both dialects; the two
// column types that differ come from columns.ts (SQLite's files stay byte-identical).
import { type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { autoId, real } from './columns.js';

const m0001: Migration = {
  async up(db: Kysely<unknown>) {
    const REAL = real(db);
    await db.schema
      .createTable('nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('layer', 'text', (c) => c.notNull())
      .addColumn('domain', 'text', (c) => c.notNull())
      .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('cpus', REAL, (c) => c.notNull())
      .addColumn('memory_bytes', 'bigint', (c) => c.notNull())
      .addColumn('drivers', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('schedulable', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('draining', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('acked_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('registered_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('last_heartbeat', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('mels')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('instances')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('mel', 'text', (c) => c.notNull())
      .addColumn('node', 'text')
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('desired', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('ports', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('instances_mel').on('instances').column('mel').execute();
    await db.schema.createIndex('instances_node').on('instances').column('node').execute();

    await db.schema
      .createTable('events')
      .addColumn('id', ...autoId(db))
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint')
      .addColumn('node', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addUniqueConstraint('events_origin_seq', ['origin', 'seq'])
      .execute();
    await db.schema.createIndex('events_ts').on('events').column('ts').execute();

    await db.schema
      .createTable('samples')
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('field', 'text', (c) => c.notNull())
      .addColumn('value', REAL, (c) => c.notNull())
      .addColumn('unit', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('samples_key_ts').on('samples').columns(['node', 'metric', 'ts']).execute();
    await db.schema.createIndex('samples_ts').on('samples').column('ts').execute();

    await db.schema
      .createTable('samples_1m')
      .addColumn('bucket', 'bigint', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('field', 'text', (c) => c.notNull())
      .addColumn('avg', REAL, (c) => c.notNull())
      .addColumn('min', REAL, (c) => c.notNull())
      .addColumn('max', REAL, (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('unit', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('samples_1m_pk', ['node', 'metric', 'target', 'field', 'bucket'])
      .execute();
    await db.schema.createIndex('samples_1m_bucket').on('samples_1m').column('bucket').execute();

    await db.schema
      .createTable('kv')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['kv', 'samples_1m', 'samples', 'events', 'instances', 'mels', 'nodes']) await db.schema.dropTable(t).execute();
  },
};

const m0002: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('plans')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('follow', 'text')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('plans').execute();
  },
};

// the leader's term (several cores on one PostgreSQL, src/store/dialects/postgres/lease.ts):
// one row, bumped by each new leader; its writes check it (src/store/fence.ts)
const m0003: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('core_leader')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('term', 'bigint', (c) => c.notNull())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('since', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('core_leader').execute();
  },
};

// Cloudlets (src/core/cloudlets): the service catalog, the app repository (files live in
// the data dir; the row holds metadata and md5), device-started instances with their users,
// and the device mailbox.
const m0004: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('cloudlet_services')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('cloudlet_apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('meta', 'text', (c) => c.notNull())
      .addColumn('md5', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('cloudlet_instances')
      .addColumn('mel', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('users', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('cloudlet_messages')
      .addColumn('id', ...autoId(db))
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('read_at', 'bigint')
      .execute();
    await db.schema.createIndex('cloudlet_messages_node_device').on('cloudlet_messages').columns(['node', 'device']).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['cloudlet_messages', 'cloudlet_instances', 'cloudlet_apps', 'cloudlet_services'])
      await db.schema.dropTable(t).execute();
  },
};

// Idempotency keys (src/core/idempotency): one row per (caller, key), reserved before the
// write runs (status null) and completed with its answer; expired after 24 h by the leader.
const m0005: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('principal', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('content_type', 'text')
      .addColumn('body', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal', 'key'])
      .execute();
    await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('idempotency_keys').execute();
  },
};

/** Append new migrations here; names sort in apply order. Never edit an applied one. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_plans': m0002,
  '0003_core_leader': m0003,
  '0004_cloudlets': m0004,
  '0005_idempotency_keys': m0005,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
