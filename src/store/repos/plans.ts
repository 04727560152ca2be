import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface PlanRow {
  id: string;
  createdAt: number;
  /** the planner's PlanResult as JSON text: the planner owns its shape, the store keeps it */
  body: string;
  follow: { mels: Record<string, string>; provider?: string } | null;
}

/** Capacity plans made through the API, so they and their hour-by-hour follow survive a restart. */
export class PlanRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async put(p: PlanRow): Promise<void> {
    await this.db
      .insertInto('plans')
      .values({ id: p.id, created_at: p.createdAt, body: p.body, follow: p.follow ? JSON.stringify(p.follow) : null })
      .execute();
  }

  /** oldest first */
  async list(): Promise<PlanRow[]> {
    const rows = await this.db.selectFrom('plans').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      createdAt: Number(r.created_at),
      body: r.body,
      follow: r.follow ? (JSON.parse(r.follow) as PlanRow['follow']) : null,
    }));
  }

  async setFollow(id: string, follow: PlanRow['follow']): Promise<void> {
    await this.db
      .updateTable('plans')
      .set({ follow: follow ? JSON.stringify(follow) : null })
      .where('id', '=', id)
      .execute();
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('plans').where('id', '=', id).execute();
  }
}
