// Text order independent of the database's collation: SQLite compares bytes, a PostgreSQL
// created in en_US orders linguistically. Lists whose order callers see are sorted here.
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
