// Enforcement as pure functions: given a guarantee term, what is already stored for it (its
// recent breaches, violations and penalties, and its TermState) and the metric values seen
// since, return what is new. No clock (the caller passes `now`), no I/O, no randomness: the
// same inputs give the same records with the same keys and ids, so replaying a round after a
// core restart stores nothing twice (keys.ts; the store keeps each key once, and the caller
// writes a round's records and the new TermState in one transaction).
//
// Rules (issue 11, after the Atos SLA core):
// - an observation that fails the constraint is a breach. Observations are the metric values
//   of the constraint's KPI; for an `avg…` KPI, the mean of each completed window of
//   `windowMs` (aligned to the epoch, so every replay cuts the same windows); for EXISTS /
//   NOT_EXISTS also the round itself (NOT_EXISTS holds for a round with nothing new, EXISTS
//   breaks); for these, arrival order rather than the values' stamps decides the status.
// - policies {count, interval}: a violation when `count` breaches fall within `interval`,
//   counting only breaches after the one that raised this policy's previous violation (so one
//   burst is one violation, whatever the poll rate). No policy: every breach is a violation.
// - business values {count, duration}: each penalty definition is raised when `count`
//   violations of the term fall within `duration`, counting after the previous penalty's.
// - status: NON_DETERMINED until the first observation; VIOLATED while the latest observation
//   breaches and this run of breaches has raised a violation; FULFILLED otherwise.
import { invalid } from '../shared/errors.js';
import { isExistence, printConstraint, roundHolds, satisfies } from './constraint.js';
import { durationMs } from './duration.js';
import { breachKey, keyUuid, penaltyKey, violationKey } from './keys.js';
import type { Agreement, GuaranteeState, GuaranteeStatus, PenaltyDefinition } from './model.js';
import { parseServiceLevel, type Policy, type ServiceLevel } from './service-level.js';

/** Default poll interval of an enforcement job, also the default averaging window. */
export const DEFAULT_POLL_MS = 10_000;

/** One measured value of a KPI (`key` = the metric name the constraint's left side names). */
export interface MetricValue {
  key: string;
  value: number;
  /** ms since the epoch */
  at: number;
}

export interface CompiledTerm {
  name: string;
  kpiName: string;
  level: ServiceLevel;
  serviceName: string;
  serviceScope: string;
  businessValues: { count: number; durationMs: number; penalties: PenaltyDefinition[] }[];
  /** an `avg…` KPI: observations are window means */
  averaged: boolean;
  windowMs: number;
}

export interface BreachRecord {
  key: string;
  agreementId: string;
  term: string;
  kpi: string;
  /** null: the value was absent (EXISTS) */
  value: number | null;
  at: number;
}

export interface ViolationRecord {
  uuid: string;
  key: string;
  agreementId: string;
  term: string;
  kpi: string;
  serviceName: string;
  serviceScope: string;
  actualValue: string;
  expectedValue: string;
  at: number;
  /** index into the term's policies; -1 = the default policy (every breach) */
  policyIndex: number;
  policy: { count: number; interval: string } | null;
  /** key of the breach that completed the count */
  trigger: string;
  breaches: number;
}

export interface PenaltyRecord {
  uuid: string;
  key: string;
  agreementId: string;
  term: string;
  at: number;
  /** index into the term's business values (flattened CustomBusinessValue list) */
  valueIndex: number;
  definition: PenaltyDefinition;
  /** key and uuid of the violation that completed the count */
  trigger: string;
  violation: string;
}

export interface TermState {
  observedAt: number | null;
  lastValue: number | null;
  breached: boolean;
  streakStart: number | null;
  violatedInStreak: boolean;
  /** end of the last averaged window evaluated (avg KPIs) */
  lastWindowEnd: number | null;
}

export const initialTermState = (): TermState => ({
  observedAt: null,
  lastValue: null,
  breached: false,
  streakStart: null,
  violatedInStreak: false,
  lastWindowEnd: null,
});

export interface History {
  breaches: readonly BreachRecord[];
  violations: readonly ViolationRecord[];
  penalties: readonly PenaltyRecord[];
}

export interface TermRound {
  agreementId: string;
  term: CompiledTerm;
  state: TermState;
  /** stored records of this term with `at` > (earliest new metric, or now) − lookbackMs(term) */
  history: History;
  /** values of this term's KPI; already-seen ones are recognised by their keys */
  metrics: readonly MetricValue[];
  now: number;
}

