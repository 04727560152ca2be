import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { transaction } from '../transaction.js';

export interface ServiceRow {
  id: string;
  /** the ServiceSpec as JSON text: the cloudlets context owns its shape */
  spec: string;
  createdAt: number;
  updatedAt: number;
}

export interface AppRow {
  id: string;
  meta: string;
  md5: string;
  size: number;
  createdAt: number;
}

export interface CloudletInstanceRow {
  mel: string;
  serviceId: string;
  node: string;
  users: string[];
  createdAt: number;
  updatedAt: number;
}

export interface MessageRow {
  id: number;
  node: string;
  device: string;
  serviceId: string;
  body: string;
  createdAt: number;
  readAt: number | null;
}

/** The cloudlet catalog, app metadata, device-started instances and the device mailbox. */
export class CloudletRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async services(): Promise<ServiceRow[]> {
    const rows = await this.db.selectFrom('cloudlet_services').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, spec: r.spec, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }));
  }

  async putService(r: ServiceRow): Promise<void> {
    await this.db
      .insertInto('cloudlet_services')
      .values({ id: r.id, spec: r.spec, created_at: r.createdAt, updated_at: r.updatedAt })
      .onConflict((oc) => oc.column('id').doUpdateSet({ spec: r.spec, updated_at: r.updatedAt }))
      .execute();
  }

  /** true when there was one */
  async removeService(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('cloudlet_services').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async apps(): Promise<AppRow[]> {
    const rows = await this.db.selectFrom('cloudlet_apps').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, meta: r.meta, md5: r.md5, size: Number(r.size), createdAt: Number(r.created_at) }));
  }

  async putApp(r: AppRow): Promise<void> {
    await this.db
      .insertInto('cloudlet_apps')
      .values({ id: r.id, meta: r.meta, md5: r.md5, size: r.size, created_at: r.createdAt })
      .execute();
  }

  async removeApp(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('cloudlet_apps').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async instances(): Promise<CloudletInstanceRow[]> {
    const rows = await this.db.selectFrom('cloudlet_instances').selectAll().orderBy('mel').execute();
    return rows.map((r) => ({
      mel: r.mel,
      serviceId: r.service_id,
      node: r.node,
      users: JSON.parse(r.users) as string[],
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    }));
  }

  async putInstance(r: CloudletInstanceRow): Promise<void> {
    const users = JSON.stringify(r.users);
    await this.db
      .insertInto('cloudlet_instances')
      .values({ mel: r.mel, service_id: r.serviceId, node: r.node, users, created_at: r.createdAt, updated_at: r.updatedAt })
      .onConflict((oc) => oc.column('mel').doUpdateSet({ node: r.node, users, updated_at: r.updatedAt }))
      .execute();
  }

  async removeInstance(mel: string): Promise<void> {
    await this.db.deleteFrom('cloudlet_instances').where('mel', '=', mel).execute();
  }

  async addMessages(ms: Array<Omit<MessageRow, 'id' | 'readAt'>>): Promise<void> {
    if (!ms.length) return;
    await this.db
      .insertInto('cloudlet_messages')
      .values(
        ms.map((m) => ({ node: m.node, device: m.device, service_id: m.serviceId, body: m.body, created_at: m.createdAt, read_at: null })),
      )
      .execute();
  }

  /** Unread messages of one device on one cloudlet (optionally of one service), marked read in the same transaction. */
  async takeMessages(node: string, device: string, serviceId: string | undefined, now: number): Promise<MessageRow[]> {
    return transaction(this.db, async (tx) => {
      let q = tx
        .selectFrom('cloudlet_messages')
        .selectAll()
        .where('node', '=', node)
        .where('device', '=', device)
        .where('read_at', 'is', null);
      if (serviceId !== undefined) q = q.where('service_id', '=', serviceId);
      const rows = await q.orderBy('id').execute();
      if (rows.length)
        await tx
          .updateTable('cloudlet_messages')
          .set({ read_at: now })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
      return rows.map((r) => ({
        id: Number(r.id),
        node: r.node,
        device: r.device,
        serviceId: r.service_id,
        body: r.body,
        createdAt: Number(r.created_at),
        readAt: now,
      }));
    });
  }
}
