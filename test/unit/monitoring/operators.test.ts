import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ewma, Rate, Threshold, Window, type Operator } from '../../../src/monitoring/index.js';

/** Runs samples [x, tMs] through an operator, collecting [value, time] of what it emitted. */
function run(op: Operator, samples: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [x, t] of samples) if (op.push(x, t)) out.push([op.value, op.time]);
  return out;
}

describe('ewma', () => {
  test('follows v ← (x + gain·v)/(gain + 1) from the first sample on', () => {
    const xs = [10, 20, 20, 0, 35.5, 7];
    const gain = 3;
    const got = run(
      new Ewma(gain),
      xs.map((x, i) => [x, i * 1000]),
    ).map(([v]) => v);
    // worked by hand: 10; (20+30)/4 = 12.5; (20+37.5)/4 = 14.375; (0+43.125)/4 = 10.78125; (35.5+32.34375)/4 = 16.9609375; (7+50.8828125)/4 = 14.470703125
    assert.deepEqual(got, [10, 12.5, 14.375, 10.78125, 16.9609375, 14.470703125]);
  });

  test('gain 0 passes samples through; any gain stays within the range of the samples', () => {
    assert.deepEqual(
      run(new Ewma(0), [
        [4, 0],
        [9, 1],
      ]).map(([v]) => v),
      [4, 9],
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (gain, xs) => {
          const vs = run(
            new Ewma(gain),
            xs.map((x, i) => [x, i]),
          ).map(([v]) => v);
          const lo = Math.min(...xs),
            hi = Math.max(...xs),
            eps = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
          return vs.length === xs.length && vs.every((v) => v >= lo - eps && v <= hi + eps);
        },
      ),
    );
  });
});

describe('threshold with hysteresis', () => {
  test('emits one change per crossing, none for noise inside the band', () => {
    const xs = [50, 70, 79, 81, 85, 75, 65, 79, 90, 61, 59, 62, 55, 85];
    const got = run(
      new Threshold(80, 60),
      xs.map((x, i) => [x, i]),
    );
    assert.deepEqual(got, [
      [1, 3],
      [0, 10],
      [1, 13],
    ]);
  });

  test('over any sequence: changes alternate 1, 0, 1…, each 1 at a sample ≥ high, each 0 at one ≤ low', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 200 }), (xs) => {
        const got = run(
          new Threshold(70, 30),
          xs.map((x, i) => [x, i]),
        );
        return got.every(([v, t], k) => v === (k % 2 === 0 ? 1 : 0) && (v === 1 ? xs[t]! >= 70 : xs[t]! <= 30));
      }),
    );
  });

  test('NaN samples change nothing', () => {
    assert.deepEqual(
      run(new Threshold(1, 0), [
        [NaN, 0],
        [1, 1],
        [NaN, 2],
        [0, 3],
      ]),
      [
        [1, 1],
        [0, 3],
      ],
    );
  });
});

describe('windows', () => {
  const samples: [number, number][] = [
    [3, 0],
    [1, 400],
    [8, 900],
    [5, 1000],
    [7, 1500],
    [2, 3100],
  ];
  test('mean, min, max emit per closed window, stamped with its end; empty windows emit nothing', () => {
    assert.deepEqual(run(new Window('mean', 1000), samples), [
      [4, 1000],
      [6, 2000],
    ]);
    assert.deepEqual(run(new Window('min', 1000), samples), [
      [1, 1000],
      [5, 2000],
    ]);
    assert.deepEqual(run(new Window('max', 1000), samples), [
      [8, 1000],
      [7, 2000],
    ]);
  });

  test('percentile uses the nearest rank; flush closes a window without a new sample', () => {
    const w = new Window('percentile', 10_000, 90, 64);
    for (let i = 1; i <= 20; i++) w.push(i, i);
    assert.equal(w.flush(9_999), false);
    assert.equal(w.flush(10_001), true);
    assert.deepEqual([w.value, w.time], [18, 10_001]);
    const med = new Window('percentile', 100, 50, 8);
    assert.deepEqual(
      run(med, [
        [5, 0],
        [1, 10],
        [4, 20],
        [100, 150],
      ]),
      [[4, 100]],
    );
  });
});

describe('rate', () => {
  test('change per second between samples; a counter reset emits nothing', () => {
    assert.deepEqual(
      run(new Rate(), [
        [100, 0],
        [300, 2000],
        [250, 2500],
      ]),
      [
        [100, 2000],
        [-100, 2500],
      ],
    );
    assert.deepEqual(
      run(new Rate(true), [
        [100, 0],
        [300, 2000],
        [50, 2500],
        [150, 3500],
      ]),
      [
        [100, 2000],
        [100, 3500],
      ],
    );
    assert.deepEqual(
      run(new Rate(), [
        [1, 5],
        [2, 5],
      ]),
      [],
      'no time elapsed, no rate',
    );
  });
});
