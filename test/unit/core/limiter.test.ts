// The reconciler's command limiter: never more than `max` at once, waiting calls served in
// the order they came, none lost when thousands wait (the queue's head moves and is compacted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../../src/core/reconciler/limiter.js';

test('at most max run at once, the rest start in arrival order, and all of 5,000 finish', async () => {
  const l = new Limiter(8);
  let active = 0;
  let peak = 0;
  const started: number[] = [];
  const results = await Promise.all(
    Array.from({ length: 5000 }, (_, k) =>
      l.run(async () => {
        started.push(k);
        peak = Math.max(peak, ++active);
        await new Promise((r) => setImmediate(r));
        active--;
        return k * 2;
      }),
    ),
  );
  assert.equal(peak, 8);
  assert.deepEqual(
    started,
    Array.from({ length: 5000 }, (_, k) => k),
  );
  assert.deepEqual(
    results,
    Array.from({ length: 5000 }, (_, k) => k * 2),
  );
});

test('a failing call frees its slot for the next', async () => {
  const l = new Limiter(1);
  await assert.rejects(l.run(() => Promise.reject(new Error('no'))));
  assert.equal(await l.run(() => Promise.resolve(7)), 7);
});
