// What a store failure means to a caller, whichever database raised it. Both kinds are
// answered 503 (the change was not saved; retrying later succeeds once the cause is gone),
// never 500: neither is a bug in osmo.
//   full        — SQLite's "database or disk is full", ENOSPC/EDQUOT, PostgreSQL's class 53
//                 disk_full (53100) and out_of_memory (53200);
//   unavailable — the database cannot be reached or is going away: a connection refused,
//                 reset or cut, PostgreSQL shutting down or starting (57P01–57P03), class 08
//                 (connection exception), too many connections (53300), and the two
//                 conflicts a retry resolves (serialization failure 40001, deadlock 40P01).

export type StoreErrorKind = 'full' | 'unavailable';

const FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT', '53100', '53200']);
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '40001',
  '40P01',
  // a write of a core that lost the leader lease (src/store/fence.ts)
  'OSMO_FENCED',
]);
// node-postgres raises these as plain Errors without a code
const UNAVAILABLE_MESSAGES = ['Connection terminated', 'timeout exceeded when trying to connect', 'is not queryable', 'Connection ended'];

export function storeErrorKind(err: unknown): StoreErrorKind | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (FULL.has(code)) return 'full';
    if (UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return 'unavailable';
  }
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return 'unavailable';
  // an AggregateError (pg dialing every address of a host) is unavailable when its parts are
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => storeErrorKind(e) === 'unavailable')) return 'unavailable';
  return undefined;
}