export interface TermOutcome {
  breaches: BreachRecord[];
  violations: ViolationRecord[];
  penalties: PenaltyRecord[];
  state: TermState;
  status: GuaranteeState;
}

/** How far back a round must see stored records for this term. */
export function lookbackMs(t: CompiledTerm): number {
  return Math.max(t.windowMs, ...t.level.policies.map((p) => p.intervalMs), ...t.businessValues.map((b) => b.durationMs));
}

/** The metric name whose values feed an `avg…` KPI besides the KPI itself: avgResponseTime → ResponseTime. */
export const rawMetricName = (kpi: string): string => kpi.replace(/^avg[_-]?/i, '');
const isAveraged = (kpi: string): boolean => /^avg./i.test(kpi);

/**
 * Compiles one guarantee term of an agreement; throws an `invalid` OsmoError naming the term
 * (and, for a constraint, the position) when it cannot be enforced.
 */
export function compileTerm(agreement: Agreement, index: number, pollMs = DEFAULT_POLL_MS): CompiledTerm {
  const gt = agreement.terms.guaranteeTerms[index];
  if (!gt) throw invalid(`no guarantee term #${index}`);
  const csl = gt.serviceLevelObjective.kpitarget.customServiceLevel;
  if (csl === undefined || csl.trim() === '')
    throw invalid(`guarantee term "${gt.name}": CustomServiceLevel with a constraint is required`);
  let level: ServiceLevel;
  try {
    level = parseServiceLevel(csl);
  } catch (e) {
    throw invalid(`guarantee term "${gt.name}": ${(e as Error).message}`);
  }
  const businessValues = (gt.businessValueList?.customBusinessValue ?? []).map((b) => {
    try {
      return { count: b.count, durationMs: durationMs(b.duration), penalties: b.penalties };
    } catch (e) {
      throw invalid(`guarantee term "${gt.name}": business value: ${(e as Error).message}`);
    }
  });
  const averaged = isAveraged(level.constraint.kpi);
  return {
    name: gt.name,
    kpiName: gt.serviceLevelObjective.kpitarget.kpiName,
    level,
    serviceName: gt.serviceScope?.serviceName ?? agreement.context.service ?? '',
    serviceScope: gt.serviceScope?.value ?? '',
    businessValues,
    averaged,
    windowMs: level.windowMs ?? level.policies[0]?.intervalMs ?? pollMs,
  };
}

/** Compiles every guarantee term (also the check an agreement passes before it is stored). */
export function compileAgreement(a: Agreement, pollMs = DEFAULT_POLL_MS): CompiledTerm[] {
  const names = new Set<string>();
  return a.terms.guaranteeTerms.map((gt, i) => {
    if (names.has(gt.name)) throw invalid(`guarantee term name "${gt.name}" is used twice`);
    names.add(gt.name);
    return compileTerm(a, i, pollMs);
  });
}

interface Observation {
  at: number;
  value: number | null;
  ok: boolean;
}

function observations(t: CompiledTerm, state: TermState, metrics: readonly MetricValue[], now: number): Observation[] {
  // (the round itself, for EXISTS / NOT_EXISTS, is added by evaluateTerm once it knows what was new)
  const c = t.level.constraint;
  const raw = rawMetricName(c.kpi);
  const mine = metrics.filter((m) => m.at <= now && Number.isFinite(m.value) && (m.key === c.kpi || (t.averaged && m.key === raw)));
  const out: Observation[] = [];
  if (t.averaged) {
    const w = t.windowMs;
    const sums = new Map<number, { sum: number; n: number }>();
    for (const m of mine) {
      const end = (Math.floor(m.at / w) + 1) * w;
      if (end > now || (state.lastWindowEnd !== null && end <= state.lastWindowEnd)) continue;
      const s = sums.get(end) ?? { sum: 0, n: 0 };
      s.sum += m.value;
      s.n += 1;
      sums.set(end, s);
    }
    for (const [end, s] of sums) {
      const mean = s.sum / s.n;
      out.push({ at: end, value: mean, ok: satisfies(c, mean) });
    }
  } else {
    for (const m of mine) out.push({ at: m.at, value: m.value, ok: satisfies(c, m.value) });
  }
  return out.sort((a, b) => a.at - b.at || String(a.value).localeCompare(String(b.value)));
}

