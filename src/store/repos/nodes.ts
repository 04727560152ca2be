import type { Kysely, Selectable } from 'kysely';
import { Fence, writeTransaction } from '../fence.js';
import type { DialectName } from '../dialects/index.js';
import type { Database, NodesTable } from '../schema.js';
import type { NodeRecord } from '../records.js';
import { byCodeUnit } from './order.js';
import { chunks, rowsPerStatement } from './chunks.js';

/** the columns of one node row (toRow) */
const NODE_COLUMNS = 16;

function toRecord(r: Selectable<NodesTable>): NodeRecord {
  return {
    id: r.id,
    address: r.address,
    layer: r.layer as NodeRecord['layer'],
    domain: r.domain,
    labels: JSON.parse(r.labels) as Record<string, string>,
    capacity: { cpus: r.cpus, memoryBytes: Number(r.memory_bytes) },
    drivers: JSON.parse(r.drivers) as NodeRecord['drivers'],
    version: r.version,
    status: r.status as NodeRecord['status'],
    schedulable: r.schedulable === 1,
    draining: r.draining === 1,
    ackedSeq: Number(r.acked_seq),
    registeredAt: Number(r.registered_at),
    updatedAt: Number(r.updated_at),
    lastHeartbeat: Number(r.last_heartbeat),
  };
}

function toRow(n: NodeRecord): NodesTable {
  return {
    id: n.id,
    address: n.address,
    layer: n.layer,
    domain: n.domain,
    labels: JSON.stringify(n.labels),
    cpus: n.capacity.cpus,
    memory_bytes: n.capacity.memoryBytes,
    drivers: JSON.stringify(n.drivers),
    version: n.version,
    status: n.status,
    schedulable: n.schedulable ? 1 : 0,
    draining: n.draining ? 1 : 0,
    acked_seq: n.ackedSeq,
    registered_at: n.registeredAt,
    updated_at: n.updatedAt,
    last_heartbeat: n.lastHeartbeat,
  };
}

export class NodeRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName = 'sqlite',
    private readonly fence: Fence = new Fence(),
  ) {}

  async list(): Promise<NodeRecord[]> {
    return (await this.db.selectFrom('nodes').selectAll().execute()).map(toRecord).sort((a, b) => byCodeUnit(a.id, b.id));
  }

  async get(id: string): Promise<NodeRecord | undefined> {
    const r = await this.db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  async upsert(n: NodeRecord): Promise<void> {
    const row = toRow(n);
    const { id: _id, registered_at: _r, ...rest } = row;
    await this.db
      .insertInto('nodes')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(rest))
      .execute();
  }

  /**
   * Several nodes in one transaction, as multi-row statements (chunks.ts says how many rows
   * each): the core's flush of dirty nodes carries thousands at 5,000 agents, and one
   * statement a row was a round trip each (docs/benchmarks.md, "Node flushes in one statement").
   * The last record of an id wins; rows go in id order, one lock order for every writer.
   *
   * @example
   * await store.nodes.upsertMany([edge1, edge2]);
   */
  async upsertMany(list: NodeRecord[]): Promise<void> {
    if (list.length === 0) return;
    const rows = [...new Map(list.map((n) => [n.id, toRow(n)])).values()].sort((a, b) => byCodeUnit(a.id, b.id));
    await writeTransaction(this.db, this.dialect, this.fence, async (tx) => {
      for (const chunk of chunks(rows, rowsPerStatement(this.dialect, NODE_COLUMNS))) {
        await tx
          .insertInto('nodes')
          .values(chunk)
          // every column but the key and registered_at, from the row that conflicted
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              address: eb.ref('excluded.address'),
              layer: eb.ref('excluded.layer'),
              domain: eb.ref('excluded.domain'),
              labels: eb.ref('excluded.labels'),
              cpus: eb.ref('excluded.cpus'),
              memory_bytes: eb.ref('excluded.memory_bytes'),
              drivers: eb.ref('excluded.drivers'),
              version: eb.ref('excluded.version'),
              status: eb.ref('excluded.status'),
              schedulable: eb.ref('excluded.schedulable'),
              draining: eb.ref('excluded.draining'),
              acked_seq: eb.ref('excluded.acked_seq'),
              updated_at: eb.ref('excluded.updated_at'),
              last_heartbeat: eb.ref('excluded.last_heartbeat'),
            })),
          )
          .execute();
      }
    });
  }

  /**
   * The last event seq stored for a node. Called in the transaction that stores the batch's
   * samples and events (src/core/agents/service.ts), so a crash between them cannot let the
   * batch be accepted, and its samples counted, a second time.
   */
  async setAckedSeq(id: string, seq: number): Promise<void> {
    await this.db.updateTable('nodes').set({ acked_seq: seq }).where('id', '=', id).where('acked_seq', '<', seq).execute();
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('nodes').where('id', '=', id).execute();
  }
}
