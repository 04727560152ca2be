import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyPatch,
  defaultPolicy,
  describe as describePolicy,
  mergePatches,
  parsePatch,
  PARAMETERS,
  policyFor,
} from '../../../src/policy/document.js';
import { OsmoError } from '../../../src/shared/errors.js';

const rejects = (f: () => unknown, re: RegExp): void => {
  assert.throws(f, (e: unknown) => e instanceof OsmoError && e.kind === 'invalid' && re.test(e.message));
};

describe('policy document', () => {
  test('defaults form a valid document', () => {
    const d = defaultPolicy();
    assert.deepEqual(d.thresholds, { low: 0.6, high: 0.8 });
    assert.equal(d.acceptance, 'always');
    assert.equal(applyPatch(d, {}).management.maxMovesPerRound, 4);
  });

  test('a partial patch changes only its fields', () => {
    const d = applyPatch(defaultPolicy(), parsePatch({ thresholds: { high: 0.9 }, destination: 'nearest' }));
    assert.deepEqual(d.thresholds, { low: 0.6, high: 0.9 });
    assert.equal(d.destination, 'nearest');
    assert.equal(d.selection, 'prefer-known-destination');
  });

  test('low >= high is refused naming both fields', () => {
    rejects(
      () => applyPatch(defaultPolicy(), parsePatch({ thresholds: { low: 0.8 } })),
      /thresholds\.low \(0\.8\) must be below thresholds\.high \(0\.8\)/,
    );
  });

  test('negative weight is refused naming the field', () => {
    rejects(() => parsePatch({ weights: { mem: -1 } }), /weights\.mem/);
  });

  test('all weights zero is refused', () => {
    rejects(() => applyPatch(defaultPolicy(), parsePatch({ weights: { cpu: 0, mem: 0, io: 0 } })), /all zero/);
  });

  test('unknown fields, wrong enum values and out-of-range numbers are refused', () => {
    rejects(() => parsePatch({ thresholds: { hi: 1 } }), /thresholds/);
    rejects(() => parsePatch({ acceptance: 'sometimes' }), /acceptance/);
    rejects(() => parsePatch({ management: { pendingTableSize: 0 } }), /management\.pendingTableSize/);
    rejects(() => parsePatch({ management: { maxMovesPerRound: 1.5 } }), /management\.maxMovesPerRound/);
    rejects(() => parsePatch({ loadSource: 'moon' }), /loadSource/);
  });

  test('staleness shorter than the monitoring period is refused', () => {
    rejects(
      () => applyPatch(defaultPolicy(), { management: { stalenessTimeoutMs: 1000, monitoringPeriodMs: 2000 } }),
      /stalenessTimeoutMs/,
    );
  });

  test('describe lists every parameter with type, unit, range and current value', () => {
    const d = applyPatch(defaultPolicy(), { management: { phantomLoadWeight: 0.5 } });
    const list = describePolicy(d);
    assert.equal(list.length, Object.keys(PARAMETERS).length);
    const p = list.find((x) => x.name === 'management.phantomLoadWeight');
    assert.deepEqual(
      { type: p?.type, unit: p?.unit, min: p?.min, max: p?.max, value: p?.value, def: p?.default },
      { type: 'number', unit: 'factor', min: 0, max: 10, value: 0.5, def: 1 },
    );
    const a = list.find((x) => x.name === 'acceptance');
    assert.deepEqual(a?.allowed, ['always', 'if-unloaded-before', 'if-unloaded-after', 'never']);
    for (const n of [
      'thresholds.low',
      'weights.io',
      'selection',
      'destination',
      'management.pendingTableSize',
      'management.acceptanceTimeoutMs',
      'management.monitoringPeriodMs',
      'management.stalenessTimeoutMs',
      'management.rebalancePeriodMs',
    ])
      assert.ok(
        list.some((x) => x.name === n),
        n,
      );
  });

  test('per-node overrides merge over the global document', () => {
    const set = { global: defaultPolicy(), nodes: { e1: mergePatches({ thresholds: { high: 0.95 } }, { acceptance: 'never' as const }) } };
    assert.equal(policyFor(set, 'e1').thresholds.high, 0.95);
    assert.equal(policyFor(set, 'e1').thresholds.low, 0.6);
    assert.equal(policyFor(set, 'e1').acceptance, 'never');
    assert.equal(policyFor(set, 'e2').thresholds.high, 0.8);
  });
});
