import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { byCodeUnit } from './order.js';

/** Small settings: join token fingerprint, policy documents, watermarks of periodic jobs. */
export class KvRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('kv').select('value').where('key', '=', key).executeTakeFirst();
    return r?.value;
  }

  async set(key: string, value: string): Promise<void> {
    const now = Date.now();
    await this.db
      .insertInto('kv')
      .values({ key, value, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
      .execute();
  }

  /** Sets `key` unless it has a value already (two cores racing: one wins); the value in force after. */
  async setIfAbsent(key: string, value: string): Promise<string> {
    await this.db
      .insertInto('kv')
      .values({ key, value, updated_at: Date.now() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return (await this.get(key)) ?? value;
  }

  /** every entry whose key starts with `prefix`, in code-unit order of the keys */
  async withPrefix(prefix: string): Promise<Array<{ key: string; value: string }>> {
    // LIKE treats % and _ as wildcards, and a ranged comparison follows the database's
    // collation (a PostgreSQL in en_US ignores "/" and "-"): compare the prefix itself, and
    // sort here (the table holds settings and credentials, not bulk data)
    const rows = await this.db
      .selectFrom('kv')
      .select(['key', 'value'])
      .where((eb) => eb(eb.fn('substr', ['key', eb.lit(1), eb.val(prefix.length)]), '=', prefix))
      .execute();
    return rows.sort((a, b) => byCodeUnit(a.key, b.key));
  }

  async remove(key: string): Promise<void> {
    await this.db.deleteFrom('kv').where('key', '=', key).execute();
  }
}
