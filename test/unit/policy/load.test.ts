import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { guestTerms, LoadTracker, loadFactor } from '../../../src/policy/load.js';

describe('load factor and smoothing', () => {
  test('L is the weighted mean of the terms, in [0,1] for any weights', () => {
    assert.equal(loadFactor({ cpu: 1, mem: 0, io: 0 }, { cpu: 1, mem: 1, io: 0 }), 0.5);
    fc.assert(
      fc.property(
        fc.record({ cpu: fc.double({ noNaN: true }), mem: fc.double({ noNaN: true }), io: fc.double({ noNaN: true }) }),
        fc.record({
          cpu: fc.double({ min: 0, max: 100, noNaN: true }),
          mem: fc.double({ min: 0, max: 100, noNaN: true }),
          io: fc.double({ min: 0.001, max: 100, noNaN: true }),
        }),
        (t, w) => {
          const l = loadFactor(t, w);
          return l >= 0 && l <= 1;
        },
      ),
    );
  });

  test('EWMA: one spike does not make a node look overloaded; a sustained level does', () => {
    const t = new LoadTracker(5000, 30_000);
    const w = { cpu: 1, mem: 0, io: 0 };
    for (let s = 0; s <= 60; s += 5) t.add({ ts: s * 1000, cpu: 0.2, mem: 0, io: 0 });
    t.add({ ts: 61_000, cpu: 1, mem: 0, io: 0 });
    const afterSpike = t.load(61_000, w) ?? 1;
    assert.ok(afterSpike < 0.4, `spike moved L to ${afterSpike}`);
    for (let s = 62; s <= 100; s += 1) t.add({ ts: s * 1000, cpu: 1, mem: 0, io: 0 });
    assert.ok((t.load(100_000, w) ?? 0) > 0.99);
  });

  test('stale entries expire: no sample within the staleness timeout -> unknown', () => {
    const t = new LoadTracker(1000, 10_000);
    t.add({ ts: 0, cpu: 0.5, mem: 0, io: 0 });
    assert.equal(t.load(10_000, { cpu: 1, mem: 0, io: 0 }), 0.5);
    assert.equal(t.load(10_001, { cpu: 1, mem: 0, io: 0 }), undefined);
    // a sample after a gap restarts from that sample rather than averaging with the past
    t.add({ ts: 50_000, cpu: 0.1, mem: 0, io: 0 });
    assert.equal(t.load(50_000, { cpu: 1, mem: 0, io: 0 }), 0.1);
  });

  test('out-of-order samples are ignored', () => {
    const t = new LoadTracker(1000, 10_000);
    t.add({ ts: 1000, cpu: 0.5, mem: 0, io: 0 });
    t.add({ ts: 500, cpu: 1, mem: 0, io: 0 });
    assert.equal(t.load(1000, { cpu: 1, mem: 0, io: 0 }), 0.5);
  });

  test('guest terms: instance usage against declared capacity', () => {
    const t = guestTerms(
      [
        { cpuCores: 0.5, memBytes: 1e9, ioBytesPerSec: 0 },
        { cpuCores: 1, memBytes: 1e9, ioBytesPerSec: 0 },
      ],
      { cpus: 2, memoryBytes: 4e9 },
    );
    assert.deepEqual(t, { cpu: 0.75, mem: 0.5, io: 0 });
  });
});
