// One error handler for the core API: every failure leaves as
// {"response": false, "status": <code>, "error": "<what is wrong>"} (the agent's shape),
// and only our own bugs become 500.
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { httpStatus, isOsmoError } from '../../shared/errors.js';

export function errorBody(status: number, error: string) {
  return { response: false as const, status, error };
}

function describeValidation(e: { validation: Array<{ instancePath: string; message?: string }>; validationContext?: string }): string {
  const where = e.validationContext ?? 'request';
  return e.validation
    .slice(0, 5)
    .map((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      return `${where}${path ? `.${path}` : ''}: ${v.message ?? 'invalid'}`;
    })
    .join('; ');
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.status(400).send(errorBody(400, describeValidation(error as unknown as Parameters<typeof describeValidation>[0])));
    }
    if (isOsmoError(error)) {
      const s = httpStatus(error.kind);
      return reply.status(s).send(errorBody(s, error.message));
    }
    const code = error.statusCode ?? 500;
    if (code >= 400 && code < 500) {
      // fastify's own client errors: bad JSON, wrong content type, body too large
      return reply.status(code).send(errorBody(code, error.message));
    }
    // the app runs without a request logger (1,000 heartbeats/s): a bug still leaves a trace
    process.stderr.write(`osmo core: 500 on ${request.method} ${request.url}: ${error.stack ?? error.message}\n`);
    return reply.status(500).send(errorBody(500, `internal error: ${error.message}`));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
