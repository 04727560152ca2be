// The SLA manager's service: the pure core (src/sla) over the store (SlaRepo), and the
// enforcement loop. A started job is evaluated every poll interval and at once when metrics
// are pushed for it; each round reads the metrics and stored records it needs, evaluates,
// and writes records + term states in one transaction (dedupe keys make a replay a no-op).
// Rounds of one agreement never overlap (a promise chain per agreement).
// With the cluster at hand (`deps`), terms bound to a MEL are measured at the start of each
// round (sources.ts) and new violations of terms with compensating actions act (actions.ts).
import type { AgreementDetail } from '../../sla/model.js';
import { randomUUID } from 'node:crypto';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import {
  compileAgreement,
  evaluateAgreement,
  keyUuid,
  lookbackMs,
  statusFromStates,
  DEFAULT_POLL_MS,
  type Agreement,
  type BreachRecord,
  type Context,
  type GuaranteeStatus,
  type MetricValue,
  type PenaltyRecord,
  type Provider,
  type Template,
  type TermState,
  type ViolationRecord,
  type CompiledTerm,
  generateAgreement,
  generateTemplate,
  isoSeconds,
  printConstraint,
  type Slo,
} from '../../sla/index.js';
import type { SlaRepo, StoredRecord } from '../../store/repos/sla.js';
import type { Store } from '../../store/index.js';
import { compensate, type ActionDeps } from './actions.js';
import { measure } from './sources.js';

/** The cluster a core's SLA manager measures and acts on (absent: pushed metrics only). */
export interface SlaDeps extends ActionDeps {
  store: Store;
}

/** The MEL a term is about: its own `mel`, else its scope's ServiceName, else the agreement's Service. */
export const melOf = (t: CompiledTerm): string => t.level.mel ?? t.serviceName;

/**
 * The value a bound term stores this round. For an event KPI (EXISTS / NOT_EXISTS, the E.6
 * `qosConstraint_<id>_Violated` terms) the measured value is stored only when it breaks the
 * term's `qos` bound (the monitoring rule of E.6.1); otherwise the value itself.
 */
function observed(t: CompiledTerm, value: number): number | undefined {
  if (t.level.constraint.op !== 'EXISTS' && t.level.constraint.op !== 'NOT_EXISTS') return value;
  const max = t.level.qos?.hasMaxValue;
  const min = t.level.qos?.hasMinValue;
  const broken = (typeof max === 'number' && value > max) || (typeof min === 'number' && value < min);
  return broken ? value : undefined;
}

export interface GenerateRequest {
  service: string;
  provider: string;
  slo?: unknown;
  templateId?: string;
  consumer?: string;
  expirationTime?: string;
  agreementId?: string;
}

export interface SlaOptions {
  pollMs: number;
  now: () => number;
}

/** The provider of a context: the party its ServiceProvider names (AgreementResponder by default). */
export const providerOf = (c: Context): string | undefined =>
  c.serviceProvider === 'AgreementInitiator' ? c.agreementInitiator : c.agreementResponder;
/** The consumer: the other party. */
export const consumerOf = (c: Context): string | undefined =>
  c.serviceProvider === 'AgreementInitiator' ? c.agreementResponder : c.agreementInitiator;

/** Rounds of different agreements that one poll tick runs at once. */
const TICK_CONCURRENCY = 8;

export class SlaService {
  private timer: NodeJS.Timeout | undefined;
  private readonly chains = new Map<string, Promise<unknown>>();

  // per agreement, so that two rounds' actions never race past one cooldown check
  private readonly acting = new Map<string, Promise<unknown>>();

  constructor(
    readonly repo: SlaRepo,
    private readonly opts: SlaOptions = { pollMs: DEFAULT_POLL_MS, now: Date.now },
    private readonly deps?: SlaDeps,
  ) {}

  // ---- providers
  async createProvider(p: Provider): Promise<Provider> {
    if (await this.repo.providerTaken(p.uuid, p.name)) throw conflict(`a provider with uuid "${p.uuid}" or name "${p.name}" exists`);
    await this.repo.addProvider(p);
    return p;
  }
  async provider(uuid: string): Promise<Provider> {
    const p = await this.repo.getProvider(uuid);
    if (!p) throw notFound(`no provider ${uuid}`);
    return p;
  }
  async removeProvider(uuid: string): Promise<void> {
    await this.provider(uuid);
    if (await this.repo.providerInUse(uuid)) throw conflict(`provider ${uuid} has templates or agreements`);
    await this.repo.removeProvider(uuid);
  }

