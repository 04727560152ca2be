// The SLA mediator (seed E.6): a MEL's QoS objectives (its `slo` block) become a WS-Agreement
// template with one guarantee term per objective, `qosConstraint_<id>_Violated NOT_EXISTS`,
// and an agreement is a copy of the template with the consumer, the expiration time and the
// template's id added (E.6.2). The term's KPI is not the measured metric itself but the
// "violated" event a monitoring rule emits when the metric breaks the bound (E.6.1); the rule
// is returned too (monitoringRules, violationEvents) so that whoever feeds the metrics can
// emit exactly those events.
import type { z } from 'zod';
import { SloSchema, type PenaltySpec, type Slo, type SloItem } from '../model/slo.js';
import { invalid } from '../shared/errors.js';
import type { MetricValue } from './enforce.js';
import { emptyTerms, type Agreement, type GuaranteeTerm, type Template } from './model.js';

export interface Objective {
  id: string;
  metric: string;
  max?: number;
  min?: number;
  scope?: string;
  penalty?: z.output<typeof PenaltySpec>;
  /** osmo's compensating actions and their cooldown, copied into the term (binding.ts) */
  actions?: unknown[];
  cooldown?: number | string;
}

export type { Slo };

/** The objectives of an slo block with their ids (c1, c2, … in order unless given). */
export function objectives(slo: Slo): Objective[] {
  const r = SloSchema.safeParse(slo);
  if (!r.success) {
    const i = r.error.issues[0];
    throw invalid(`slo: ${i?.path.map(String).join('.') || 'body'}: ${i?.message ?? 'invalid'}`);
  }
  type Item = z.output<typeof SloItem>;
  const list: Item[] = Array.isArray(r.data) ? r.data : Object.entries(r.data).map(([metric, b]): Item => ({ metric, ...b }));
  const ids = new Set<string>();
  return list.map((o, i) => {
    const id = o.id ?? `c${i + 1}`;
    if (ids.has(id)) throw invalid(`slo: objective id "${id}" is used twice`);
    ids.add(id);
    const out: Objective = { id, metric: o.metric };
    if (o.max !== undefined) out.max = o.max;
    if (o.min !== undefined) out.min = o.min;
    if (o.scope !== undefined) out.scope = o.scope;
    if (o.penalty !== undefined) out.penalty = o.penalty;
    if (o.actions !== undefined) out.actions = o.actions;
    if (o.cooldown !== undefined) out.cooldown = o.cooldown;
    return out;
  });
}

/** The KPI event a monitoring rule emits when objective `id` is broken (E.6.1). */
export const violatedKpi = (id: string): string => `qosConstraint_${id}_Violated`;

/** responseTime → ResponseTime, the KPIName spelling of the seed. */
const kpiName = (metric: string): string => metric.charAt(0).toUpperCase() + metric.slice(1);

/** Numbers as the Atos mediator's JSON printed them (`2.0`, not `2`). */
const num = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));

/** The source osmo measures an slo metric with (binding.ts), if it measures it at all. */
export function sourceOf(metric: string): string | undefined {
  const m = metric.toLowerCase();
  if (m === 'responsetime') return 'http';
  if (m === 'availability') return 'availability';
  if (m === 'cpu' || m === 'mem' || m === 'net' || m === 'disk') return m;
  return undefined;
}

function serviceLevel(o: Objective, bind: boolean): string {
  const qos: string[] = [];
  if (o.max !== undefined) qos.push(`"hasMaxValue":${num(o.max)}`);
  if (o.min !== undefined) qos.push(`"hasMinValue":${num(o.min)}`);
  let osmo = '';
  if (bind) {
    const source = sourceOf(o.metric);
    if (source !== undefined) osmo += `, "source": "${source}"`;
    if (o.actions !== undefined) osmo += `, "actions": ${JSON.stringify(o.actions)}`;
    if (o.cooldown !== undefined) osmo += `, "cooldown": ${JSON.stringify(o.cooldown)}`;
  }
  return `{"constraint": "${violatedKpi(o.id)} NOT_EXISTS", "qos": {${qos.join(', ')}}${osmo}}`;
}

