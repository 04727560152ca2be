// What a failed call to the core or an agent looks like to a caller: one ApiError whose
// message is a single line naming the problem (the CLI prints it as is), with the parts a
// caller branches on (kind, status, the server's `error` text and `code`) kept apart.

/**
 * - `unreachable`: no connection (refused, DNS, reset) — nothing was answered;
 * - `timeout`: connected or not, no answer within the deadline;
 * - `status`: the server answered with a non-2xx status (its `error` text is kept);
 * - `bad-response`: a 2xx whose body does not match the route's response schema.
 */
export type ApiErrorKind = 'unreachable' | 'timeout' | 'status' | 'bad-response';

export interface ApiErrorInfo {
  /** "core" or "agent": who was called (for the message) */
  service: string;
  base: string;
  method: string;
  path: string;
  status?: number;
  /** the server's `error` text, when it answered with an error body */
  error?: string;
  /** the server's stable error code, when its error body carries one */
  code?: string;
}

/** A failed API call. `message` is one line; `info` holds its parts. */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly info: ApiErrorInfo,
    options?: { cause?: unknown },
  ) {
    super(oneLine(message), options);
    this.name = 'ApiError';
  }

  get status(): number | undefined {
    return this.info.status;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Newlines and runs of blanks in a server's text would break "one line per failure". */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Why fetch failed, as the OS said it: fetch() itself only says "fetch failed". */
export function causeOf(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const c = err.cause;
  // a certificate the client does not trust: say what it is and how to trust it
  if (c?.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(c.code))
    return `TLS certificate not trusted (${c.code}): give its CA with NODE_EXTRA_CA_CERTS=<ca.pem> (the CLI: --ca FILE or OSMO_CA; an agent: the pinned join token its core prints)`;
  if (c?.code) return c.code;
  if (c?.message) return c.message;
  return err.message ?? String(e);
}
