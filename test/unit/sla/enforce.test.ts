import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  agreementStatus,
  compileAgreement,
  evaluateAgreement,
  keyUuid,
  statusFromStates,
  type Agreement,
  type AgreementOutcome,
  type BreachRecord,
  type CompiledTerm,
  type CustomBusinessValue,
  type MetricValue,
  type PenaltyRecord,
  type TermState,
  type ViolationRecord,
} from '../../../src/sla/index.js';

const S = 1000;

function agreement(csl: string, businessValues: CustomBusinessValue[] = [], more: { name: string; csl: string }[] = []): Agreement {
  const gt = (name: string, c: string, bv: CustomBusinessValue[] = []) => ({
    name,
    serviceScope: { serviceName: 'web' },
    serviceLevelObjective: { kpitarget: { kpiName: 'ResponseTime', customServiceLevel: c } },
    ...(bv.length > 0 && { businessValueList: { customBusinessValue: bv } }),
  });
  return {
    agreementId: 'ag1',
    context: { service: 'web' },
    terms: {
      serviceDescriptionTerms: [],
      serviceProperties: [],
      guaranteeTerms: [gt('GT', csl, businessValues), ...more.map((m) => gt(m.name, m.csl))],
    },
  };
}

/** A store that keeps each record key once, like the real one (unique key). */
class Store {
  breaches: BreachRecord[] = [];
  violations: ViolationRecord[] = [];
  penalties: PenaltyRecord[] = [];
  states: Record<string, TermState> = {};
  constructor(readonly terms: CompiledTerm[]) {}
  round(metrics: MetricValue[], now: number, states = this.states): AgreementOutcome {
    const o = evaluateAgreement({
      agreementId: 'ag1',
      terms: this.terms,
      states,
      history: { breaches: this.breaches, violations: this.violations, penalties: this.penalties },
      metrics,
      now,
    });
    const add = <T extends { key: string }>(to: T[], xs: T[]) => {
      for (const x of xs) {
        assert.ok(!to.some((y) => y.key === x.key), `key ${x.key} stored twice`);
        to.push(x);
      }
    };
    add(this.breaches, o.breaches);
    add(this.violations, o.violations);
    add(this.penalties, o.penalties);
    this.states = o.states;
    return o;
  }
  status(term = 'GT') {
    return statusFromStates('ag1', this.terms, this.states).guaranteeterms.find((t) => t.name === term)?.status;
  }
}

const rt = (at: number, value: number, key = 'ResponseTime'): MetricValue => ({ key, value, at });

