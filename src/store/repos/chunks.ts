// How many rows one multi-row statement carries. On PostgreSQL every statement is a round
// trip whose answer waits for the core's event loop to turn, which is what a reconcile pass's
// commit waits on while the loop is busy (docs/benchmarks.md, "One round trip per commit"):
// there, as many rows as the protocol's 65,535 bind parameters allow, up to a bound that keeps
// one statement's text and memory modest. SQLite runs in-process, where 200 rows a statement
// was measured fine and keeps each statement well under its 32,766 variables.
import type { DialectName } from '../dialects/index.js';

const PG_MAX_PARAMS = 65_535;
const PG_MAX_ROWS = 2_000;
const SQLITE_ROWS = 200;

/** Rows per statement for a table of `columns` columns on `dialect`. */
export function rowsPerStatement(dialect: DialectName, columns: number): number {
  if (dialect === 'sqlite') return SQLITE_ROWS;
  return Math.max(1, Math.min(PG_MAX_ROWS, Math.floor(PG_MAX_PARAMS / columns)));
}

/** `items` in slices of `size`, in order. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < items.length; k += size) out.push(items.slice(k, k + size));
  return out;
}
