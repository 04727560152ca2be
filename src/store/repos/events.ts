import { sql, type Kysely, type Selectable } from 'kysely';
import { Fence, termToCheck, writeTransaction } from '../fence.js';
import { pgCommit, type PgCommit } from '../dialects/postgres/commit.js';
import type { DialectName } from '../dialects/index.js';
import type { Database, EventsTable } from '../schema.js';
import type { EventRecord } from '../records.js';
import { chunks, rowsPerStatement } from './chunks.js';

/** an event before the store numbers it */
export type NewEvent = Omit<EventRecord, 'id'>;

export interface EventQuery {
  afterId?: number;
  sinceTs?: number;
  types?: string[];
  node?: string;
  limit?: number;
}

export function toRow(e: NewEvent): Omit<EventsTable, 'id'> {
  return { origin: e.origin, seq: e.seq, node: e.node, type: e.type, ts: e.ts, data: JSON.stringify(e.data) };
}

export function toRecord(r: Selectable<EventsTable>): EventRecord {
  return {
    id: r.id,
    origin: r.origin,
    seq: r.seq === null ? null : Number(r.seq),
    node: r.node,
    type: r.type,
    ts: Number(r.ts),
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}

/**
 * pgCommit (../dialects/postgres/commit.ts) under `fence`, with the events as records: returns
 * those stored, in id order (ids grow with insertion order; subscribers get them in that order).
 * The one PostgreSQL path of commitPass, commitMel (../index.ts) and EventRepo.append.
 */
export async function pgCommitEvents(
  db: Kysely<Database>,
  fence: Fence,
  c: Omit<PgCommit, 'events'> & { events: NewEvent[] },
): Promise<EventRecord[]> {
  const rows = await pgCommit(db, termToCheck(fence), { ...c, events: c.events.map(toRow) });
  return rows.map(toRecord).sort((a, b) => a.id - b.id);
}

export class EventRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName = 'sqlite',
    private readonly fence: Fence = new Fence(),
  ) {}

  /**
   * Appends events; an agent event whose (origin, seq) is already stored is skipped
   * (at-least-once delivery from agents). Returns the stored ones with their ids.
   */
  async append(events: NewEvent[]): Promise<EventRecord[]> {
    if (events.length === 0) return [];
    if (this.dialect === 'postgres' && !this.db.isTransaction) {
      // one round trip instead of a fenced transaction's four (dialects/postgres/commit.ts)
      return pgCommitEvents(this.db, this.fence, { writes: [], deletes: [], events });
    }
    const out: EventRecord[] = [];
    await writeTransaction(this.db, this.dialect, this.fence, async (tx) => {
      // six columns a row: origin, seq, node, type, ts, data
      for (const chunk of chunks(events, rowsPerStatement(this.dialect, 6))) {
        const rows = await tx
          .insertInto('events')
          .values(chunk.map(toRow))
          .onConflict((oc) => oc.columns(['origin', 'seq']).doNothing())
          .returningAll()
          .execute();
        out.push(...rows.map(toRecord));
      }
    });
    // ids grow with insertion order; publish in that order
    return out.sort((a, b) => a.id - b.id);
  }

  async list(q: EventQuery): Promise<EventRecord[]> {
    let b = this.db.selectFrom('events').selectAll();
    if (q.afterId !== undefined) b = b.where('id', '>', q.afterId);
    if (q.sinceTs !== undefined) b = b.where('ts', '>=', q.sinceTs);
    if (q.types && q.types.length > 0) b = b.where('type', 'in', q.types);
    if (q.node) b = b.where('node', '=', q.node);
    // newest N, returned oldest first
    const rows = await b
      .orderBy('id', 'desc')
      .limit(q.limit ?? 1000)
      .execute();
    return rows.reverse().map(toRecord);
  }

  /** A producer that lost its own state restarts its numbering: forget what lies above. */
  async forgetAbove(origin: string, seq: number): Promise<void> {
    await this.db.deleteFrom('events').where('origin', '=', origin).where('seq', '>', seq).execute();
  }

  async deleteOlderThan(ts: number): Promise<number> {
    const r = await this.db.deleteFrom('events').where('ts', '<', ts).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async maxId(): Promise<number> {
    const r = await this.db
      .selectFrom('events')
      .select(sql<number>`coalesce(max(id), 0)`.as('m'))
      .executeTakeFirst();
    return Number(r?.m ?? 0);
  }
}
