// The store: one object holding a repository per table. Services only ever call these
// repositories; nothing outside src/store writes SQL.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { EventRecord, InstanceRecord, MelRecord } from './records.js';
import { migrateAll } from './db.js';
import { Fence, writeTransaction } from './fence.js';
import { openDatabase, type DialectName, type StoreLocation } from './dialects/index.js';
import type { PostgresOptions } from './dialects/postgres/index.js';
import { NodeRepo } from './repos/nodes.js';
import { MelRepo, melRow } from './repos/mels.js';
import { InstanceRepo, rowsInLockOrder } from './repos/instances.js';
import { EventRepo, pgCommitEvents, type NewEvent } from './repos/events.js';
import { SampleRepo } from './repos/samples.js';
import { KvRepo } from './repos/kv.js';
import { PlanRepo } from './repos/plans.js';
import { CloudletRepo } from './repos/cloudlets.js';
import { IdempotencyRepo } from './repos/idempotency.js';

export * from './records.js';
export type { EventQuery, NewEvent } from './repos/events.js';
export type { SampleQuery } from './repos/samples.js';
export type { PlanRow } from './repos/plans.js';
export { parseStoreUrl, type StoreLocation, type DialectName } from './dialects/index.js';
export type { AppRow, CloudletInstanceRow, ServiceRow } from './repos/cloudlets.js';
export type { IdempotencyAnswer, IdempotencyRow } from './repos/idempotency.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** off unless several cores share the store: then the leader's term (src/store/fence.ts) */
  readonly fence: Fence;
  readonly nodes: NodeRepo;
  readonly mels: MelRepo;
  readonly instances: InstanceRepo;
  readonly events: EventRepo;
  readonly samples: SampleRepo;
  readonly kv: KvRepo;
  readonly plans: PlanRepo;
  readonly cloudlets: CloudletRepo;
  readonly idempotency: IdempotencyRepo;
  close(): Promise<void>;
}

export function storeOver(db: Kysely<Database>, dialect: DialectName = 'sqlite'): Store {
  const fence = new Fence();
  return {
    db,
    dialect,
    fence,
    nodes: new NodeRepo(db, dialect, fence),
    mels: new MelRepo(db),
    instances: new InstanceRepo(db, dialect, fence),
    events: new EventRepo(db, dialect, fence),
    samples: new SampleRepo(db),
    kv: new KvRepo(db),
    plans: new PlanRepo(db),
    cloudlets: new CloudletRepo(db),
    idempotency: new IdempotencyRepo(db),
    close: () => db.destroy(),
  };
}

/**
 * Runs `fn` over a store bound to one (fenced) transaction, so several repositories' writes
 * commit together or not at all (a reconcile pass's instances and their events).
 */
export function inOneTransaction<T>(store: Store, fn: (tx: Store) => Promise<T>): Promise<T> {
  return writeTransaction(store.db, store.dialect, store.fence, (db) => fn(storeOver(db, store.dialect)));
}

/**
 * A reconcile pass's commit: upserts `writes`, deletes `deletes` (a write of a deleted id
 * loses, as if written first) and appends `events`, all or nothing; returns the stored events
 * in id order. Refused with FencedError when the store's fence is on and this core's term is no
 * longer current. On SQLite it is a transaction over the repositories. On PostgreSQL it is one
 * statement (dialects/postgres/commit.ts): a fenced transaction is a round trip per statement,
 * each answer waiting for the core's busy event loop to turn, which made the commit, not the
 * scheduler, what bounded placements (docs/benchmarks.md, "One round trip per commit"). The
 * statement keeps the fence's guarantee: the same share lock on the term row before it writes,
 * nothing written when the term moved on.
 *
 * @example
 * const stored = await commitPass(store, [placed], [], [{ origin: 'core', seq: null, node: 'n1', type: 'placement', ts: Date.now(), data: {} }]);
 */
export async function commitPass(store: Store, writes: InstanceRecord[], deletes: string[], events: NewEvent[]): Promise<EventRecord[]> {
  if (store.dialect !== 'postgres' || store.db.isTransaction) {
    return inOneTransaction(store, async (tx) => {
      await tx.instances.upsertMany(writes);
      await tx.instances.removeMany(deletes);
      return tx.events.append(events);
    });
  }
  const gone = new Set(deletes);
  const rows = rowsInLockOrder(writes.filter((i) => !gone.has(i.id)));
  return pgCommitEvents(store.db, store.fence, { writes: rows, deletes: [...gone], events });
}

/**
 * A MEL's change and its events, all or nothing: `mel` upserted, or the MEL named `mel` deleted
 * (a string); returns the stored events in id order. Fenced like commitPass: a deposed leader's
 * change to a MEL is refused whole, never stored without its event. On PostgreSQL one statement,
 * so an API call that changes a MEL is one round trip, not two.
 *
 * @example
 * await commitMel(store, { name: 'web', spec, generation: 1, createdAt: now, updatedAt: now }, [{ origin: 'core', seq: null, node: null, type: 'mel', ts: now, data: {} }]);
 */
export async function commitMel(store: Store, mel: MelRecord | string, events: NewEvent[]): Promise<EventRecord[]> {
  if (store.dialect !== 'postgres' || store.db.isTransaction) {
    return inOneTransaction(store, async (tx) => {
      if (typeof mel === 'string') await tx.mels.remove(mel);
      else await tx.mels.upsert(mel);
      return tx.events.append(events);
    });
  }
  return pgCommitEvents(store.db, store.fence, {
    writes: [],
    deletes: [],
    events,
    ...(typeof mel === 'string' ? { melDeletes: [mel] } : { mels: [melRow(mel)] }),
  });
}

/** Opens (creating if needed) `<dataDir>/osmo.db` and brings its schema to the latest version. */
export async function openStore(dataDir: string, file = 'osmo.db'): Promise<Store> {
  return openStoreAt({ dialect: 'sqlite', file: join(dataDir, file) });
}

/**
 * Opens the store at `loc` (a SQLite file, created with its directory if needed, or a
 * PostgreSQL database that must exist) and brings every table to the latest version.
 */
export async function openStoreAt(loc: StoreLocation, pg?: PostgresOptions): Promise<Store> {
  if (loc.dialect === 'sqlite') mkdirSync(dirname(loc.file), { recursive: true });
  const opened = openDatabase(loc, pg);
  try {
    await migrateAll(opened);
  } catch (e) {
    await opened.db.destroy();
    throw e;
  }
  return storeOver(opened.db, opened.dialect);
}
