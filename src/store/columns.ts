// The column types the dialects spell differently. SQLite's `real` is 8 bytes, PostgreSQL's is
// 4 (so `double precision` there); SQLite numbers rows with `integer primary key
// autoincrement`, PostgreSQL with an identity column (kysely's autoIncrement() has no
// PostgreSQL spelling).
import type { ColumnDataType, ColumnDefinitionBuilder, Kysely } from 'kysely';
import { isPostgres } from './dialects/index.js';

export function real(db: Kysely<unknown>): ColumnDataType {
  return isPostgres(db) ? 'double precision' : 'real';
}

/** `addColumn('id', ...autoId(db))`: a row id the database assigns, growing with insertion order. */
export function autoId(db: Kysely<unknown>): [ColumnDataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return isPostgres(db)
    ? ['bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()]
    : ['integer', (c) => c.primaryKey().autoIncrement()];
}
