import type { Kysely, Selectable } from 'kysely';
import type { Database, MelsTable } from '../schema.js';
import type { MelRecord } from '../records.js';
import { byCodeUnit } from './order.js';

function toRecord<S>(r: Selectable<MelsTable>): MelRecord<S> {
  return {
    name: r.name,
    spec: JSON.parse(r.spec) as S,
    generation: r.generation,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** A MEL as its row. */
export function melRow(m: MelRecord): MelsTable {
  return { name: m.name, spec: JSON.stringify(m.spec), generation: m.generation, created_at: m.createdAt, updated_at: m.updatedAt };
}

export class MelRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async list<S>(): Promise<MelRecord<S>[]> {
    return (await this.db.selectFrom('mels').selectAll().execute()).map((r) => toRecord<S>(r)).sort((a, b) => byCodeUnit(a.name, b.name));
  }

  async get<S>(name: string): Promise<MelRecord<S> | undefined> {
    const r = await this.db.selectFrom('mels').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toRecord<S>(r) : undefined;
  }

  async upsert(m: MelRecord): Promise<void> {
    const row = melRow(m);
    await this.db
      .insertInto('mels')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ spec: row.spec, generation: row.generation, updated_at: row.updated_at }))
      .execute();
  }

  async remove(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('mels').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
