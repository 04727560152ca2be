// Pure helpers of the Agreements view: the line a constraint draws on its KPI's chart, the
// colour class of a status, and the bounded history of a term's values.

/** The threshold(s) a constraint compares with, for drawing: GT/GE/LT/LE/EQ one, BETWEEN two. */
export function constraintLimits(constraint: string): number[] {
  const one = /\b(GT|GE|LT|LE|EQ|NE)\s+(-?\d+(?:\.\d+)?(?:e-?\d+)?)/i.exec(constraint);
  if (one) return [Number(one[2])];
  const between = /\bBETWEEN\s*\(\s*(-?[\d.e-]+)\s*,\s*(-?[\d.e-]+)\s*\)/i.exec(constraint);
  if (between) return [Number(between[1]), Number(between[2])];
  return [];
}

export function statusClass(status: string): 'running' | 'failed' | 'pending' {
  return status === 'FULFILLED' ? 'running' : status === 'VIOLATED' ? 'failed' : 'pending';
}

export interface Point {
  t: number;
  v: number;
}

/** Adds an observation unless it is the one already last (the same observedAt), keeping `keep`. */
export function addPoint(history: Point[], observedAt: string | null, value: number | null, keep = 240): Point[] {
  if (observedAt === null || value === null) return history;
  const t = Date.parse(observedAt) / 1000;
  if (!Number.isFinite(t) || history.at(-1)?.t === t) return history;
  return [...history.slice(-(keep - 1)), { t, v: value }];
}
