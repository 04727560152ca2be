import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ConstraintError,
  OPERATORS,
  parseConstraint,
  printConstraint,
  roundHolds,
  satisfies,
  type Constraint,
  type Operator,
} from '../../../src/sla/constraint.js';
import { parseServiceLevel } from '../../../src/sla/service-level.js';

// [constraint text, value, satisfied]
const TABLE: [string, number, boolean][] = [
  ['x GT 1', 1.0000001, true],
  ['x GT 1', 1, false],
  ['x GT -1', -1.5, false],
  ['x GE 1', 1, true],
  ['x GE 1', 0.9999999, false],
  ['x EQ 0.5', 0.5, true],
  ['x EQ 0.5', 0.50001, false],
  ['x EQ 0', -0, true],
  ['x LT 0.5', 0.4999, true],
  ['x LT 0.5', 0.5, false],
  ['x LE 0.5', 0.5, true],
  ['x LE 0.5', 0.5001, false],
  ['x NE 3', 3, false],
  ['x NE 3', 3.1, true],
  ['x BETWEEN (0.05, 1)', 0.05, true], // both bounds inclusive
  ['x BETWEEN (0.05, 1)', 1, true],
  ['x BETWEEN (0.05, 1)', 0.0499, false],
  ['x BETWEEN (0.05, 1)', 1.0001, false],
  ['x BETWEEN (2, 2)', 2, true],
  ['x IN (200, 204)', 204, true],
  ['x IN (200, 204)', 201, false],
  ['x IN (7)', 7, true],
  ['x IN 1, 2', 2, true], // parentheses are optional
  ['x EXISTS', 0, true],
  ['x NOT_EXISTS', 0, false],
  ['x NOTEXISTS', 12, false], // E.6's spelling
  ['x lt 1e3', 999, true], // operators in any case, numbers with exponents
];

describe('SLA constraint language', () => {
  for (const [text, value, ok] of TABLE) {
    test(`${text} with ${value} -> ${ok ? 'satisfied' : 'breach'}`, () => {
      assert.equal(satisfies(parseConstraint(text), value), ok);
    });
  }

  test('every operator appears in the table', () => {
    const seen = new Set(TABLE.map(([t]) => parseConstraint(t).op));
    assert.deepEqual([...seen].sort(), [...OPERATORS].sort());
  });

  test('EXISTS / NOT_EXISTS over a round: with and without data', () => {
    assert.equal(roundHolds(parseConstraint('e EXISTS'), [1]), true);
    assert.equal(roundHolds(parseConstraint('e EXISTS'), []), false);
    assert.equal(roundHolds(parseConstraint('e NOT_EXISTS'), []), true);
    assert.equal(roundHolds(parseConstraint('e NOT_EXISTS'), [0]), false);
    assert.equal(roundHolds(parseConstraint('x LT 1'), []), undefined, 'no data says nothing');
    assert.equal(roundHolds(parseConstraint('x LT 1'), [0.5, 2]), false);
  });

  test('the seed and Atos spellings parse to the same thing', () => {
    assert.deepEqual(parseConstraint('qosConstraint_c1_Violated NOTEXISTS'), {
      kpi: 'qosConstraint_c1_Violated',
      op: 'NOT_EXISTS',
      values: [],
    });
    assert.deepEqual(parseConstraint('  metric1 BETWEEN (0.05, 1) '), { kpi: 'metric1', op: 'BETWEEN', values: [0.05, 1] });
    assert.deepEqual(parseConstraint('ResponseTime LT 100'), { kpi: 'ResponseTime', op: 'LT', values: [100] });
  });

  // [text, position (1-based), words the message must contain]
  const ERRORS: [string, number, string][] = [
    ['', 1, 'expected a KPI name'],
    ['x', 2, 'expected an operator'],
    ['x FOO 1', 3, 'unknown operator "FOO"'],
    ['x LT', 5, 'LT needs a value'],
    ['x LT abc', 6, 'expected a number'],
    ['x LT 1 2', 8, 'unexpected "2"'],
    ['x LT (1, 2)', 6, 'exactly one value, got 2'],
    ['x BETWEEN (1)', 11, 'BETWEEN takes exactly 2 values, got 1'],
    ['x BETWEEN (1, 2, 3)', 11, 'BETWEEN takes exactly 2 values, got 3'],
    ['x BETWEEN (5, 1)', 11, 'lower bound first'],
    ['x IN ()', 6, 'IN takes at least one value'],
    ['x IN (1, 2', 11, 'expected ")"'],
    ['x IN (1; 2)', 8, 'expected "," or ")"'],
    ['x EXISTS 1', 10, 'EXISTS takes no values'],
    ['x NOT_EXISTS (1)', 14, 'NOT_EXISTS takes no values'],
    ['x GT 1e999', 6, 'out of range'],
  ];
  for (const [text, position, words] of ERRORS) {
    test(`"${text}" is rejected at position ${position}: ${words}`, () => {
      assert.throws(
        () => parseConstraint(text),
        (e: unknown) => {
          assert.ok(e instanceof ConstraintError, String(e));
          assert.equal(e.kind, 'invalid');
          assert.equal(e.position, position, e.message);
          assert.ok(e.message.includes(words), e.message);
          assert.ok(e.message.includes(`position ${position}`), e.message);
          return true;
        },
      );
    });
  }

  test('property: a parsed constraint prints back to itself (parse(print(c)) = c)', () => {
    const kpi = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_./:-]{0,20}$/);
    const num = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n));
    const constraint: fc.Arbitrary<Constraint> = fc.oneof(
      fc.record({ kpi, op: fc.constantFrom<Operator>('GT', 'GE', 'EQ', 'LT', 'LE', 'NE'), values: fc.tuple(num).map((v): number[] => v) }),
      fc.record({
        kpi,
        op: fc.constant<Operator>('BETWEEN'),
        values: fc.tuple(num, num).map(([a, b]): number[] => (a <= b ? [a, b] : [b, a])),
      }),
      fc.record({ kpi, op: fc.constant<Operator>('IN'), values: fc.array(num, { minLength: 1, maxLength: 6 }) }),
      fc.record({ kpi, op: fc.constantFrom<Operator>('EXISTS', 'NOT_EXISTS'), values: fc.constant<number[]>([]) }),
    );
    fc.assert(
      fc.property(constraint, (c) =>
        assert.deepEqual(parseConstraint(printConstraint(c)), { kpi: c.kpi, op: c.op, values: [...c.values] }),
      ),
      { numRuns: 500 },
    );
  });

  test('property: printing is canonical (print(parse(print(c))) = print(c))', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TABLE.map(([t]) => t)), (t) => {
        const p = printConstraint(parseConstraint(t));
        assert.equal(printConstraint(parseConstraint(p)), p);
      }),
    );
  });
});

