import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

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

  /** every entry whose key starts with `prefix` (a prefix of letters, digits, "/", "-") */
  async withPrefix(prefix: string): Promise<Array<{ key: string; value: string }>> {
    // LIKE treats % and _ as wildcards: the ranged comparison has none
    return this.db
      .selectFrom('kv')
      .select(['key', 'value'])
      .where('key', '>=', prefix)
      .where('key', '<', `${prefix}\uffff`)
      .orderBy('key')
      .execute();
  }

  async remove(key: string): Promise<void> {
    await this.db.deleteFrom('kv').where('key', '=', key).execute();
  }
}
