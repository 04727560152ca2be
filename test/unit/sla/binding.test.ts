// osmo's extension of a guarantee term (src/sla/binding.ts via service-level.ts): the source
// that measures the KPI, the MEL, compensating actions and their cooldown; and the mediator's
// binding of generated terms to a MEL.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_COOLDOWN_MS, generateTemplate, parseServiceLevel, sourceOf } from '../../../src/sla/index.js';

const csl = (o: Record<string, unknown>) => JSON.stringify({ constraint: 'availability GE 0.99', ...o });

describe('term binding (source, mel, actions, cooldown)', () => {
  test('sources: shorthands and objects become one canonical form', () => {
    const cases: [unknown, unknown][] = [
      ['availability', { type: 'availability' }],
      ['http', { type: 'http', path: '/', timeoutMs: 5000 }],
      ['ResponseTime', { type: 'http', path: '/', timeoutMs: 5000 }],
      ['cpu', { type: 'metric', metric: 'cpu', field: 'total', aggregate: 'avg' }],
      ['mem', { type: 'metric', metric: 'mem', field: 'used_percent', aggregate: 'avg' }],
      [
        { type: 'metric', metric: 'cpu', aggregate: 'max' },
        { type: 'metric', metric: 'cpu', field: 'total', aggregate: 'max' },
      ],
      [
        { type: 'http', path: '/health', timeout: 0.5, port: 8080 },
        { type: 'http', path: '/health', timeoutMs: 500, port: 8080 },
      ],
    ];
    for (const [wire, want] of cases) assert.deepEqual(parseServiceLevel(csl({ source: wire })).source, want, JSON.stringify(wire));
  });

  test('no binding: no source, no actions, the default cooldown (Atos documents are unchanged)', () => {
    const l = parseServiceLevel('{"constraint": "ResponseTime LT 0.5"}');
    assert.equal(l.source, undefined);
    assert.equal(l.mel, undefined);
    assert.deepEqual(l.actions, []);
    assert.equal(l.cooldownMs, DEFAULT_COOLDOWN_MS);
    assert.deepEqual(parseServiceLevel('ResponseTime LT 0.5').actions, []);
  });

  test('actions with defaults, mel and cooldown (seconds or ISO 8601)', () => {
    const l = parseServiceLevel(
      csl({ mel: 'web', actions: [{ type: 'scale-out', max: 4 }, { type: 'migrate' }, { type: 'replan' }], cooldown: 'PT2M' }),
    );
    assert.deepEqual(l.actions, [{ type: 'scale-out', step: 1, max: 4 }, { type: 'migrate' }, { type: 'replan' }]);
    assert.equal(l.mel, 'web');
    assert.equal(l.cooldownMs, 120_000);
    assert.equal(parseServiceLevel(csl({ cooldown: 30 })).cooldownMs, 30_000);
  });

  test('bad bindings are refused naming the part', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ source: 'disk-io' }, /source/],
      [{ source: { type: 'metric', metric: 'gpu' } }, /source/],
      [{ source: { type: 'http', path: 'no-slash' } }, /source/],
      [{ source: { type: 'http', timeout: 0 } }, /source/],
      [{ actions: [{ type: 'scale-out' }] }, /actions\.0\.max/],
      [{ actions: [{ type: 'scale-out', max: 2, step: 0 }] }, /actions\.0\.step/],
      [{ actions: [{ type: 'reboot' }] }, /actions\.0/],
      [{ actions: [{ type: 'migrate' }, { type: 'migrate' }] }, /"migrate" is listed twice/],
      [{ actions: 'scale-out' }, /actions/],
      [{ cooldown: 0 }, /cooldown|positive/],
      [{ mel: '' }, /mel/],
    ];
    for (const [o, re] of bad) assert.throws(() => parseServiceLevel(csl(o)), re, JSON.stringify(o));
  });
});

describe('mediator binding', () => {
  test('sourceOf: the slo metrics osmo measures', () => {
    assert.equal(sourceOf('responseTime'), 'http');
    assert.equal(sourceOf('availability'), 'availability');
    assert.equal(sourceOf('cpu'), 'cpu');
    assert.equal(sourceOf('throughput'), undefined);
  });

  test('bind: terms get the source and the objective actions; without it they stay the seed form', () => {
    const slo = { responseTime: { max: 2.0 }, throughput: { min: 10, actions: [{ type: 'migrate' }], cooldown: 60 } };
    const bound = generateTemplate({ service: 'web', provider: 'p', slo, templateId: 't', bind: true });
    const levels = bound.terms.guaranteeTerms.map((g) => parseServiceLevel(g.serviceLevelObjective.kpitarget.customServiceLevel!));
    assert.deepEqual(levels[0]!.source, { type: 'http', path: '/', timeoutMs: 5000 });
    assert.equal(levels[1]!.source, undefined, 'throughput is not measured by osmo: pushed events only');
    assert.deepEqual(levels[1]!.actions, [{ type: 'migrate' }]);
    assert.equal(levels[1]!.cooldownMs, 60_000);
    const plain = generateTemplate({ service: 'web', provider: 'p', slo, templateId: 't' });
    assert.equal(
      plain.terms.guaranteeTerms[0]!.serviceLevelObjective.kpitarget.customServiceLevel,
      '{"constraint": "qosConstraint_c1_Violated NOT_EXISTS", "qos": {"hasMaxValue":2.0}}',
    );
  });
});
