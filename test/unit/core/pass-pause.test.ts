// The pause between reconcile passes kicked back to back (pauseAfterPass): a pass that held
// the loop throughout (SQLite's in-process commit) is followed by as long again; the time a
// PostgreSQL commit waited on the network, while the loop served others, is not owed twice;
// the pause never exceeds its cap; a failed pass (held unknown: Infinity) counts its wall time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseAfterPass } from '../../../src/core/reconciler/reconciler.js';

test('a pass that held the loop throughout is followed by as long again', { timeout: 5_000 }, () => {
  assert.equal(pauseAfterPass(80, 80), 80);
  assert.equal(pauseAfterPass(80, Infinity), 80, 'a failed pass: its whole wall time');
});

test('time a commit left the loop to others is not owed again', { timeout: 5_000 }, () => {
  // held 60 of 100 ms: the loop was free 40 ms meanwhile, 20 ms more are owed
  assert.equal(pauseAfterPass(100, 60), 20);
  // free longer than held: the next pass may start after one turn of the loop
  assert.equal(pauseAfterPass(300, 60), 0);
  assert.equal(pauseAfterPass(120, 60), 0);
});

test('the pause never exceeds its cap of 200 ms', { timeout: 5_000 }, () => {
  assert.equal(pauseAfterPass(1_000, 1_000), 200);
});
