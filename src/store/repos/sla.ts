// The SLA manager's tables (src/store/sla-migrations.ts). Records keep the pure core's
// shapes as JSON text (src/sla owns them); the columns beside them are what the API filters
// on. Breaches, violations and penalties are inserted with ON CONFLICT DO NOTHING on their
// dedupe key, and a round is written in one transaction, so a replayed round adds nothing.
import type { Kysely, Transaction } from 'kysely';
import { transaction } from '../transaction.js';

interface ProvidersTable {
  uuid: string;
  name: string;
}
interface DocTable {
  id: string;
  provider_id: string | null;
  service: string | null;
  body: string;
  created_at: number;
}
interface AgreementsTable extends DocTable {
  template_id: string | null;
  consumer_id: string | null;
}
interface EnforcementsTable {
  agreement_id: string;
  enabled: number;
  last_executed: number | null;
  states: string;
}
interface MetricsTable {
  id: number | undefined;
  agreement_id: string;
  key: string;
  value: number;
  at: number;
}
interface RecordTable {
  key: string;
  uuid: string;
  agreement_id: string;
  term: string;
  at: number;
  body: string;
}
interface ActionsTable {
  key: string;
  agreement_id: string;
  term: string;
  type: string;
  at: number;
  body: string;
}
export interface SlaDatabase {
  sla_actions: ActionsTable;
  sla_providers: ProvidersTable;
  sla_templates: DocTable;
  sla_agreements: AgreementsTable;
  sla_enforcements: EnforcementsTable;
  sla_metrics: MetricsTable;
  sla_breaches: RecordTable;
  sla_violations: RecordTable;
  sla_penalties: RecordTable;
}
type RecordTableName = 'sla_breaches' | 'sla_violations' | 'sla_penalties';

export interface StoredDoc {
  id: string;
  providerId: string | null;
  service: string | null;
  body: string;
}
export interface StoredAgreement extends StoredDoc {
  templateId: string | null;
  consumerId: string | null;
}
export interface StoredJob {
  agreementId: string;
  enabled: boolean;
  lastExecuted: number | null;
  states: string;
}
export interface StoredRecord {
  key: string;
  uuid: string;
  agreementId: string;
  term: string;
  at: number;
  body: string;
}
export interface StoredAction {
  key: string;
  agreementId: string;
  term: string;
  type: string;
  at: number;
  body: string;
}
export interface RecordQuery {
  agreementId?: string;
  term?: string;
  providerId?: string;
  /** begin <= at < end (the Atos convention) */
  begin?: number;
  end?: number;
}

const job = (r: EnforcementsTable): StoredJob => ({
  agreementId: r.agreement_id,
  enabled: r.enabled === 1,
  lastExecuted: r.last_executed === null ? null : Number(r.last_executed),
  states: r.states,
});
const rec = (r: RecordTable): StoredRecord => ({
  key: r.key,
  uuid: r.uuid,
  agreementId: r.agreement_id,
  term: r.term,
  at: Number(r.at),
  body: r.body,
});
const agr = (r: AgreementsTable): StoredAgreement => ({
  id: r.id,
  providerId: r.provider_id,
  service: r.service,
  body: r.body,
  templateId: r.template_id,
  consumerId: r.consumer_id,
});

export class SlaRepo {
  constructor(private readonly db: Kysely<SlaDatabase>) {}

  // providers
  listProviders = () => this.db.selectFrom('sla_providers').selectAll().orderBy('name').execute();
  getProvider = (uuid: string) => this.db.selectFrom('sla_providers').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  async providerTaken(uuid: string, name: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('sla_providers')
      .select('uuid')
      .where((eb) => eb.or([eb('uuid', '=', uuid), eb('name', '=', name)]))
      .executeTakeFirst();
    return r !== undefined;
  }
  async addProvider(p: ProvidersTable): Promise<void> {
    await this.db.insertInto('sla_providers').values(p).execute();
  }
  async providerInUse(uuid: string): Promise<boolean> {
    const t = await this.db.selectFrom('sla_templates').select('id').where('provider_id', '=', uuid).executeTakeFirst();
    const a = await this.db.selectFrom('sla_agreements').select('id').where('provider_id', '=', uuid).executeTakeFirst();
    return t !== undefined || a !== undefined;
  }
  async removeProvider(uuid: string): Promise<void> {
    await this.db.deleteFrom('sla_providers').where('uuid', '=', uuid).execute();
  }

