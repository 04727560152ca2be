import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** One idempotency key as stored (src/core/idempotency). */
export interface IdempotencyRow {
  principal: string;
  key: string;
  method: string;
  path: string;
  fingerprint: string;
  owner: string;
  /** null while the write runs */
  status: number | null;
  contentType: string | null;
  /** null while the write runs, or when its answer was not kept */
  body: string | null;
  createdAt: number;
}

export type IdempotencyAnswer = Pick<IdempotencyRow, 'status' | 'contentType' | 'body'>;

/** The idempotency keys: reserve, read, complete or release one, expire old ones. */
export class IdempotencyRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Inserts `row` unless the caller's key is taken by a row created at or after `liveSince`
   * (an older one is expired: replaced). True when this call now holds the key; the
   * primary key decides between two racing calls, on either dialect.
   */
  async reserve(row: Omit<IdempotencyRow, 'status' | 'contentType' | 'body'>, liveSince: number): Promise<boolean> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('principal', '=', row.principal)
      .where('key', '=', row.key)
      .where('created_at', '<', liveSince)
      .execute();
    const r = await this.db
      .insertInto('idempotency_keys')
      .values({
        principal: row.principal,
        key: row.key,
        method: row.method,
        path: row.path,
        fingerprint: row.fingerprint,
        owner: row.owner,
        status: null,
        content_type: null,
        body: null,
        created_at: row.createdAt,
      })
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async get(principal: string, key: string): Promise<IdempotencyRow | undefined> {
    const r = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('principal', '=', principal)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      principal: r.principal,
      key: r.key,
      method: r.method,
      path: r.path,
      fingerprint: r.fingerprint,
      owner: r.owner,
      status: r.status === null ? null : Number(r.status),
      contentType: r.content_type,
      body: r.body,
      createdAt: Number(r.created_at),
    };
  }

  /** Records the answer of the write `owner` ran under the key. */
  async complete(principal: string, key: string, owner: string, a: IdempotencyAnswer): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ status: a.status, content_type: a.contentType, body: a.body })
      .where('principal', '=', principal)
      .where('key', '=', key)
      .where('owner', '=', owner)
      .execute();
  }

  /** Gives the key back (the write failed on our side: a retry may act for real). */
  async release(principal: string, key: string, owner: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('principal', '=', principal)
      .where('key', '=', key)
      .where('owner', '=', owner)
      .where('status', 'is', null)
      .execute();
  }

  /** Removes the keys created before `ts`; returns how many. */
  async deleteOlderThan(ts: number): Promise<number> {
    const r = await this.db.deleteFrom('idempotency_keys').where('created_at', '<', ts).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