describe('CustomServiceLevel', () => {
  test('Atos form with policies (seconds or ISO 8601) and the E.6 form with qos', () => {
    const a = parseServiceLevel(
      '{"constraint" : "ResponseTime LT 100", "policies": [{"count": 3, "interval": 60}, {"count": 10, "interval": "PT1H"}]}',
    );
    assert.deepEqual(a.constraint, { kpi: 'ResponseTime', op: 'LT', values: [100] });
    assert.deepEqual(
      a.policies.map((p) => [p.count, p.intervalMs]),
      [
        [3, 60_000],
        [10, 3_600_000],
      ],
    );
    const e6 = parseServiceLevel('{"constraint": "qosConstraint_c1_Violated NOT_EXISTS", "qos": {"hasMaxValue": 2.0}}');
    assert.equal(e6.constraint.op, 'NOT_EXISTS');
    assert.deepEqual(e6.qos, { hasMaxValue: 2 });
    assert.deepEqual(e6.policies, []);
    assert.equal(parseServiceLevel('x GE 0.999').constraint.op, 'GE', 'a bare constraint is accepted');
  });

  test('bad service levels are invalid with the reason', () => {
    const bad: [string, string][] = [
      ['{"constraint": "x LT"}', 'position 5'],
      ['{"constraint": 5}', 'constraint'],
      ['{"policies": []}', 'constraint'],
      ['{"constraint": "x LT 1", "policies": [{"count": 0, "interval": 5}]}', 'policies'],
      ['{"constraint": "x LT 1", "policies": [{"count": 2, "interval": "soon"}]}', 'not a duration'],
      ['{"constraint": "x LT 1"', 'not JSON'],
    ];
    for (const [text, words] of bad) {
      assert.throws(
        () => parseServiceLevel(text),
        (e: Error & { kind?: string }) => e.kind === 'invalid' && e.message.includes(words),
        text,
      );
    }
  });
});