  private async knownProvider(c: Context): Promise<string | null> {
    const id = providerOf(c);
    if (id === undefined) return null;
    if (!(await this.repo.getProvider(id))) throw conflict(`provider "${id}" does not exist (create it with POST /sla-service/providers)`);
    return id;
  }

  // ---- templates
  async createTemplate(t: Template): Promise<Template> {
    const id = t.templateId ?? randomUUID();
    if (await this.repo.getTemplate(id)) throw conflict(`template ${id} exists`);
    const stored = { ...t, templateId: id };
    await this.repo.putTemplate(
      { id, providerId: await this.knownProvider(t.context), service: t.context.service ?? null, body: JSON.stringify(stored) },
      this.opts.now(),
      false,
    );
    return stored;
  }
  async updateTemplate(id: string, t: Template): Promise<Template> {
    await this.template(id);
    if (t.templateId !== undefined && t.templateId !== id) throw conflict(`the body's TemplateId "${t.templateId}" is not ${id}`);
    if (await this.repo.templateInUse(id)) throw conflict(`template ${id} has agreements`);
    const stored = { ...t, templateId: id };
    await this.repo.putTemplate(
      { id, providerId: await this.knownProvider(t.context), service: t.context.service ?? null, body: JSON.stringify(stored) },
      this.opts.now(),
      true,
    );
    return stored;
  }
  async template(id: string): Promise<Template> {
    const r = await this.repo.getTemplate(id);
    if (!r) throw notFound(`no template ${id}`);
    return JSON.parse(r.body) as Template;
  }
  async templates(q: { providerId?: string; serviceIds?: string[] }): Promise<Template[]> {
    return (await this.repo.listTemplates(q)).map((r) => JSON.parse(r.body) as Template);
  }
  async removeTemplate(id: string): Promise<void> {
    await this.template(id);
    if (await this.repo.templateInUse(id)) throw conflict(`template ${id} has agreements`);
    await this.repo.removeTemplate(id);
  }

  // ---- agreements
  async createAgreement(a: Agreement): Promise<Agreement> {
    compileAgreement(a, this.opts.pollMs); // 400 naming the term (and position) if it cannot be enforced
    const id = a.agreementId ?? randomUUID();
    if (await this.repo.getAgreement(id)) throw conflict(`agreement ${id} exists`);
    const providerId = await this.knownProvider(a.context);
    const templateId = a.context.templateId ?? null;
    if (templateId !== null && !(await this.repo.getTemplate(templateId))) throw conflict(`template "${templateId}" does not exist`);
    const stored = { ...a, agreementId: id };
    await this.repo.addAgreement(
      {
        id,
        templateId,
        providerId,
        consumerId: consumerOf(a.context) ?? null,
        service: a.context.service ?? null,
        body: JSON.stringify(stored),
      },
      this.opts.now(),
    );
    return stored;
  }
  async agreement(id: string): Promise<Agreement> {
    const r = await this.repo.getAgreement(id);
    if (!r) throw notFound(`no agreement ${id}`);
    return JSON.parse(r.body) as Agreement;
  }
  async agreements(q: { consumerId?: string; providerId?: string; templateId?: string; active?: boolean }): Promise<Agreement[]> {
    return (await this.repo.listAgreements(q)).map((r) => JSON.parse(r.body) as Agreement);
  }
  async removeAgreement(id: string): Promise<void> {
    await this.agreement(id);
    await this.repo.removeAgreement(id);
  }
  async guaranteeStatus(id: string): Promise<GuaranteeStatus> {
    const a = await this.agreement(id);
    const j = await this.repo.getJob(id);
    return statusFromStates(id, a.terms.guaranteeTerms, JSON.parse(j?.states ?? '{}') as Record<string, TermState>);
  }

