// Client mistakes are never 500s: whatever arrives, solve(), plan() and the LQNX reader either
// answer (with finite numbers only: a NaN is not an answer) or throw an OsmoError of kind
// "invalid" (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { solve } from '../../../src/planner/solve.js';
import { plan } from '../../../src/planner/plan.js';
import { solveLqnx } from '../../../src/planner/lqnx.js';
import { isOsmoError } from '../../../src/shared/errors.js';

/** The first number in an answer that is not finite (NaN, ±Infinity), with its path. */
function nonFinite(v: unknown, path = '$'): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} = ${v}`;
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const bad = nonFinite(x, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

/** An answer made only of finite numbers, or an "invalid" OsmoError: nothing else. */
function onlyInvalid(f: () => unknown): void {
  let answer: unknown;
  try {
    answer = f();
  } catch (e) {
    assert.ok(isOsmoError(e) && e.kind === 'invalid', `not an "invalid" OsmoError: ${String(e)}`);
    return;
  }
  const bad = nonFinite(answer);
  assert.equal(bad, undefined, `an answer with a non-finite number: ${bad}`);
}

const nearlyANetwork = fc.record({
  classes: fc.array(
    fc.record(
      {
        name: fc.constantFrom('a', 'b', ''),
        population: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.double(), fc.constant('3')),
        thinkTime: fc.oneof(fc.double({ min: -1, max: 5 }), fc.constant(undefined)),
      },
      { requiredKeys: ['name'] },
    ),
    { maxLength: 3 },
  ),
  stations: fc.array(
    fc.record(
      {
        name: fc.constantFrom('q', 'r', 'q'),
        type: fc.constantFrom('queue', 'delay', 'fcfs'),
        servers: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.double()),
        demands: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.double({ min: -1, max: 3 }), fc.constant(Number.NaN))),
      },
      { requiredKeys: ['name'] },
    ),
    { maxLength: 3 },
  ),
});

test('solve: anything in, an answer or an "invalid" error out', () => {
  fc.assert(
    fc.property(fc.oneof(fc.anything(), nearlyANetwork), (x) => onlyInvalid(() => solve(x))),
    { numRuns: 400, seed: 11 },
  );
});

test('plan: anything in, an answer or an "invalid" error out', () => {
  fc.assert(
    fc.property(fc.anything(), (x) => onlyInvalid(() => plan(x))),
    { numRuns: 300, seed: 12 },
  );
});

test('LQNX: arbitrary text and mangled models give an answer or an "invalid" error', () => {
  const tags = fc.constantFrom(
    '<lqn-model>',
    '</lqn-model>',
    '<processor name="P" multiplicity="2">',
    '</processor>',
    '<task name="T" scheduling="ref" multiplicity="3">',
    '<task name="S">',
    '</task>',
    '<entry name="e">',
    '<entry name="f"/>',
    '</entry>',
    '<entry-phase-activities>',
    '</entry-phase-activities>',
    '<activity name="a" phase="1" host-demand-mean="0.1">',
    '</activity>',
    '<synch-call dest="f" calls-mean="2"/>',
    '<synch-call dest="e"/>',
    '<task-activities>',
    '</task-activities>',
    'x',
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.array(tags, { maxLength: 25 }).map((a) => a.join('')),
      ),
      (xml) => onlyInvalid(() => solveLqnx(xml)),
    ),
    { numRuns: 400, seed: 13 },
  );
});
