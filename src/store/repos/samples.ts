import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { SampleRow } from '../records.js';

export interface SampleQuery {
  node?: string;
  target?: string;
  metric?: string;
  field?: string;
  from: number;
  to: number;
  /** bucket width, ms */
  step: number;
}

export interface SeriesPoint {
  node: string;
  target: string;
  metric: string;
  field: string;
  unit: string;
  /** bucket start, ms */
  ts: number;
  avg: number;
  min: number;
  max: number;
  n: number;
}

const MINUTE = 60_000;

// A bound JS number is a REAL to SQLite (better-sqlite3), which turns `ts / step` into a
// fraction and every sample into its own bucket; the cast makes it integer division on both
// dialects (PostgreSQL would infer bigint from `ts` anyway).
const int = (n: number) => sql`cast(${n} as bigint)`;

export class SampleRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insertMany(rows: SampleRow[]): Promise<void> {
    if (rows.length === 0) return;
    // SQLite caps bound parameters per statement; 7 columns x 500 rows stays under it.
    for (let i = 0; i < rows.length; i += 500)
      await this.db
        .insertInto('samples')
        .values(rows.slice(i, i + 500))
        .execute();
  }

  /**
   * Buckets by `step` from the raw table where it still covers `from`, otherwise from
   * the 1-minute table (downsampled data cannot be finer than a minute).
   */
  async query(q: SampleQuery, rawHorizon: number): Promise<SeriesPoint[]> {
    const step = Math.max(1, Math.floor(q.step));
    if (q.from >= rawHorizon) {
      let b = this.db
        .selectFrom('samples')
        .select([
          'node',
          'target',
          'metric',
          'field',
          sql<string>`max(unit)`.as('unit'),
          sql<number>`(ts / ${int(step)}) * ${int(step)}`.as('bucket'),
          sql<number>`avg(value)`.as('avg'),
          sql<number>`min(value)`.as('min'),
          sql<number>`max(value)`.as('max'),
          sql<number>`count(*)`.as('n'),
        ])
        .where('ts', '>=', q.from)
        .where('ts', '<=', q.to);
      if (q.node) b = b.where('node', '=', q.node);
      if (q.target) b = b.where('target', '=', q.target);
      if (q.metric) b = b.where('metric', '=', q.metric);
      if (q.field) b = b.where('field', '=', q.field);
      const rows = await b.groupBy(['node', 'target', 'metric', 'field', 'bucket']).orderBy('bucket').limit(100_000).execute();
      return rows.map((r) => ({
        node: r.node,
        target: r.target,
        metric: r.metric,
        field: r.field,
        unit: r.unit,
        ts: Number(r.bucket),
        avg: Number(r.avg),
        min: Number(r.min),
        max: Number(r.max),
        n: Number(r.n),
      }));
    }
    const mstep = Math.max(MINUTE, Math.floor(step / MINUTE) * MINUTE);
    let b = this.db
      .selectFrom('samples_1m')
      .select([
        'node',
        'target',
        'metric',
        'field',
        sql<string>`max(unit)`.as('unit'),
        sql<number>`(bucket / ${int(mstep)}) * ${int(mstep)}`.as('b'),
        sql<number>`sum(avg * n) / sum(n)`.as('avg'),
        sql<number>`min(min)`.as('min'),
        sql<number>`max(max)`.as('max'),
        sql<number>`sum(n)`.as('n'),
      ])
      .where('bucket', '>=', q.from - MINUTE + 1)
      .where('bucket', '<=', q.to);
    if (q.node) b = b.where('node', '=', q.node);
    if (q.target) b = b.where('target', '=', q.target);
    if (q.metric) b = b.where('metric', '=', q.metric);
    if (q.field) b = b.where('field', '=', q.field);
    const rows = await b.groupBy(['node', 'target', 'metric', 'field', 'b']).orderBy('b').limit(100_000).execute();
    return rows.map((r) => ({
      node: r.node,
      target: r.target,
      metric: r.metric,
      field: r.field,
      unit: r.unit,
      ts: Number(r.b),
      avg: Number(r.avg),
      min: Number(r.min),
      max: Number(r.max),
      n: Number(r.n),
    }));
  }

  /**
   * Folds raw samples of whole minutes in [from, to) into 1-minute averages. Upsert so
   * re-running over the same minutes (after a crash) gives the same rows.
   */
  async downsample(from: number, to: number): Promise<void> {
    const f = Math.floor(from / MINUTE) * MINUTE;
    const t = Math.floor(to / MINUTE) * MINUTE;
    if (t <= f) return;
    await sql`
      insert into samples_1m (bucket, node, target, metric, field, avg, min, max, n, unit)
      select (ts / 60000) * 60000, node, target, metric, field, avg(value), min(value), max(value), count(*), max(unit)
      from samples where ts >= ${f} and ts < ${t}
      group by (ts / 60000) * 60000, node, target, metric, field
      on conflict (node, metric, target, field, bucket) do update set
        avg = excluded.avg, min = excluded.min, max = excluded.max, n = excluded.n, unit = excluded.unit
    `.execute(this.db);
  }

  /** The oldest raw sample's time, if any. */
  async oldestRaw(): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('samples')
      .select(sql<number | null>`min(ts)`.as('m'))
      .executeTakeFirst();
    return r?.m === null || r?.m === undefined ? undefined : Number(r.m);
  }

  async deleteRawBefore(ts: number): Promise<number> {
    const r = await this.db.deleteFrom('samples').where('ts', '<', ts).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteMinuteBefore(ts: number): Promise<number> {
    const r = await this.db.deleteFrom('samples_1m').where('bucket', '<', ts).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async counts(): Promise<{ raw: number; minute: number }> {
    const a = await this.db
      .selectFrom('samples')
      .select(sql<number>`count(*)`.as('c'))
      .executeTakeFirst();
    const b = await this.db
      .selectFrom('samples_1m')
      .select(sql<number>`count(*)`.as('c'))
      .executeTakeFirst();
    return { raw: Number(a?.c ?? 0), minute: Number(b?.c ?? 0) };
  }
}
