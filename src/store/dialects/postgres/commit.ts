// One statement that writes and deletes instance rows and MEL rows and appends event rows,
// fenced by the leader's term (../../fence.ts): the commit of a reconcile pass
// (commitPass in ../../index.ts), of a MEL's change with its event (commitMel there) and of an
// event append outside a caller's transaction, in one round trip
// instead of a transaction's five. It takes the same share lock on the term row as a fenced
// transaction, before it writes: `allowed` is an uncorrelated subquery, evaluated once ahead
// of the rows, and when the term moved on nothing is written.
import { sql, type Kysely, type Selectable } from 'kysely';
import { FencedError } from '../../fence.js';
import type { Database, EventsTable, InstancesTable, MelsTable } from '../../schema.js';

type EventRow = Omit<EventsTable, 'id'>;

/** What one statement writes; every part may be empty. */
export interface PgCommit {
  /** instance rows, written in the order given (sort them by id: one lock order for every writer) */
  writes: InstancesTable[];
  /** instance ids; none of them also in `writes` */
  deletes: string[];
  events: EventRow[];
  /** MEL rows to upsert (a MEL's change with its event: src/store/index.ts commitMel) */
  mels?: MelsTable[];
  /** MEL names to delete; none of them also in `mels` */
  melDeletes?: string[];
}

/**
 * `term` null: not fenced. Returns the events stored (an agent event already stored under its
 * (origin, seq) is skipped).
 */
export async function pgCommit(db: Kysely<Database>, term: number | null, c: PgCommit): Promise<Selectable<EventsTable>[]> {
  const { writes, deletes, events } = c;
  const r = await sql<Selectable<EventsTable> & { allowed: boolean; current: number | null }>`
    with fence as (
      select term from core_leader where id = 1 for share
    ), ok as (
      select ${term}::bigint is null or exists (select 1 from fence where term = ${term}::bigint) as allowed
    ), w as (
      insert into instances (id, mel, node, name, generation, desired, state, reason, ports, created_at, updated_at)
      select r.id, r.mel, r.node, r.name, r.generation, r.desired, r.state, r.reason, r.ports, r.created_at, r.updated_at
      from rows from (jsonb_to_recordset(${JSON.stringify(writes)}::jsonb) as (id text, mel text, node text, name text,
        generation integer, desired text, state text, reason text, ports text, created_at bigint, updated_at bigint))
        with ordinality as r(id, mel, node, name, generation, desired, state, reason, ports, created_at, updated_at, n)
      where (select allowed from ok)
      order by r.n
      on conflict (id) do update set mel = excluded.mel, node = excluded.node, name = excluded.name,
        generation = excluded.generation, desired = excluded.desired, state = excluded.state, reason = excluded.reason,
        ports = excluded.ports, updated_at = excluded.updated_at
      returning 1
    ), d as (
      delete from instances where id = any(${deletes}::text[]) and (select allowed from ok)
      returning 1
    ), m as (
      insert into mels (name, spec, generation, created_at, updated_at)
      select r.name, r.spec, r.generation, r.created_at, r.updated_at
      from jsonb_to_recordset(${JSON.stringify(c.mels ?? [])}::jsonb) as r(name text, spec text, generation integer,
        created_at bigint, updated_at bigint)
      where (select allowed from ok)
      on conflict (name) do update set spec = excluded.spec, generation = excluded.generation, updated_at = excluded.updated_at
      returning 1
    ), md as (
      delete from mels where name = any(${c.melDeletes ?? []}::text[]) and (select allowed from ok)
      returning 1
    ), e as (
      insert into events (origin, seq, node, type, ts, data)
      select r.origin, r.seq, r.node, r.type, r.ts, r.data
      from rows from (jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as (origin text, seq bigint, node text,
        type text, ts bigint, data text))
        with ordinality as r(origin, seq, node, type, ts, data, n)
      where (select allowed from ok)
      order by r.n
      on conflict (origin, seq) do nothing
      returning *
    )
    select (select allowed from ok) as allowed, (select term from fence) as current, e.*
    from (select 1) as one left join e on true`.execute(db);
  const first = r.rows[0];
  if (!first?.allowed)
    throw new FencedError(term ?? 0, first?.current === null || first?.current === undefined ? undefined : Number(first.current));
  return r.rows.filter((x) => x.id !== null);
}
