// One error vocabulary for every bounded context. Services return or throw an OsmoError;
// the HTTP layers map its kind to a status code in exactly one place (httpStatus below),
// so "a client mistake is never a 500" is decided once, not per route.
export type ErrorKind =
  | 'invalid' // 400: the request is malformed or breaks a rule
  | 'unauthorized' // 401: no or wrong token
  | 'forbidden' // 403: policy forbids it (privileged, host volume)
  | 'not_found' // 404
  | 'conflict' // 409: name taken, state does not allow it
  | 'unavailable' // 503: an engine or peer is down; the client may retry
  | 'internal'; // 500: a bug

export class OsmoError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'OsmoError';
  }
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

export function httpStatus(kind: ErrorKind): number {
  return STATUS[kind];
}

export const invalid = (m: string, d?: Record<string, unknown>) => new OsmoError('invalid', m, d);
export const notFound = (m: string) => new OsmoError('not_found', m);
export const conflict = (m: string) => new OsmoError('conflict', m);
export const forbidden = (m: string) => new OsmoError('forbidden', m);
export const unavailable = (m: string) => new OsmoError('unavailable', m);

export function isOsmoError(e: unknown): e is OsmoError {
  return e instanceof OsmoError;
}

/** Errors as values where a caller must branch on the outcome. */
export type Result<T, E = OsmoError> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