type Ordered = { at: number; key: string };
const after = (a: Ordered, b: Ordered): boolean => a.at > b.at || (a.at === b.at && a.key > b.key);
const cmp = (a: Ordered, b: Ordered): number => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function actualValue(bs: readonly BreachRecord[]): string {
  const shown = bs.slice(0, 3).map((b) => (b.value === null ? 'absent' : String(b.value)));
  return shown.join(',') + (bs.length > 3 ? '...' : '');
}

/** One enforcement round of one term. Pure; see the rules at the top of this file. */
export function evaluateTerm(r: TermRound): TermOutcome {
  const { term: t, agreementId, now } = r;
  const state = { ...r.state };
  const known = new Set(r.history.breaches.map((b) => b.key));
  const breaches = [...r.history.breaches].sort(cmp);
  const violations = [...r.history.violations];
  const penalties = [...r.history.penalties];
  const out: TermOutcome = { breaches: [], violations: [], penalties: [], state, status: 'NON_DETERMINED' };
  const expected = printConstraint(t.level.constraint);
  const policies: (Policy | null)[] = t.level.policies.length > 0 ? t.level.policies : [null];

  const existence = isExistence(t.level.constraint);
  // for EXISTS / NOT_EXISTS the order of arrival decides the status, not the values' stamps:
  // an event stamped before the previous round but seen only now still means "it happened"
  let fresh = false;
  const process = (o: Observation) => {
    const raised: ViolationRecord[] = [];
    let isNew = false;
    if (!o.ok) {
      const key = breachKey(agreementId, t.name, o.at, o.value);
      if (!known.has(key)) {
        known.add(key);
        const b: BreachRecord = { key, agreementId, term: t.name, kpi: t.level.constraint.kpi, value: o.value, at: o.at };
        breaches.push(b);
        breaches.sort(cmp);
        out.breaches.push(b);
        fresh = isNew = true;
        policies.forEach((p, i) => {
          const policyIndex = p === null ? -1 : i;
          const last =
            p === null
              ? undefined
              : violations
                  .filter((v) => v.policyIndex === policyIndex)
                  .map((v) => ({ at: v.at, key: v.trigger }))
                  .sort(cmp)
                  .at(-1);
          // the default policy makes every breach a violation, even one that arrives late
          const window =
            p === null ? [b] : breaches.filter((x) => !after(x, b) && (last === undefined || after(x, last)) && x.at > b.at - p.intervalMs);
          if (window.length < (p?.count ?? 1)) return;
          const vkey = violationKey(policyIndex, b.key);
          const v: ViolationRecord = {
            uuid: keyUuid(vkey),
            key: vkey,
            agreementId,
            term: t.name,
            kpi: t.level.constraint.kpi,
            serviceName: t.serviceName,
            serviceScope: t.serviceScope,
            actualValue: actualValue(window),
            expectedValue: expected,
            at: b.at,
            policyIndex,
            policy: p && { count: p.count, interval: p.interval },
            trigger: b.key,
            breaches: window.length,
          };
          violations.push(v);
          out.violations.push(v);
          raised.push(v);
        });
      }
    }
    for (const v of raised) out.penalties.push(...penaltiesFor(t, agreementId, v, violations, penalties));
    const newer = state.observedAt === null || o.at >= state.observedAt;
    if (o.ok && o.value !== null && newer) fresh = true; // an EXISTS value
    if (newer || (existence && isNew)) {
      if (o.ok) Object.assign(state, { breached: false, streakStart: null, violatedInStreak: false });
      else if (!state.breached) Object.assign(state, { breached: true, streakStart: o.at, violatedInStreak: false });
      if (raised.length > 0 && state.breached) state.violatedInStreak = true;
      state.observedAt = Math.max(state.observedAt ?? o.at, o.at);
      state.lastValue = o.value;
      if (t.averaged && o.value !== null) state.lastWindowEnd = Math.max(state.lastWindowEnd ?? o.at, o.at);
    }
  };
  for (const o of observations(t, r.state, r.metrics, now)) process(o);
  // a round in which nothing new was seen is an observation of its own: NOT_EXISTS holds, EXISTS breaks
  if (existence && !fresh) process({ at: now, value: null, ok: roundHolds(t.level.constraint, []) === true });
  out.status = termStatus(state);
  return out;
}

