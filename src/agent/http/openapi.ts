// The agent's own OpenAPI document, generated from the same zod schemas its routes validate
// with (as the core's, src/core/http/app.ts), served at GET /openapi.json (public: it
// describes, it holds no data). Every status a route can answer is listed for it, so that a
// client or a validating proxy can hold the agent to it:
//   400 — the route validates params, a query string or a body, or reads a body at all
//         (invalid JSON, wrong content type, too large: docs/errors.md);
//   401 — a token is configured and the request has the wrong one (any route but public);
//   503 — the container engine (or the source a monitor reads) cannot be reached.
// Route-specific ones (403, 404, 409) are declared on the routes themselves.
import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { jsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../model/errors.js';
import { VERSION } from '../../shared/version.js';

const READS_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function documentCommonStatuses(route: RouteOptions): void {
  const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown>; hide?: boolean }) | undefined;
  if (!schema || schema.hide) return;
  const response = (schema.response ??= {});
  const add = (status: number) => {
    if (response[status] === undefined) response[status] = ErrorBody;
  };
  const methods = [route.method].flat();
  if (schema.params || schema.querystring || schema.body || methods.some((m) => READS_BODY.has(m))) add(400);
  if ((route.config as { auth?: string } | undefined)?.auth === 'public') {
    // no bearer needed: said so, so that a client (or a validating proxy) sends none
    schema.security ??= [];
    return;
  }
  add(401);
  add(503);
}

/** Registers the document generator; call before any route is added. */
export async function installOpenApi(
  app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>,
): Promise<void> {
  app.addHook('onRoute', documentCommonStatuses);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'osmo agent API',
        version: VERSION,
        description:
          'The Osmotic Agent API of one node (the seed API, verbatim, and its extensions): deploy, monitor, probes, edge sensors, events. Success bodies carry {"response": true, "status": 200}; errors {"response": false, "status": <code>, "error": "...", "code": "OSMO_..."} (the codes: docs/errors.md). On a non-loopback address every route but /healthz and /openapi.json needs Authorization: Bearer <agent token>.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: 'public' } }, async () => app.swagger());
}
