// Stable error codes (after fastify's error catalogue): every error body carries one beside
// the seed's {"response": false, "status", "error"}, so a client branches on `code` and
// never on the wording of `error`. A code, once published, keeps its meaning and its status;
// docs/errors.md explains each one and what to do (a unit test keeps both lists equal).
import { z } from 'zod';

/** code -> the HTTP status it always travels with */
export const ERROR_CODES = {
  OSMO_BAD_REQUEST: 400,
  OSMO_VALIDATION: 400,
  OSMO_INVALID_JSON: 400,
  OSMO_UNSUPPORTED_MEDIA_TYPE: 400,
  OSMO_BODY_TOO_LARGE: 400,
  OSMO_UNAUTHORIZED: 401,
  OSMO_FORBIDDEN: 403,
  OSMO_NOT_FOUND: 404,
  OSMO_NO_ROUTE: 404,
  OSMO_METHOD_NOT_ALLOWED: 405,
  OSMO_NOT_ACCEPTABLE: 406,
  OSMO_CONFLICT: 409,
  OSMO_IDEMPOTENCY_KEY_INVALID: 400,
  OSMO_IDEMPOTENCY_IN_FLIGHT: 409,
  OSMO_IDEMPOTENCY_NOT_REPLAYABLE: 409,
  OSMO_IDEMPOTENCY_KEY_REUSED: 422,
  OSMO_PAYLOAD_TOO_LARGE: 413,
  OSMO_MEDIA_TYPE_NOT_ACCEPTED: 415,
  OSMO_INTERNAL: 500,
  OSMO_NOT_IMPLEMENTED: 501,
  OSMO_UNAVAILABLE: 503,
  OSMO_ENGINE_UNAVAILABLE: 503,
  OSMO_STORE_FULL: 503,
  OSMO_STORE_UNAVAILABLE: 503,
  OSMO_NO_LEADER: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** The error body of both servers (agent and core), for response schemas and clients. */
export const ErrorBody = z.object({
  response: z.literal(false),
  status: z.number().int(),
  error: z.string(),
  code: ErrorCodeSchema,
});
export type ErrorBody = z.infer<typeof ErrorBody>;
