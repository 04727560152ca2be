// The store: one object holding a repository per table. Services only ever call these
// repositories; nothing outside src/store writes SQL.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { migrate, openSqlite } from './db.js';
import { NodeRepo } from './repos/nodes.js';
import { MelRepo } from './repos/mels.js';
import { InstanceRepo } from './repos/instances.js';
import { EventRepo } from './repos/events.js';
import { SampleRepo } from './repos/samples.js';
import { KvRepo } from './repos/kv.js';
import { PlanRepo } from './repos/plans.js';

export * from './records.js';
export type { EventQuery } from './repos/events.js';
export type { SampleQuery } from './repos/samples.js';
export type { PlanRow } from './repos/plans.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly nodes: NodeRepo;
  readonly mels: MelRepo;
  readonly instances: InstanceRepo;
  readonly events: EventRepo;
  readonly samples: SampleRepo;
  readonly kv: KvRepo;
  readonly plans: PlanRepo;
  close(): Promise<void>;
}

export function storeOver(db: Kysely<Database>): Store {
  return {
    db,
    nodes: new NodeRepo(db),
    mels: new MelRepo(db),
    instances: new InstanceRepo(db),
    events: new EventRepo(db),
    samples: new SampleRepo(db),
    kv: new KvRepo(db),
    plans: new PlanRepo(db),
    close: () => db.destroy(),
  };
}

/** Opens (creating if needed) `<dataDir>/osmo.db` and brings its schema to the latest version. */
export async function openStore(dataDir: string, file = 'osmo.db'): Promise<Store> {
  mkdirSync(dataDir, { recursive: true });
  const db = openSqlite(join(dataDir, file));
  await migrate(db);
  return storeOver(db);
}