function penaltiesFor(
  t: CompiledTerm,
  agreementId: string,
  v: ViolationRecord,
  violations: readonly ViolationRecord[],
  penalties: PenaltyRecord[],
): PenaltyRecord[] {
  const out: PenaltyRecord[] = [];
  const vo = { at: v.at, key: v.key };
  t.businessValues.forEach((bv, j) => {
    const lastP = penalties
      .filter((p) => p.valueIndex === j)
      .map((p) => ({ at: p.at, key: p.trigger }))
      .sort(cmp)
      .at(-1);
    const window = violations.filter((x) => {
      const xo = { at: x.at, key: x.key };
      return !after(xo, vo) && (lastP === undefined || after(xo, lastP)) && x.at > v.at - bv.durationMs;
    });
    if (window.length < bv.count) return;
    bv.penalties.forEach((definition, k) => {
      const key = penaltyKey(j, k, v.key);
      const p: PenaltyRecord = {
        uuid: keyUuid(key),
        key,
        agreementId,
        term: t.name,
        at: v.at,
        valueIndex: j,
        definition,
        trigger: v.key,
        violation: v.uuid,
      };
      penalties.push(p);
      out.push(p);
    });
  });
  return out;
}

/** A term's guarantee state from its TermState. */
export function termStatus(s: TermState): GuaranteeState {
  if (s.observedAt === null) return 'NON_DETERMINED';
  return s.breached && s.violatedInStreak ? 'VIOLATED' : 'FULFILLED';
}

/** An agreement's state: VIOLATED if any term is, FULFILLED if all are, else NON_DETERMINED. */
export function agreementStatus(terms: readonly GuaranteeState[]): GuaranteeState {
  if (terms.includes('VIOLATED')) return 'VIOLATED';
  if (terms.length > 0 && terms.every((s) => s === 'FULFILLED')) return 'FULFILLED';
  return 'NON_DETERMINED';
}

export interface AgreementRound {
  agreementId: string;
  terms: readonly CompiledTerm[];
  /** per term name; a missing term starts from initialTermState() */
  states: Readonly<Record<string, TermState>>;
  /** stored records of this agreement (each term picks its own) */
  history: History;
  metrics: readonly MetricValue[];
  now: number;
}

export interface AgreementOutcome {
  breaches: BreachRecord[];
  violations: ViolationRecord[];
  penalties: PenaltyRecord[];
  states: Record<string, TermState>;
  status: GuaranteeStatus;
}

/** One enforcement round of every term of an agreement. Pure. */
export function evaluateAgreement(r: AgreementRound): AgreementOutcome {
  const out: AgreementOutcome = {
    breaches: [],
    violations: [],
    penalties: [],
    states: {},
    status: { AgreementId: r.agreementId, guaranteestatus: 'NON_DETERMINED', guaranteeterms: [] },
  };
  for (const t of r.terms) {
    const mine = <T extends { term: string }>(xs: readonly T[]) => xs.filter((x) => x.term === t.name);
    const o = evaluateTerm({
      agreementId: r.agreementId,
      term: t,
      state: r.states[t.name] ?? initialTermState(),
      history: { breaches: mine(r.history.breaches), violations: mine(r.history.violations), penalties: mine(r.history.penalties) },
      metrics: r.metrics,
      now: r.now,
    });
    out.breaches.push(...o.breaches);
    out.violations.push(...o.violations);
    out.penalties.push(...o.penalties);
    out.states[t.name] = o.state;
    out.status.guaranteeterms.push({ name: t.name, status: o.status });
  }
  out.status.guaranteestatus = agreementStatus(out.status.guaranteeterms.map((g) => g.status));
  return out;
}

/** The status of an agreement from stored term states alone (GET …/guaranteestatus). */
export function statusFromStates(
  agreementId: string,
  terms: readonly { name: string }[],
  states: Readonly<Record<string, TermState>>,
): GuaranteeStatus {
  const guaranteeterms = terms.map((t) => ({ name: t.name, status: termStatus(states[t.name] ?? initialTermState()) }));
  return { AgreementId: agreementId, guaranteestatus: agreementStatus(guaranteeterms.map((g) => g.status)), guaranteeterms };
}
