import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  compileAgreement,
  evaluateAgreement,
  generateAgreement,
  generateTemplate,
  monitoringRules,
  objectives,
  parseServiceLevel,
  readAgreementXml,
  readTemplateXml,
  readTemplateJson,
  violationEvents,
  writeTemplateJson,
  writeTemplateXml,
} from '../../../src/sla/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

// E.6.1's three QoS constraints, as an osmo MEL's slo block
const e6 = [
  { id: 'c1', metric: 'responseTime', max: 2.0, scope: 'RequestHandler/quickadd' },
  { id: 'c2', metric: 'responseTime', max: 5.0, scope: 'RequestHandler' },
  { id: 'c3', metric: 'responseTime', max: 1.0 },
];

describe('SLA mediator (E.6)', () => {
  test("E.6.1: the template generated from the constraints is the seed's, terms `qosConstraint_<id>_Violated NOT_EXISTS`", () => {
    const t = generateTemplate({ service: 'eHealth Services', provider: 'ATOS', slo: e6, templateId: 'tpl-1' });
    const seed = readTemplateXml(fixture('e6-template.xml'));
    assert.deepEqual(t.context, seed.context);
    assert.equal(t.terms.guaranteeTerms.length, 3);
    t.terms.guaranteeTerms.forEach((g, i) => {
      const s = seed.terms.guaranteeTerms[i]!;
      assert.equal(g.name, s.name);
      assert.deepEqual(g.serviceScope, s.serviceScope);
      assert.equal(g.serviceLevelObjective.kpitarget.kpiName, s.serviceLevelObjective.kpitarget.kpiName);
      // the seed prints NOTEXISTS, osmo writes NOT_EXISTS: the same constraint
      const mine = parseServiceLevel(g.serviceLevelObjective.kpitarget.customServiceLevel!);
      const theirs = parseServiceLevel(s.serviceLevelObjective.kpitarget.customServiceLevel!);
      assert.deepEqual(mine, theirs);
    });
    assert.equal(
      t.terms.guaranteeTerms[0]?.serviceLevelObjective.kpitarget.customServiceLevel,
      '{"constraint": "qosConstraint_c1_Violated NOT_EXISTS", "qos": {"hasMaxValue":2.0}}',
    );
    assert.deepEqual(readTemplateXml(writeTemplateXml(t)), t);
    assert.deepEqual(readTemplateJson(JSON.parse(JSON.stringify(writeTemplateJson(t)))), t);
  });

  test('E.6.2: the agreement is a copy of the template with consumer, expiration and template id', () => {
    const t = generateTemplate({
      service: 'modaclouds',
      provider: 'provider',
      slo: e6,
      templateId: '59ce6aaf-49e3-4f5a-b9c5-5e63df8388c5',
    });
    const a = generateAgreement({
      template: t,
      consumer: 'random-consumer',
      expirationTime: '2015-09-03T16:04:52GMT',
      agreementId: 'ag-1',
    });
    const seed = readAgreementXml(fixture('e6-agreement.xml'));
    assert.deepEqual(a.context, seed.context);
    assert.deepEqual(
      a.terms.guaranteeTerms.map((g) => [g.name, g.serviceScope]),
      seed.terms.guaranteeTerms.map((g) => [g.name, g.serviceScope]),
    );
    assert.deepEqual(a.terms, t.terms);
    assert.notEqual(a.terms, t.terms, 'a copy, not shared');
    assert.equal(compileAgreement(a).length, 3, 'the agreement can be enforced');
  });

  test('the slo map form (responseTime max 2.0 s, availability min 0.999) gives ids c1, c2 and both bounds', () => {
    const slo = { responseTime: { max: 2.0 }, availability: { min: 0.999, penalty: { expression: '35' } } };
    assert.deepEqual(
      objectives(slo).map((o) => [o.id, o.metric]),
      [
        ['c1', 'responseTime'],
        ['c2', 'availability'],
      ],
    );
    const t = generateTemplate({ service: 'web', provider: 'osmo', slo, templateId: 't' });
    assert.equal(
      t.terms.guaranteeTerms[1]?.serviceLevelObjective.kpitarget.customServiceLevel,
      '{"constraint": "qosConstraint_c2_Violated NOT_EXISTS", "qos": {"hasMinValue":0.999}}',
    );
    assert.deepEqual(t.terms.guaranteeTerms[1]?.businessValueList, {
      customBusinessValue: [{ count: 1, duration: 'P1D', penalties: [{ type: 'discount', expression: '35', unit: '%', validity: 'P1D' }] }],
    });
    assert.deepEqual(
      monitoringRules(slo).map((r) => [r.output, r.condition]),
      [
        ['qosConstraint_c1_Violated', 'METRIC > 2.0'],
        ['qosConstraint_c2_Violated', 'METRIC < 0.999'],
      ],
    );
  });

  test('measured values -> violated events -> the agreement turns VIOLATED, then FULFILLED', () => {
    const slo = { responseTime: { max: 2.0 } };
    const a = generateAgreement({
      template: generateTemplate({ service: 'web', provider: 'osmo', slo, templateId: 't' }),
      consumer: 'me',
      expirationTime: 'never',
      agreementId: 'a',
    });
    const terms = compileAgreement(a);
    const rules = monitoringRules(slo);
    const events = violationEvents(rules, [
      { key: 'ResponseTime', value: 1.2, at: 1000 },
      { key: 'ResponseTime', value: 2.5, at: 2000 },
    ]);
    assert.deepEqual(events, [{ key: 'qosConstraint_c1_Violated', value: 2.5, at: 2000 }]);
    const r1 = evaluateAgreement({
      agreementId: 'a',
      terms,
      states: {},
      history: { breaches: [], violations: [], penalties: [] },
      metrics: events,
      now: 3000,
    });
    assert.equal(r1.status.guaranteestatus, 'VIOLATED');
    assert.equal(r1.violations[0]?.actualValue, '2.5');
    const r2 = evaluateAgreement({
      agreementId: 'a',
      terms,
      states: r1.states,
      history: { breaches: r1.breaches, violations: r1.violations, penalties: [] },
      metrics: [],
      now: 13000,
    });
    assert.equal(r2.status.guaranteestatus, 'FULFILLED');
  });

  test('bad slo blocks are `invalid` with the reason', () => {
    const cases: [unknown, string][] = [
      [{ responseTime: {} }, 'max or min'],
      [[], 'slo'],
      [
        [
          { id: 'c1', metric: 'a', max: 1 },
          { id: 'c1', metric: 'b', max: 1 },
        ],
        'used twice',
      ],
      [[{ id: 'c 1', metric: 'a', max: 1 }], 'ids are letters'],
    ];
    for (const [slo, words] of cases) {
      assert.throws(
        () => objectives(slo as never),
        (e: Error & { kind?: string }) => e.kind === 'invalid' && e.message.includes(words),
        words,
      );
    }
  });
});
