// The guarantee-term constraint language of the Atos SLA core: `KPI OP VALUES`.
//   ResponseTime LT 0.5        availability GE 0.999       metric1 BETWEEN (0.05, 1)
//   code IN (200, 204)         qosConstraint_c1_Violated NOT_EXISTS
// Values are numbers. BETWEEN takes exactly two (inclusive bounds, low first), IN at least
// one, EXISTS / NOT_EXISTS none. `NOTEXISTS` (as printed in E.6) reads as NOT_EXISTS.
// A hand-written scanner rather than a parser library: the grammar is one line, and the
// error must name the position in the text the client sent.
import { OsmoError } from '../shared/errors.js';

export const OPERATORS = ['GT', 'GE', 'EQ', 'LT', 'LE', 'NE', 'BETWEEN', 'IN', 'EXISTS', 'NOT_EXISTS'] as const;
export type Operator = (typeof OPERATORS)[number];

const SINGLE: ReadonlySet<Operator> = new Set(['GT', 'GE', 'EQ', 'LT', 'LE', 'NE']);
const NONE: ReadonlySet<Operator> = new Set(['EXISTS', 'NOT_EXISTS']);
const ALIASES: Record<string, Operator> = { NOTEXISTS: 'NOT_EXISTS' };

export interface Constraint {
  /** the metric the values are compared with (the left-hand side) */
  kpi: string;
  op: Operator;
  values: number[];
}

/** A constraint that does not parse; `position` is 1-based in `text`. */
export class ConstraintError extends OsmoError {
  constructor(
    readonly text: string,
    readonly position: number,
    reason: string,
  ) {
    super('invalid', `constraint "${text}": ${reason} at position ${position}`, { position });
    this.name = 'ConstraintError';
  }
}

const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_]+/y;
const KPI = /[^\s(),]+/y;

/** Parses `KPI OP VALUES`; throws a ConstraintError naming the position of the first fault. */
export function parseConstraint(text: string): Constraint {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new ConstraintError(text, at + 1, reason);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const number = (): number => {
    const start = i;
    const raw = match(NUMBER);
    if (raw === undefined) return fail('expected a number');
    const n = Number(raw);
    if (!Number.isFinite(n)) return fail(`${raw} is out of range`, start);
    return n === 0 ? 0 : n; // -0 reads as 0, so a printed constraint parses back to itself
  };
  const list = (): { values: number[]; at: number } => {
    const at = i;
    const values: number[] = [];
    const paren = text[i] === '(';
    if (paren) {
      i++;
      ws();
      if (text[i] === ')') {
        i++;
        return { values, at };
      }
    }
    for (;;) {
      values.push(number());
      ws();
      if (text[i] !== ',') break;
      i++;
      ws();
    }
    if (paren) {
      if (text[i] !== ')') fail(i < text.length ? `expected "," or ")", found "${text[i]}"` : 'expected ")"');
      i++;
    }
    return { values, at };
  };

  ws();
  const kpiAt = i;
  const kpi = match(KPI);
  if (kpi === undefined) return fail('expected a KPI name', kpiAt);
  const before = i;
  ws();
  if (i === before && i < text.length) fail('expected a space after the KPI name');
  const opAt = i;
  const word = match(WORD);
  if (word === undefined) return fail(`expected an operator (${OPERATORS.join(' ')})`, opAt);
  const upper = word.toUpperCase();
  const op = ALIASES[upper] ?? (OPERATORS as readonly string[]).find((o) => o === upper);
  if (op === undefined) return fail(`unknown operator "${word}" (one of ${OPERATORS.join(' ')})`, opAt);
  const operator = op as Operator;
  ws();
  let values: number[] = [];
  if (NONE.has(operator)) {
    if (i < text.length) fail(`${operator} takes no values`);
  } else {
    if (i >= text.length) fail(`${operator} needs ${SINGLE.has(operator) ? 'a value' : 'values'}`);
    const got = list();
    values = got.values;
    if (SINGLE.has(operator) && values.length !== 1) fail(`${operator} takes exactly one value, got ${values.length}`, got.at);
    if (operator === 'BETWEEN') {
      if (values.length !== 2) fail(`BETWEEN takes exactly 2 values, got ${values.length}`, got.at);
      if (values[0]! > values[1]!) fail(`BETWEEN needs the lower bound first (${values[0]} > ${values[1]})`, got.at);
    }
    if (operator === 'IN' && values.length === 0) fail('IN takes at least one value', got.at);
    ws();
    if (i < text.length) fail(`unexpected "${text.slice(i)}"`);
  }
  return { kpi, op: operator, values };
}

/** The canonical text of a constraint; `parseConstraint(printConstraint(c))` equals `c`. */
export function printConstraint(c: Constraint): string {
  if (NONE.has(c.op)) return `${c.kpi} ${c.op}`;
  if (SINGLE.has(c.op)) return `${c.kpi} ${c.op} ${String(c.values[0])}`;
  return `${c.kpi} ${c.op} (${c.values.map(String).join(', ')})`;
}

/** Whether one measured value satisfies the constraint (a value present breaks NOT_EXISTS). */
export function satisfies(c: Constraint, v: number): boolean {
  const [a = NaN, b = NaN] = c.values;
  switch (c.op) {
    case 'GT':
      return v > a;
    case 'GE':
      return v >= a;
    case 'EQ':
      return v === a;
    case 'LT':
      return v < a;
    case 'LE':
      return v <= a;
    case 'NE':
      return v !== a;
    case 'BETWEEN':
      return v >= a && v <= b;
    case 'IN':
      return c.values.includes(v);
    case 'EXISTS':
      return true;
    case 'NOT_EXISTS':
      return false;
  }
}

/**
 * Whether a round of observations satisfies the constraint as a whole: EXISTS needs at least
 * one value, NOT_EXISTS none, the others need every value to satisfy it (and say nothing,
 * i.e. `undefined`, when there is no value).
 */
export function roundHolds(c: Constraint, values: readonly number[]): boolean | undefined {
  if (c.op === 'EXISTS') return values.length > 0;
  if (c.op === 'NOT_EXISTS') return values.length === 0;
  if (values.length === 0) return undefined;
  return values.every((v) => satisfies(c, v));
}

export const isExistence = (c: Constraint): boolean => NONE.has(c.op);