  /**
   * osmo's detailed status of an agreement: each term with its status, last value, binding,
   * and the compensating actions taken (GET /sla-service/agreements/{id}/status, `osmo sla status`).
   */
  async detail(id: string): Promise<AgreementDetail> {
    const a = await this.agreement(id);
    const j = await this.job(id);
    const states = JSON.parse(j.states) as Record<string, TermState>;
    const terms = compileAgreement(a, this.opts.pollMs);
    const status = statusFromStates(id, a.terms.guaranteeTerms, states);
    return {
      agreementId: id,
      status: status.guaranteestatus,
      enabled: j.enabled,
      lastExecuted: j.lastExecuted === null ? null : isoSeconds(j.lastExecuted),
      terms: terms.map((t, i) => {
        const st = states[t.name];
        return {
          name: t.name,
          status: status.guaranteeterms[i]!.status,
          constraint: printConstraint(t.level.constraint),
          lastValue: st?.lastValue ?? null,
          observedAt: st?.observedAt == null ? null : isoSeconds(st.observedAt),
          mel: melOf(t),
          source: t.level.source?.type === 'metric' ? `${t.level.source.metric}.${t.level.source.field}` : (t.level.source?.type ?? null),
          actions: t.level.actions.map((x) => x.type),
        };
      }),
      // the claim's time in ms: the cooldown is measured between claims
      actions: (await this.repo.listActions(id)).map((r) => ({
        at: new Date(r.at).toISOString(),
        term: r.term,
        action: r.type,
        ...(JSON.parse(r.body) as Record<string, unknown>),
      })),
    };
  }

  // ---- the mediator (E.6)
  /**
   * A template from objectives (the body's `slo`, else the `slo` block of the MEL the service
   * names) and, with a consumer, an agreement from it. When the service is a MEL of this core
   * the terms are bound to it (measured by osmo, with the objectives' actions).
   */
  async generate(b: GenerateRequest): Promise<{ template: Template; agreement?: Agreement }> {
    const mel = this.deps?.state.mels.get(b.service);
    const slo = b.slo ?? mel?.spec.slo;
    if (slo === undefined)
      throw mel
        ? conflict(`MEL ${b.service} has no slo block (PUT /api/v1/mels/${b.service} with "slo", or send "slo" here)`)
        : invalid(`no "slo" in the body and no MEL ${b.service} to take it from`);
    // check the agreement's id first: a refused agreement must not leave its template behind
    if (b.consumer !== undefined && b.agreementId !== undefined && (await this.repo.getAgreement(b.agreementId)))
      throw conflict(`agreement ${b.agreementId} exists`);
    const draft = generateTemplate({
      service: b.service,
      provider: b.provider,
      slo: slo as Slo,
      templateId: b.templateId ?? randomUUID(),
      bind: mel !== undefined,
    });
    // the terms must be enforceable (the objectives' actions, say) before anything is stored
    compileAgreement(generateAgreement({ template: draft, consumer: 'check', expirationTime: '', agreementId: 'check' }), this.opts.pollMs);
    const template = await this.createTemplate(draft);
    if (b.consumer === undefined) return { template };
    const agreement = await this.createAgreement(
      generateAgreement({
        template,
        consumer: b.consumer,
        expirationTime: b.expirationTime ?? '',
        agreementId: b.agreementId ?? randomUUID(),
      }),
    );
    return { template, agreement };
  }

  // ---- enforcement
  async job(id: string) {
    const j = await this.repo.getJob(id);
    if (!j) throw notFound(`no enforcement job for agreement ${id}`);
    return j;
  }
  async setEnabled(id: string, enabled: boolean): Promise<void> {
    await this.job(id);
    await this.repo.setEnabled(id, enabled);
    if (enabled) await this.enforce(id);
  }

  /** Stores pushed metric values and, if the job is started, runs a round at once. */
  async push(id: string, metrics: MetricValue[]): Promise<void> {
    const j = await this.job(id);
    await this.repo.addMetrics(id, metrics);
    if (j.enabled) await this.enforce(id);
  }