  // templates
  async listTemplates(q: { providerId?: string; serviceIds?: string[] }): Promise<StoredDoc[]> {
    let s = this.db.selectFrom('sla_templates').selectAll().orderBy('created_at').orderBy('id');
    if (q.providerId !== undefined) s = s.where('provider_id', '=', q.providerId);
    if (q.serviceIds !== undefined) s = s.where('service', 'in', q.serviceIds.length > 0 ? q.serviceIds : ['']);
    return (await s.execute()).map((r) => ({ id: r.id, providerId: r.provider_id, service: r.service, body: r.body }));
  }
  async getTemplate(id: string): Promise<StoredDoc | undefined> {
    const r = await this.db.selectFrom('sla_templates').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { id: r.id, providerId: r.provider_id, service: r.service, body: r.body };
  }
  async putTemplate(d: StoredDoc, now: number, update: boolean): Promise<void> {
    const row = { id: d.id, provider_id: d.providerId, service: d.service, body: d.body };
    if (update) await this.db.updateTable('sla_templates').set(row).where('id', '=', d.id).execute();
    else
      await this.db
        .insertInto('sla_templates')
        .values({ ...row, created_at: now })
        .execute();
  }
  async templateInUse(id: string): Promise<boolean> {
    return (await this.db.selectFrom('sla_agreements').select('id').where('template_id', '=', id).executeTakeFirst()) !== undefined;
  }
  async removeTemplate(id: string): Promise<void> {
    await this.db.deleteFrom('sla_templates').where('id', '=', id).execute();
  }

  // agreements and their enforcement jobs
  async listAgreements(q: { consumerId?: string; providerId?: string; templateId?: string; active?: boolean }): Promise<StoredAgreement[]> {
    let s = this.db
      .selectFrom('sla_agreements')
      .innerJoin('sla_enforcements', 'sla_enforcements.agreement_id', 'sla_agreements.id')
      .selectAll('sla_agreements')
      .orderBy('created_at')
      .orderBy('id');
    if (q.consumerId !== undefined) s = s.where('consumer_id', '=', q.consumerId);
    if (q.providerId !== undefined) s = s.where('provider_id', '=', q.providerId);
    if (q.templateId !== undefined) s = s.where('template_id', '=', q.templateId);
    if (q.active !== undefined) s = s.where('sla_enforcements.enabled', '=', q.active ? 1 : 0);
    return (await s.execute()).map(agr);
  }
  async getAgreement(id: string): Promise<StoredAgreement | undefined> {
    const r = await this.db.selectFrom('sla_agreements').selectAll().where('id', '=', id).executeTakeFirst();
    return r && agr(r);
  }
  /** The agreement and its (disabled) enforcement job, together. */
  async addAgreement(a: StoredAgreement, now: number): Promise<void> {
    await transaction(this.db, async (tx) => {
      await tx
        .insertInto('sla_agreements')
        .values({
          id: a.id,
          template_id: a.templateId,
          provider_id: a.providerId,
          consumer_id: a.consumerId,
          service: a.service,
          body: a.body,
          created_at: now,
        })
        .execute();
      await tx.insertInto('sla_enforcements').values({ agreement_id: a.id, enabled: 0, last_executed: null, states: '{}' }).execute();
    });
  }
  async removeAgreement(id: string): Promise<void> {
    await transaction(this.db, async (tx) => {
      for (const t of ['sla_breaches', 'sla_violations', 'sla_penalties', 'sla_metrics', 'sla_enforcements'] as const)
        await tx.deleteFrom(t).where('agreement_id', '=', id).execute();
      await tx.deleteFrom('sla_actions').where('agreement_id', '=', id).execute();
      await tx.deleteFrom('sla_agreements').where('id', '=', id).execute();
    });
  }
  async listJobs(): Promise<StoredJob[]> {
    return (await this.db.selectFrom('sla_enforcements').selectAll().orderBy('agreement_id').execute()).map(job);
  }
  async getJob(agreementId: string): Promise<StoredJob | undefined> {
    const r = await this.db.selectFrom('sla_enforcements').selectAll().where('agreement_id', '=', agreementId).executeTakeFirst();
    return r && job(r);
  }
  async setEnabled(agreementId: string, enabled: boolean): Promise<void> {
    await this.db
      .updateTable('sla_enforcements')
      .set({ enabled: enabled ? 1 : 0 })
      .where('agreement_id', '=', agreementId)
      .execute();
  }

