// One error vocabulary for every bounded context. Services throw an OsmoError; its kind
// gives it a stable code (src/model/errors.ts) and the code its HTTP status, in exactly one place
// (shared/http-errors.ts maps anything thrown), so "a client mistake is never a 500" is
// decided once, not per route.
import { ERROR_CODES, type ErrorCode } from '../model/errors.js';

export type ErrorKind =
  | 'invalid' // 400: the request is malformed or breaks a rule
  | 'unauthorized' // 401: no or wrong token
  | 'forbidden' // 403: policy forbids it (privileged, host volume)
  | 'not_found' // 404
  | 'conflict' // 409: name taken, state does not allow it
  | 'unavailable' // 503: an engine or peer is down; the client may retry
  | 'internal'; // 500: a bug

/** The code of an OsmoError that names none: one per kind. */
const KIND_CODE: Record<ErrorKind, ErrorCode> = {
  invalid: 'OSMO_BAD_REQUEST',
  unauthorized: 'OSMO_UNAUTHORIZED',
  forbidden: 'OSMO_FORBIDDEN',
  not_found: 'OSMO_NOT_FOUND',
  conflict: 'OSMO_CONFLICT',
  unavailable: 'OSMO_UNAVAILABLE',
  internal: 'OSMO_INTERNAL',
};

export class OsmoError extends Error {
  /** the stable code of the error body; a finer one than the kind's default must keep its status */
  readonly code: ErrorCode;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
    code?: ErrorCode,
  ) {
    super(message);
    this.name = 'OsmoError';
    this.code = code ?? KIND_CODE[kind];
  }

  /** The HTTP status this error is answered with. */
  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }
}

export const invalid = (m: string, d?: Record<string, unknown>) => new OsmoError('invalid', m, d);
export const notFound = (m: string) => new OsmoError('not_found', m);
export const conflict = (m: string) => new OsmoError('conflict', m);
export const forbidden = (m: string) => new OsmoError('forbidden', m);
export const unavailable = (m: string) => new OsmoError('unavailable', m);

export function isOsmoError(e: unknown): e is OsmoError {
  return e instanceof OsmoError;
}