  /** One round for one agreement, never overlapping another round of the same agreement. */
  enforce(id: string): Promise<GuaranteeStatus | undefined> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.round(id));
    this.chains.set(id, next);
    void next.finally(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
    return next;
  }

  private async round(id: string): Promise<GuaranteeStatus | undefined> {
    const row = await this.repo.getAgreement(id);
    const j = await this.repo.getJob(id);
    if (!row || !j) return undefined;
    const a = JSON.parse(row.body) as Agreement;
    const terms = compileAgreement(a, this.opts.pollMs);
    const now = this.opts.now();
    if (j.enabled) await this.measureTerms(id, terms, now);
    const back = Math.max(this.opts.pollMs, ...terms.map(lookbackMs));
    const metricsFrom = j.lastExecuted === null ? -1 : j.lastExecuted - back;
    const historyFrom = metricsFrom - back;
    const body = <T>(rs: StoredRecord[]) => rs.map((r) => JSON.parse(r.body) as T);
    const o = evaluateAgreement({
      agreementId: id,
      terms,
      states: JSON.parse(j.states) as Record<string, TermState>,
      history: {
        breaches: body<BreachRecord>(await this.repo.recordsSince('sla_breaches', id, historyFrom)),
        violations: body<ViolationRecord>(await this.repo.recordsSince('sla_violations', id, historyFrom)),
        penalties: body<PenaltyRecord>(await this.repo.recordsSince('sla_penalties', id, historyFrom)),
      },
      metrics: await this.repo.metricsSince(id, metricsFrom),
      now,
    });
    const stored = (xs: (BreachRecord | ViolationRecord | PenaltyRecord)[]) =>
      xs.map((x) => ({
        key: x.key,
        uuid: 'uuid' in x ? x.uuid : keyUuid(x.key),
        agreementId: id,
        term: x.term,
        at: x.at,
        body: JSON.stringify(x),
      }));
    await this.repo.saveRound(
      id,
      now,
      JSON.stringify(o.states),
      {
        sla_breaches: stored(o.breaches),
        sla_violations: stored(o.violations),
        sla_penalties: stored(o.penalties),
      },
      metricsFrom,
    );
    if (this.deps && j.enabled) this.act(id, terms, o.violations, now);
    return o.status;
  }

  private async measureTerms(id: string, terms: readonly CompiledTerm[], now: number): Promise<void> {
    const deps = this.deps;
    if (!deps) return;
    const bound = terms.filter((t) => t.level.source !== undefined);
    const values = await Promise.all(
      bound.map(async (t) => {
        const v = await measure(t.level.source!, melOf(t), { ...deps, windowMs: Math.max(2 * this.opts.pollMs, 10_000), now });
        const stored = v === undefined ? undefined : observed(t, v);
        return stored === undefined ? [] : [{ key: t.level.constraint.kpi, value: stored, at: now }];
      }),
    );
    await this.repo.addMetrics(id, values.flat());
  }

  /** Compensating actions run beside the rounds (a migration takes seconds); stop() waits for them. */
  private act(id: string, terms: readonly CompiledTerm[], violations: readonly ViolationRecord[], now: number): void {
    const todo = terms.filter((t) => t.level.actions.length > 0 && violations.some((v) => v.term === t.name));
    if (todo.length === 0) return;
    const run = async () => {
      for (const t of todo)
        await compensate(
          this.repo,
          this.deps!,
          t,
          melOf(t),
          violations.filter((v) => v.term === t.name),
          now,
        ).catch((e: unknown) => process.stderr.write(`osmo sla: actions of ${id}/${t.name} failed: ${String(e)}\n`));
    };
    const next = (this.acting.get(id) ?? Promise.resolve()).then(run);
    this.acting.set(id, next);
    void next.finally(() => {
      if (this.acting.get(id) === next) this.acting.delete(id);
    });
  }

  /** Starts the poll loop over started jobs (they survive a restart: `enabled` is stored). */
  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.opts.pollMs);
    this.timer.unref();
  }
  // A tick that is still running when the next one is due is not doubled; within a tick,
  // rounds run a few at a time so that one slow source (a probe waiting for its timeout)
  // does not hold every other agreement back.
  private ticking = false;
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const jobs = (await this.repo.listJobs()).filter((j) => j.enabled);
      for (let i = 0; i < jobs.length; i += TICK_CONCURRENCY)
        await Promise.all(
          jobs
            .slice(i, i + TICK_CONCURRENCY)
            .map((j) =>
              this.enforce(j.agreementId).catch((e: unknown) =>
                process.stderr.write(`osmo sla: round of ${j.agreementId} failed: ${String(e)}\n`),
              ),
            ),
        );
    } finally {
      this.ticking = false;
    }
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.chains.values()]);
    await Promise.allSettled([...this.acting.values()]);
  }
}

/** `begin` / `end` filters: ISO 8601, or the Atos `yyyy-MM-ddTHH:mm:ss` (read as UTC). */
export function parseInstant(s: string, what: string): number {
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(s) ? Date.parse(`${s}Z`) : Date.parse(s);
  if (Number.isNaN(t)) throw invalid(`${what}: "${s}" is not a date (ISO 8601, e.g. 2014-08-13T10:01:01Z)`);
  return t;
}
