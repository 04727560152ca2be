// The one mapping from anything thrown while serving a request to the error body both
// servers send: {"response": false, "status", "error", "code"}. The agent and the core install
// the same handlers, so a wrong content type or an oversized body is the same answer from
// either (400, as the seed's "bad body -> 400" says, with a code that says which mistake).
// Client mistakes are 4xx naming the problem; only our own bugs are 500.
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../model/errors.js';
import { isOsmoError } from './errors.js';
import { storeErrorKind } from './store-errors.js';

export interface DescribedError {
  status: number;
  code: ErrorCode;
  error: string;
}

/** The seed's error body with its stable code; the status always matches the code's. */
export function errorBody(code: ErrorCode, error: string): ErrorBody {
  return { response: false, status: ERROR_CODES[code], error, code };
}

const VALIDATION_SHOWN = 5;

/** "body.replicas: <message>; body.image: <message>": the dashboard puts each next to its field. */
function describeValidation(err: {
  validation: ReadonlyArray<{ instancePath: string; message?: string }>;
  validationContext?: string;
}): string {
  const where = err.validationContext ?? 'body';
  const parts = err.validation.slice(0, VALIDATION_SHOWN).map((v) => {
    const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    return `${where}${path ? `.${path}` : ''}: ${v.message ?? 'invalid'}`;
  });
  const more = err.validation.length > VALIDATION_SHOWN ? ` (and ${err.validation.length - VALIDATION_SHOWN} more)` : '';
  return `${parts.join('; ')}${more}`;
}

const CLIENT_STATUS_CODE: Partial<Record<number, ErrorCode>> = {
  401: 'OSMO_UNAUTHORIZED',
  403: 'OSMO_FORBIDDEN',
  404: 'OSMO_NOT_FOUND',
  405: 'OSMO_METHOD_NOT_ALLOWED',
  406: 'OSMO_NOT_ACCEPTABLE',
  409: 'OSMO_CONFLICT',
  415: 'OSMO_MEDIA_TYPE_NOT_ACCEPTED',
};

const described = (code: ErrorCode, error: string): DescribedError => ({ status: ERROR_CODES[code], code, error });

/**
 * What to answer for an error thrown by a route, a hook, the body parser or the router.
 * @param opts.httpBodyStatuses a protocol that specifies 413/415 for body mistakes (OCCI)
 * gets them, with their own codes; osmo's JSON APIs answer 400 (the seed's "bad body").
 */
export function describeError(err: unknown, opts: { httpBodyStatuses?: boolean } = {}): DescribedError {
  if (hasZodFastifySchemaValidationErrors(err)) return described('OSMO_VALIDATION', describeValidation(err));
  if (isOsmoError(err)) return described(err.code, err.message);
  const fe = err as Partial<FastifyError> & { status?: number };
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      if (opts.httpBodyStatuses) return described('OSMO_MEDIA_TYPE_NOT_ACCEPTED', `content type not accepted (${fe.message})`);
      return described(
        'OSMO_UNSUPPORTED_MEDIA_TYPE',
        `unsupported content type: send a JSON body with "Content-Type: application/json" (${fe.message})`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      if (opts.httpBodyStatuses) return described('OSMO_PAYLOAD_TOO_LARGE', `body too large: ${fe.message}`);
      return described('OSMO_BODY_TOO_LARGE', `body too large: ${fe.message}`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return described('OSMO_INVALID_JSON', 'body: empty, but Content-Type is application/json; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return described('OSMO_INVALID_JSON', `body is not valid JSON: ${fe.message}`);
  }
  if (err instanceof SyntaxError) return described('OSMO_INVALID_JSON', `body is not valid JSON: ${err.message}`);
  const storeKind = storeErrorKind(err);
  if (storeKind === 'full')
    return described(
      'OSMO_STORE_FULL',
      `no space left on the data disk: this change was not saved (${(err as Error).message}); reads keep working; free space and retry`,
    );
  if (storeKind === 'unavailable')
    return described(
      'OSMO_STORE_UNAVAILABLE',
      `the store cannot be reached: this request was not completed (${(err as Error).message}); retry in a moment`,
    );
  const status = fe.statusCode ?? fe.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // the framework's other client errors (a bad URL encoding, a path parameter too long...)
    // and a protocol's own refusals (OCCI's 405/406/415) keep their status
    return described(CLIENT_STATUS_CODE[status] ?? 'OSMO_BAD_REQUEST', fe.message ?? 'bad request');
  }
  return described('OSMO_INTERNAL', `internal error: ${(err as Error | undefined)?.message ?? String(err)}`);
}

export function sendError(reply: FastifyReply, code: ErrorCode, error: string): FastifyReply {
  // the database is restarting or failing over: seconds, not minutes
  if (code === 'OSMO_STORE_UNAVAILABLE') void reply.header('retry-after', '1');
  return reply.code(ERROR_CODES[code]).type('application/json').send(errorBody(code, error));
}

/** For `Fastify({ frameworkErrors })`: router-level failures bypass the error handler and are client mistakes too. */
/**
 * Fastify's `schemaController` option for servers whose every route is validated and
 * serialized by zod: with these factories fastify never loads its defaults (ajv,
 * fast-json-stringify), which an agent would carry in memory for nothing.
 */
export const zodCompilers = {
  compilersFactory: { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler },
  // fastify's types describe its ajv factories; at run time it only calls what the factory returns
} as unknown as NonNullable<FastifyServerOptions['schemaController']>;

export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const d = describeError(err);
  void sendError(reply, d.status >= 500 ? 'OSMO_BAD_REQUEST' : d.code, d.error);
}

/** The part of a fastify instance the handlers go on, whatever its logger and type provider. */
interface HandlerHost {
  setErrorHandler(handler: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => unknown): unknown;
  setNotFoundHandler(handler: (req: FastifyRequest, reply: FastifyReply) => unknown): unknown;
}

/**
 * Installs the error and not-found handlers on a server.
 * @param onError sees each answered error first (logging: a 500 is a bug and must leave a trace)
 */
export function installErrorHandlers(app: HandlerHost, onError: (req: FastifyRequest, d: DescribedError, err: unknown) => void): void {
  app.setErrorHandler((err, req, reply) => {
    const d = describeError(err);
    onError(req, d, err);
    return sendError(reply, d.code, d.error);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 'OSMO_NO_ROUTE', `no route ${req.method} ${req.url.split('?')[0]}`));
}