  // metrics and rounds
  async addMetrics(agreementId: string, ms: { key: string; value: number; at: number }[]): Promise<void> {
    if (ms.length === 0) return;
    await this.db
      .insertInto('sla_metrics')
      .values(ms.map((m) => ({ agreement_id: agreementId, key: m.key, value: m.value, at: m.at })))
      .execute();
  }
  async metricsSince(agreementId: string, from: number): Promise<{ key: string; value: number; at: number }[]> {
    const rows = await this.db
      .selectFrom('sla_metrics')
      .select(['key', 'value', 'at'])
      .where('agreement_id', '=', agreementId)
      .where('at', '>', from)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ key: r.key, value: Number(r.value), at: Number(r.at) }));
  }
  async recordsSince(table: RecordTableName, agreementId: string, from: number): Promise<StoredRecord[]> {
    return (await this.db.selectFrom(table).selectAll().where('agreement_id', '=', agreementId).where('at', '>', from).execute()).map(rec);
  }
  /** One round: its records (each key once), the new term states, and the end of pushed values no round needs any more, atomically. */
  async saveRound(
    agreementId: string,
    now: number,
    states: string,
    records: Record<RecordTableName, StoredRecord[]>,
    prunedUpTo: number,
  ): Promise<void> {
    await transaction(this.db, async (tx: Transaction<SlaDatabase>) => {
      for (const [table, rows] of Object.entries(records) as [RecordTableName, StoredRecord[]][]) {
        for (const r of rows) {
          await tx
            .insertInto(table)
            .values({ key: r.key, uuid: r.uuid, agreement_id: r.agreementId, term: r.term, at: r.at, body: r.body })
            .onConflict((oc) => oc.column('key').doNothing())
            .execute();
        }
      }
      await tx.updateTable('sla_enforcements').set({ last_executed: now, states }).where('agreement_id', '=', agreementId).execute();
      // pushed values this old are never read again (the next round reads from now − lookback)
      await tx.deleteFrom('sla_metrics').where('agreement_id', '=', agreementId).where('at', '<=', prunedUpTo).execute();
    });
  }

  // violations and penalties
  async listRecords(table: 'sla_violations' | 'sla_penalties', q: RecordQuery): Promise<StoredRecord[]> {
    let s = this.db.selectFrom(table).selectAll(table).orderBy(`${table}.at`).orderBy(`${table}.key`);
    if (q.agreementId !== undefined) s = s.where(`${table}.agreement_id`, '=', q.agreementId);
    if (q.term !== undefined) s = s.where(`${table}.term`, '=', q.term);
    if (q.begin !== undefined) s = s.where(`${table}.at`, '>=', q.begin);
    if (q.end !== undefined) s = s.where(`${table}.at`, '<', q.end);
    if (q.providerId !== undefined) {
      const ids = this.db.selectFrom('sla_agreements').select('id').where('provider_id', '=', q.providerId);
      s = s.where(`${table}.agreement_id`, 'in', ids);
    }
    return (await s.execute()).map(rec);
  }
  async getRecord(table: 'sla_violations' | 'sla_penalties', uuid: string): Promise<StoredRecord | undefined> {
    const r = await this.db.selectFrom(table).selectAll().where('uuid', '=', uuid).executeTakeFirst();
    return r && rec(r);
  }

  // compensating actions
  /** Claims an action (false: it was claimed before, e.g. by the round a crash interrupted). */
  async claimAction(a: StoredAction): Promise<boolean> {
    const r = await this.db
      .insertInto('sla_actions')
      .values({ key: a.key, agreement_id: a.agreementId, term: a.term, type: a.type, at: a.at, body: a.body })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async finishAction(key: string, body: string): Promise<void> {
    await this.db.updateTable('sla_actions').set({ body }).where('key', '=', key).execute();
  }
  /** When the term last ran (claimed) an action of this type. */
  async lastActionAt(agreementId: string, term: string, type: string): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('sla_actions')
      .select((eb) => eb.fn.max('at').as('at'))
      .where('agreement_id', '=', agreementId)
      .where('term', '=', term)
      .where('type', '=', type)
      .executeTakeFirst();
    return r?.at === null || r?.at === undefined ? undefined : Number(r.at);
  }
  async listActions(agreementId: string): Promise<StoredAction[]> {
    const rows = await this.db.selectFrom('sla_actions').selectAll().where('agreement_id', '=', agreementId).orderBy('at').execute();
    return rows.map((r) => ({ key: r.key, agreementId: r.agreement_id, term: r.term, type: r.type, at: Number(r.at), body: r.body }));
  }
}
