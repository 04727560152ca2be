// The accrual failure detector's arithmetic (src/core/nodes/detector.ts), without a core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalWindow, judge, paced, phi, type DetectorOptions } from '../../../src/core/nodes/detector.js';

const O: DetectorOptions = {
  heartbeatMs: 500,
  suspectMs: 1000,
  downMs: 1500,
  suspectPhi: 3,
  downPhi: 8,
  minStdMs: 100,
  pauseMs: 500,
  window: 64,
};

/** A window fed with heartbeats at the given intervals. */
function fed(intervals: number[], size = O.window): ArrivalWindow {
  const w = new ArrivalWindow(size);
  let t = 1_000_000;
  w.record(t);
  for (const x of intervals) w.record((t += x));
  return w;
}

test('phi grows with the silence and is about 0.3 at the mean', () => {
  let prev = -1;
  for (let s = 0; s <= 5000; s += 50) {
    const p = phi(s, 500, 100);
    assert.ok(p >= prev, `phi(${s}) = ${p} must not be below phi(${s - 50}) = ${prev}`);
    prev = p;
  }
  assert.ok(Math.abs(phi(500, 500, 100) - Math.log10(2)) < 1e-9, 'P(later than the mean) = 1/2');
  assert.ok(phi(100_000, 500, 100) > 30, 'far in the tail phi stays finite and large');
});

test('the window keeps mean and spread of its last intervals only', () => {
  const w = fed([...Array<number>(10).fill(5000), ...Array<number>(4).fill(500)], 4);
  assert.equal(w.size, 4);
  const s = w.stats(999);
  assert.equal(s.mean, 500);
  assert.equal(s.std, 0);
});

test('without a history the asked-for interval is assumed', () => {
  assert.deepEqual(new ArrivalWindow(8).stats(500), { mean: 500, std: 125 });
  assert.deepEqual(fed([700]).stats(500), { mean: 500, std: 125 }, 'one interval is not a history');
});

test('regular beats: never before the floors, down soon after them', () => {
  const w = fed(Array<number>(64).fill(500));
  assert.equal(judge(900, w, O).verdict, 'ready', 'below the suspect floor');
  assert.equal(judge(1400, w, O).verdict, 'suspect');
  assert.equal(judge(1499, w, O).verdict, 'suspect', 'below the down floor, whatever phi says');
  assert.equal(judge(1700, w, O).verdict, 'down');
});

test('scattered beats (a loaded machine) wait longer for the same verdict', () => {
  const jittery = fed(Array.from({ length: 64 }, (_, k) => (k % 2 ? 150 : 850) + (k % 5) * 60));
  const calm = fed(Array<number>(64).fill(500));
  assert.equal(judge(1700, calm, O).verdict, 'down');
  assert.notEqual(judge(1700, jittery, O).verdict, 'down', 'the same silence is not enough on a jittery node');
  const downAt = (w: ArrivalWindow) => {
    for (let s = 0; ; s += 10) if (judge(s, w, O).verdict === 'down') return s;
  };
  assert.ok(downAt(jittery) > downAt(calm), `jittery ${downAt(jittery)} ms vs calm ${downAt(calm)} ms`);
});

test('one long stall in the history (a core that was starved) widens the timeout', () => {
  const before = fed(Array<number>(63).fill(500));
  const after = fed([...Array<number>(62).fill(500), 6000]);
  assert.equal(judge(1700, before, O).verdict, 'down');
  assert.notEqual(judge(1700, after, O).verdict, 'down');
  assert.equal(judge(5000, after, O).verdict, 'down', 'but a long silence is still down');
});

test('paced(): the interval grows with the fleet past the cap, the floors and the pause in proportion; no cap, no change', () => {
  const o = { heartbeatMs: 500, suspectMs: 1500, downMs: 3000, suspectPhi: 3, downPhi: 8, minStdMs: 100, pauseMs: 500, window: 64 };
  assert.equal(paced(o, 400, 1000), o, 'under the cap');
  assert.deepEqual(paced(o, 5000, 1000), { ...o, heartbeatMs: 5000, suspectMs: 15_000, downMs: 30_000, pauseMs: 5000 });
  assert.equal(paced(o, 5000, 0), o, '0: no limit');
  assert.equal(paced(o, 1001, 1000).heartbeatMs, 1001);
});
