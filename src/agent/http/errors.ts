// One place that turns anything thrown while serving a request into the seed's error body
// {"response": false, "status": code, "error": "..."}. Client mistakes — schema errors, bad
// JSON, a wrong content type, an oversized body — are 400 with a message naming the field;
// only a real bug is a 500.
import type { FastifyError, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { httpStatus, isOsmoError } from '../../shared/errors.js';

export interface ErrorBody {
  response: false;
  status: number;
  error: string;
}

export function sendError(reply: FastifyReply, status: number, error: string): FastifyReply {
  const body: ErrorBody = { response: false, status, error };
  return reply.code(status).type('application/json').send(body);
}

export function describeError(err: unknown): { status: number; error: string } {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext ?? 'body';
    const parts = err.validation.slice(0, 3).map((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      return `${path || where}: ${v.message}`;
    });
    const more = err.validation.length > 3 ? ` (and ${err.validation.length - 3} more)` : '';
    return { status: 400, error: `invalid ${where}: ${parts.join('; ')}${more}` };
  }
  if (isOsmoError(err)) return { status: httpStatus(err.kind), error: err.message };
  const fe = err as Partial<FastifyError> & { status?: number };
  const code = fe.statusCode ?? fe.status;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, error: `unsupported content type: send a JSON body with "Content-Type: application/json" (${fe.message})` };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 400, error: `body too large: ${fe.message}` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: 'body: empty, but Content-Type is application/json; send a JSON object' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, error: `body is not valid JSON: ${fe.message}` };
  }
  if (err instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return { status: 400, error: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof code === 'number' && code >= 400 && code < 500) return { status: code === 413 || code === 415 ? 400 : code, error: fe.message ?? 'bad request' };
  return { status: 500, error: `internal error: ${(err as Error)?.message ?? String(err)}` };
}
