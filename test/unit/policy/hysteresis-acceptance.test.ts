import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nextOverloaded } from '../../../src/policy/hysteresis.js';
import { accepts, PendingTable, projectedLoad } from '../../../src/policy/acceptance.js';
import { applyPatch, defaultPolicy } from '../../../src/policy/document.js';

const thresholds = fc
  .tuple(fc.double({ min: 0.01, max: 0.98, noNaN: true }), fc.double({ min: 0.01, max: 0.5, noNaN: true }))
  .map(([low, gap]) => ({ low, high: Math.min(1, low + gap) }))
  .filter((t) => t.low < t.high);

describe('hysteresis', () => {
  test('no oscillation: a trace strictly between low and high never changes the state', () => {
    fc.assert(
      fc.property(thresholds, fc.boolean(), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 200 }), (t, start, us) => {
        let s = start;
        let changes = 0;
        for (const u of us) {
          const l = t.low + (t.high - t.low) * u;
          if (!(l > t.low && l < t.high)) continue;
          const n = nextOverloaded(s, l, t);
          if (n !== s) changes++;
          s = n;
        }
        return changes === 0;
      }),
    );
  });

  test('every change of state is caused by crossing the threshold of that direction', () => {
    fc.assert(
      fc.property(thresholds, fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 200 }), (t, trace) => {
        let s = false;
        for (const l of trace) {
          const n = nextOverloaded(s, l ?? undefined, t);
          if (!s && n && !(l !== null && l >= t.high)) return false;
          if (s && !n && !(l !== null && l <= t.low)) return false;
          s = n;
        }
        return true;
      }),
    );
  });

  test('a trace that enters between the thresholds from above or below changes state at most once', () => {
    fc.assert(
      fc.property(
        thresholds,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0.001, max: 0.999, noNaN: true }), { maxLength: 100 }),
        (t, first, us) => {
          let s = false;
          let changes = 0;
          for (const l of [first, ...us.map((u) => t.low + (t.high - t.low) * u)]) {
            const n = nextOverloaded(s, l, t);
            if (n !== s) changes++;
            s = n;
          }
          return changes <= 1;
        },
      ),
    );
  });

  test('unknown load keeps the state', () => {
    assert.equal(nextOverloaded(true, undefined, { low: 0.2, high: 0.8 }), true);
    assert.equal(nextOverloaded(false, undefined, { low: 0.2, high: 0.8 }), false);
  });
});

describe('acceptance', () => {
  test('if-unloaded-after never accepts past high, counting phantom load, over any sequence', () => {
    fc.assert(
      fc.property(
        thresholds,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 0.5, noNaN: true }), { maxLength: 50 }),
        (t, load, phantom, incoming) => {
          const p = applyPatch(defaultPolicy(), { thresholds: t, management: { phantomLoadWeight: phantom } });
          const node = { load, overloaded: false, pendingLoad: 0 };
          for (const x of incoming) {
            if (accepts('if-unloaded-after', node, x, p).ok) {
              if (!(projectedLoad(node, x, phantom) < t.high)) return false;
              node.pendingLoad += x;
            }
          }
          return true;
        },
      ),
    );
  });

  test('never refuses, always accepts, if-unloaded-before follows the hysteresis state', () => {
    const p = defaultPolicy();
    assert.equal(accepts('never', { load: 0, overloaded: false, pendingLoad: 0 }, 0, p).ok, false);
    assert.equal(accepts('always', { load: 1, overloaded: true, pendingLoad: 5 }, 1, p).ok, true);
    assert.equal(accepts('if-unloaded-before', { load: 0.7, overloaded: true, pendingLoad: 0 }, 0, p).ok, false);
    assert.equal(accepts('if-unloaded-before', { load: 0.79, overloaded: false, pendingLoad: 0 }, 0.5, p).ok, true);
  });

  test('the pending table never exceeds its bound and entries expire after the acceptance timeout', () => {
    const op = fc.oneof(
      fc.record({
        k: fc.constant('add' as const),
        id: fc.integer({ min: 0, max: 30 }),
        load: fc.double({ min: 0, max: 1, noNaN: true }),
        dt: fc.integer({ min: 0, max: 2000 }),
      }),
      fc.record({ k: fc.constant('arrive' as const), id: fc.integer({ min: 0, max: 30 }), dt: fc.integer({ min: 0, max: 2000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 100, max: 5000 }),
        fc.array(op, { maxLength: 100 }),
        (max, timeout, ops) => {
          const t = new PendingTable(max, timeout);
          let now = 0;
          const acceptedAt = new Map<string, number>();
          for (const o of ops) {
            now += o.dt;
            if (o.k === 'add') {
              if (t.add(`i${o.id}`, o.load, now).ok) acceptedAt.set(`i${o.id}`, now);
            } else t.arrived(`i${o.id}`);
            if (t.size(now) > max) return false;
            for (const e of t.list(now)) if (now - e.acceptedAt > timeout) return false;
          }
          return true;
        },
      ),
    );
  });

  test('a full table refuses until an entry arrives or expires', () => {
    const t = new PendingTable(2, 1000);
    assert.ok(t.add('a', 0.1, 0).ok);
    assert.ok(t.add('b', 0.1, 0).ok);
    const r = t.add('c', 0.1, 10);
    assert.equal(r.ok, false);
    t.arrived('a');
    assert.ok(t.add('c', 0.1, 20).ok);
    assert.equal(t.add('d', 0.1, 30).ok, false);
    assert.ok(t.add('d', 0.1, 1001).ok); // b expired
    assert.equal(Math.round(t.load(1001) * 10) / 10, 0.2);
  });
});