describe('SLA enforcement rules', () => {
  test('no policy: every breach is a violation; NON_DETERMINED -> FULFILLED -> VIOLATED -> FULFILLED', () => {
    const s = new Store(compileAgreement(agreement('{"constraint": "ResponseTime LT 0.5"}')));
    assert.equal(s.status(), 'NON_DETERMINED');
    s.round([], 1 * S);
    assert.equal(s.status(), 'NON_DETERMINED', 'no data, no verdict');
    s.round([rt(1 * S, 0.2)], 2 * S);
    assert.equal(s.status(), 'FULFILLED');
    const o = s.round([rt(3 * S, 0.7), rt(4 * S, 0.9)], 5 * S);
    assert.equal(o.breaches.length, 2);
    assert.deepEqual(
      o.violations.map((v) => [v.at, v.actualValue, v.expectedValue, v.policy]),
      [
        [3 * S, '0.7', 'ResponseTime LT 0.5', null],
        [4 * S, '0.9', 'ResponseTime LT 0.5', null],
      ],
    );
    assert.equal(o.status.guaranteestatus, 'VIOLATED');
    assert.equal(s.status(), 'VIOLATED');
    s.round([rt(6 * S, 0.1)], 7 * S);
    assert.equal(s.status(), 'FULFILLED');
  });

  test('policy {count 3, interval 60 s}: one violation per 3 breaches within the interval; sparse breaches none', () => {
    const s = new Store(compileAgreement(agreement('{"constraint": "ResponseTime LT 0.5", "policies": [{"count": 3, "interval": 60}]}')));
    s.round([rt(0, 1), rt(10 * S, 2)], 15 * S);
    assert.equal(s.violations.length, 0);
    assert.equal(s.status(), 'FULFILLED', 'breaching, but not yet a violation');
    s.round([rt(20 * S, 3), rt(30 * S, 4)], 35 * S);
    assert.equal(s.violations.length, 1);
    const v = s.violations[0]!;
    assert.deepEqual([v.at, v.breaches, v.actualValue, v.policy], [20 * S, 3, '1,2,3', { count: 3, interval: '60' }]);
    assert.equal(s.status(), 'VIOLATED');
    // the count starts again after the breach that raised the violation: 30 s, 40 s, 50 s
    s.round([rt(40 * S, 5), rt(50 * S, 6)], 55 * S);
    assert.deepEqual(
      s.violations.map((x) => [x.at, x.actualValue]),
      [
        [20 * S, '1,2,3'],
        [50 * S, '4,5,6'],
      ],
    );
    // sparse: one breach per 70 s never fills a 60 s window
    const sparse = new Store(
      compileAgreement(agreement('{"constraint": "ResponseTime LT 0.5", "policies": [{"count": 2, "interval": "PT60S"}]}')),
    );
    for (let i = 0; i < 5; i++) sparse.round([rt(i * 70 * S, 9)], i * 70 * S + 1);
    assert.equal(sparse.breaches.length, 5);
    assert.equal(sparse.violations.length, 0);
  });

  test('penalties: business value {count 2, duration PT1M} raises its penalty per 2 violations within a minute', () => {
    const penalty = { type: 'discount', expression: '35', unit: '%', validity: 'P1D' };
    const s = new Store(
      compileAgreement(agreement('{"constraint": "ResponseTime LT 0.5"}', [{ count: 2, duration: 'PT1M', penalties: [penalty] }])),
    );
    s.round([rt(0, 1)], 1 * S);
    assert.equal(s.penalties.length, 0);
    s.round([rt(10 * S, 1), rt(20 * S, 1), rt(30 * S, 1)], 31 * S);
    assert.deepEqual(
      s.penalties.map((p) => [p.at, p.definition, p.violation]),
      [
        [10 * S, penalty, s.violations[1]!.uuid],
        [30 * S, penalty, s.violations[3]!.uuid],
      ],
    );
    // violations two minutes apart: none
    const t = new Store(
      compileAgreement(agreement('{"constraint": "ResponseTime LT 0.5"}', [{ count: 2, duration: 'PT1M', penalties: [penalty] }])),
    );
    t.round([rt(0, 1), rt(120 * S, 1), rt(240 * S, 1)], 241 * S);
    assert.equal(t.violations.length, 3);
    assert.equal(t.penalties.length, 0);
  });

  test('avg KPIs are averaged over epoch-aligned windows, each window evaluated once', () => {
    const s = new Store(compileAgreement(agreement('{"constraint": "avgResponseTime LT 0.5", "window": 10}')));
    const values = [rt(1 * S, 0.2), rt(4 * S, 0.9, 'avgResponseTime'), rt(12 * S, 0.1)];
    s.round(values, 9 * S);
    assert.equal(s.status(), 'NON_DETERMINED', 'the first window has not ended');
    const o = s.round(values, 15 * S);
    assert.deepEqual(
      o.breaches.map((b) => [b.at, b.value]),
      [[10 * S, 0.55]],
      'mean of 0.2 (ResponseTime) and 0.9 (avgResponseTime) over [0, 10 s)',
    );
    assert.equal(s.status(), 'VIOLATED');
    s.round([...values, rt(5 * S, 0)], 21 * S);
    assert.equal(s.breaches.length, 1, 'a late value does not reopen a window');
    assert.equal(s.status(), 'FULFILLED', 'window [10 s, 20 s) averages 0.1');
  });

  test('NOT_EXISTS (E.6): a round without events is FULFILLED, each event a violation; EXISTS the other way round', () => {
    const s = new Store(compileAgreement(agreement('{"constraint": "qosConstraint_c1_Violated NOT_EXISTS", "qos": {"hasMaxValue": 2.0}}')));
    s.round([], 10 * S);
    assert.equal(s.status(), 'FULFILLED');
    s.round([rt(12 * S, 2.7, 'qosConstraint_c1_Violated'), rt(13 * S, 3.1, 'qosConstraint_c1_Violated')], 20 * S);
    assert.equal(s.violations.length, 2);
    assert.equal(s.violations[0]?.actualValue, '2.7');
    assert.equal(s.status(), 'VIOLATED');
    s.round([], 30 * S);
    assert.equal(s.status(), 'FULFILLED');
    assert.equal(s.violations.length, 2);

    // an event stamped before the previous round but seen only now still counts (arrival order)
    s.round([rt(29 * S, 4, 'qosConstraint_c1_Violated')], 40 * S);
    assert.equal(s.violations.length, 3);
    assert.equal(s.status(), 'VIOLATED');
    s.round([rt(29 * S, 4, 'qosConstraint_c1_Violated')], 50 * S);
    assert.equal(s.violations.length, 3, 'seen before: nothing new');
    assert.equal(s.status(), 'FULFILLED');

    const e = new Store(compileAgreement(agreement('{"constraint": "heartbeat EXISTS"}')));
    e.round([rt(1 * S, 1, 'heartbeat')], 10 * S);
    assert.equal(e.status(), 'FULFILLED');
    e.round([], 20 * S);
    assert.equal(e.status(), 'VIOLATED');
    assert.deepEqual(
      e.violations.map((v) => [v.at, v.actualValue]),
      [[20 * S, 'absent']],
    );
  });

  test('agreement status: any VIOLATED term -> VIOLATED, all FULFILLED -> FULFILLED, else NON_DETERMINED', () => {
    assert.equal(agreementStatus([]), 'NON_DETERMINED');
    assert.equal(agreementStatus(['FULFILLED', 'NON_DETERMINED']), 'NON_DETERMINED');
    assert.equal(agreementStatus(['FULFILLED', 'FULFILLED']), 'FULFILLED');
    assert.equal(agreementStatus(['NON_DETERMINED', 'VIOLATED', 'FULFILLED']), 'VIOLATED');
    const s = new Store(
      compileAgreement(
        agreement('{"constraint": "ResponseTime LT 0.5"}', [], [{ name: 'GT2', csl: '{"constraint": "availability GE 0.999"}' }]),
      ),
    );
    const o = s.round([rt(1 * S, 0.1)], 2 * S);
    assert.deepEqual(o.status, {
      AgreementId: 'ag1',
      guaranteestatus: 'NON_DETERMINED',
      guaranteeterms: [
        { name: 'GT', status: 'FULFILLED' },
        { name: 'GT2', status: 'NON_DETERMINED' },
      ],
    });
  });

  test('terms that cannot be enforced are rejected, naming the term and the position', () => {
    const cases: [Agreement, string][] = [
      [
        agreement('{"constraint": "ResponseTime LT"}'),
        'guarantee term "GT": constraint "ResponseTime LT": LT needs a value at position 16',
      ],
      [agreement(''), 'CustomServiceLevel with a constraint is required'],
      [agreement('{"constraint": "x LT 1"}', [{ count: 1, duration: 'tomorrow', penalties: [] }]), 'business value'],
      [agreement('{"constraint": "x LT 1"}', [], [{ name: 'GT', csl: '{"constraint": "y GT 1"}' }]), 'used twice'],
    ];
    for (const [a, words] of cases)
      assert.throws(
        () => compileAgreement(a),
        (e: Error & { kind?: string }) => e.kind === 'invalid' && e.message.includes(words),
        words,
      );
  });

  test('dedupe keys are explicit and ids derive from them', () => {
    const s = new Store(compileAgreement(agreement('{"constraint": "ResponseTime LT 0.5"}')));
    s.round([rt(3 * S, 0.7)], 4 * S);
    assert.equal(s.breaches[0]?.key, `b|ag1|GT|${3 * S}|0.7`);
    assert.equal(s.violations[0]?.key, `v|-1|b|ag1|GT|${3 * S}|0.7`);
    assert.equal(s.violations[0]?.uuid, keyUuid(s.violations[0].key));
    assert.match(keyUuid('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(keyUuid('a'), keyUuid('b'));
  });
});

describe('no double counting', () => {
  const penalty = { type: 'discount', expression: '10', unit: '%', validity: 'P1D' };
  const terms = () =>
    compileAgreement(
      agreement('{"constraint": "ResponseTime LT 0.5", "policies": [{"count": 2, "interval": 30}]}', [
        { count: 2, duration: 'PT2M', penalties: [penalty] },
      ]),
    );
  const metrics = fc.array(
    fc.record({ at: fc.integer({ min: 0, max: 300 }).map((s) => s * S), value: fc.constantFrom(0.1, 0.4, 0.6, 0.9, 2) }),
    { maxLength: 40 },
  );
  const keys = (s: Store) => [s.breaches, s.violations, s.penalties].map((xs) => xs.map((x) => x.key).sort());

  test('property: replaying a round (same inputs, also from a lost TermState, as after kill -9) adds nothing', () => {
    fc.assert(
      fc.property(metrics, (ms) => {
        const s = new Store(terms());
        const mv = ms.map((m) => rt(m.at, m.value));
        s.round(mv, 301 * S);
        const before = keys(s);
        const again = s.round(mv, 301 * S);
        assert.deepEqual([again.breaches, again.violations, again.penalties], [[], [], []]);
        const restarted = s.round(mv, 305 * S, {});
        assert.deepEqual([restarted.breaches, restarted.violations, restarted.penalties], [[], [], []]);
        assert.deepEqual(keys(s), before);
      }),
      { numRuns: 200 },
    );
  });

  test('property: how the values are split into rounds does not change what is raised', () => {
    fc.assert(
      fc.property(metrics, fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 6 }), (ms, cuts) => {
        const mv = ms.map((m) => rt(m.at, m.value)).sort((a, b) => a.at - b.at);
        const once = new Store(terms());
        once.round(mv, 301 * S);
        const split = new Store(terms());
        const bounds = [...new Set(cuts)].sort((a, b) => a - b).map((c) => c * S);
        for (const b of [...bounds, 301 * S])
          split.round(
            mv.filter((m) => m.at <= b),
            b,
          );
        assert.deepEqual(keys(split), keys(once));
      }),
      { numRuns: 200 },
    );
  });
});
