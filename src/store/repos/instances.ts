import type { Kysely, Selectable } from 'kysely';
import { Fence, writeTransaction } from '../fence.js';
import type { DialectName } from '../dialects/index.js';
import type { Database, InstancesTable } from '../schema.js';
import type { InstanceRecord } from '../records.js';
import type { PublishedPort } from '../../model/index.js';
import { byCodeUnit } from './order.js';
import { chunks, rowsPerStatement } from './chunks.js';

function toRecord(r: Selectable<InstancesTable>): InstanceRecord {
  return {
    id: r.id,
    mel: r.mel,
    node: r.node,
    name: r.name,
    generation: r.generation,
    desired: r.desired as InstanceRecord['desired'],
    state: r.state as InstanceRecord['state'],
    reason: r.reason,
    ports: JSON.parse(r.ports) as PublishedPort[],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toRow(i: InstanceRecord): InstancesTable {
  return {
    id: i.id,
    mel: i.mel,
    node: i.node,
    name: i.name,
    generation: i.generation,
    desired: i.desired,
    state: i.state,
    reason: i.reason,
    ports: JSON.stringify(i.ports),
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

/**
 * Rows to write, the last write of an id winning, sorted by id: one lock order for every
 * writer, so concurrent writers on PostgreSQL never deadlock.
 */
export function rowsInLockOrder(items: InstanceRecord[]): InstancesTable[] {
  return [...new Map(items.map((i) => [i.id, toRow(i)])).values()].sort((a, b) => byCodeUnit(a.id, b.id));
}

/** the columns of one instance row (toRow) */
const INSTANCE_COLUMNS = 11;

/** ids per `IN (...)` list: well under SQLite's variable cap, one statement per chunk */
const IN_CHUNK = 1000;

export class InstanceRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName = 'sqlite',
    private readonly fence: Fence = new Fence(),
  ) {}

  async list(): Promise<InstanceRecord[]> {
    return (await this.db.selectFrom('instances').selectAll().orderBy('created_at').execute()).map(toRecord);
  }

  /**
   * Writes many in one transaction of multi-row upserts: a reconcile pass commits all its
   * placements at once (one statement per chunk of rows, see chunks.ts).
   */
  async upsertMany(items: InstanceRecord[]): Promise<void> {
    if (items.length === 0) return;
    // a pass may touch one instance twice
    const rows = rowsInLockOrder(items);
    await writeTransaction(this.db, this.dialect, this.fence, async (tx) => {
      for (const chunk of chunks(rows, rowsPerStatement(this.dialect, INSTANCE_COLUMNS))) {
        await tx
          .insertInto('instances')
          .values(chunk)
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              mel: eb.ref('excluded.mel'),
              node: eb.ref('excluded.node'),
              name: eb.ref('excluded.name'),
              generation: eb.ref('excluded.generation'),
              desired: eb.ref('excluded.desired'),
              state: eb.ref('excluded.state'),
              reason: eb.ref('excluded.reason'),
              ports: eb.ref('excluded.ports'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
    });
  }

  /** Deletes many in one transaction, in chunks: SQLite caps one statement's bound variables (32,766). */
  async removeMany(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await writeTransaction(this.db, this.dialect, this.fence, async (tx) => {
      for (let k = 0; k < ids.length; k += IN_CHUNK) {
        await tx
          .deleteFrom('instances')
          .where('id', 'in', ids.slice(k, k + IN_CHUNK))
          .execute();
      }
    });
  }
}
