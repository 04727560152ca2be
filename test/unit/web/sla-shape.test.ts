// The Agreements view's pure helpers: the limit a constraint draws, status colours, and the
// bounded, de-duplicated history of a term's values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addPoint, constraintLimits, statusClass } from '../../../web/src/views/slaShape.js';

test('a constraint draws its threshold; BETWEEN draws both ends; EXISTS draws nothing', () => {
  assert.deepEqual(constraintLimits('ResponseTime LT 0.5'), [0.5]);
  assert.deepEqual(constraintLimits('availability GE 0.999'), [0.999]);
  assert.deepEqual(constraintLimits('cpu BETWEEN (10, 80.5)'), [10, 80.5]);
  assert.deepEqual(constraintLimits('qosConstraint_c1_Violated NOT_EXISTS'), []);
  assert.deepEqual(constraintLimits('x IN (1, 2)'), []);
});

test('status colours: fulfilled green, violated red, anything else pending', () => {
  assert.equal(statusClass('FULFILLED'), 'running');
  assert.equal(statusClass('VIOLATED'), 'failed');
  assert.equal(statusClass('NON_DETERMINED'), 'pending');
});

test('history: one point per observation, nulls ignored, bounded', () => {
  let h = addPoint([], '2026-11-30T10:00:00Z', 1);
  h = addPoint(h, '2026-11-30T10:00:00Z', 1); // polled again, same observation
  h = addPoint(h, null, null);
  h = addPoint(h, '2026-11-30T10:00:05Z', 2);
  assert.deepEqual(h, [
    { t: Date.parse('2026-11-30T10:00:00Z') / 1000, v: 1 },
    { t: Date.parse('2026-11-30T10:00:05Z') / 1000, v: 2 },
  ]);
  for (let i = 0; i < 10; i++) h = addPoint(h, new Date(Date.UTC(2026, 10, 30, 11, 0, i)).toISOString(), i, 4);
  assert.equal(h.length, 4);
  assert.equal(h.at(-1)!.v, 9);
});