export interface TemplateRequest {
  /** the MEL (the agreement's Service) */
  service: string;
  /** the AgreementResponder */
  provider: string;
  slo: Slo;
  /** the caller supplies it (a fresh UUID in the core): this module has no randomness */
  templateId: string;
  name?: string;
  /**
   * osmo: the service is a MEL osmo runs, so each term gets the source that measures its
   * metric (responseTime: HTTP probe, availability, cpu/mem/net/disk) and the objective's
   * actions; without it the terms wait for pushed events, as in E.6.
   */
  bind?: boolean;
}

/** A template from a MEL's objectives (E.6.1). */
export function generateTemplate(req: TemplateRequest): Template {
  const terms = emptyTerms();
  for (const o of objectives(req.slo)) {
    const gt: GuaranteeTerm = {
      name: o.id,
      serviceScope: { serviceName: req.service, ...(o.scope !== undefined && { value: o.scope }) },
      serviceLevelObjective: { kpitarget: { kpiName: kpiName(o.metric), customServiceLevel: serviceLevel(o, req.bind === true) } },
    };
    if (o.penalty) {
      const { count, duration, ...definition } = o.penalty;
      gt.businessValueList = { customBusinessValue: [{ count, duration, penalties: [definition] }] };
    }
    terms.guaranteeTerms.push(gt);
  }
  return {
    templateId: req.templateId,
    name: req.name ?? req.service,
    context: { agreementResponder: req.provider, serviceProvider: 'AgreementResponder', service: req.service },
    terms,
  };
}

export interface AgreementRequest {
  template: Template;
  /** the AgreementInitiator */
  consumer: string;
  expirationTime: string;
  agreementId: string;
}

/** An agreement from a template: a copy with consumer, expiration and template id (E.6.2). */
export function generateAgreement(req: AgreementRequest): Agreement {
  const t = req.template;
  if (t.templateId === undefined) throw invalid('the template has no TemplateId');
  const a: Agreement = {
    agreementId: req.agreementId,
    context: { ...t.context, agreementInitiator: req.consumer, expirationTime: req.expirationTime, templateId: t.templateId },
    terms: structuredClone(t.terms),
  };
  if (t.name !== undefined) a.name = t.name;
  return a;
}

export interface MonitoringRule {
  id: string;
  /** the measured metric (as named in the slo block) */
  metric: string;
  scope?: string;
  /** the KPI event emitted while the metric breaks the bound */
  output: string;
  broken: (value: number) => boolean;
  /** the condition as text, e.g. `METRIC > 2.0` (E.6.1) */
  condition: string;
}

/** The monitoring rule behind each objective. */
export function monitoringRules(slo: Slo): MonitoringRule[] {
  return objectives(slo).map((o) => {
    const conds: string[] = [];
    if (o.max !== undefined) conds.push(`METRIC > ${num(o.max)}`);
    if (o.min !== undefined) conds.push(`METRIC < ${num(o.min)}`);
    const rule: MonitoringRule = {
      id: o.id,
      metric: o.metric,
      output: violatedKpi(o.id),
      broken: (v) => (o.max !== undefined && v > o.max) || (o.min !== undefined && v < o.min),
      condition: conds.join(' OR '),
    };
    if (o.scope !== undefined) rule.scope = o.scope;
    return rule;
  });
}

/**
 * The `qosConstraint_<id>_Violated` events that measured values raise (value = the measured
 * value). Metric names match case-insensitively (`ResponseTime` feeds `responseTime`).
 */
export function violationEvents(rules: readonly MonitoringRule[], measured: readonly MetricValue[]): MetricValue[] {
  const out: MetricValue[] = [];
  for (const m of measured) {
    for (const r of rules) {
      if (r.metric.toLowerCase() === m.key.toLowerCase() && r.broken(m.value)) out.push({ key: r.output, value: m.value, at: m.at });
    }
  }
  return out;
}
