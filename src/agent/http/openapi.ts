// The agent's own OpenAPI document, generated from the same zod schemas its routes validate
// with (as the core's, src/core/http/app.ts), served at GET /openapi.json (public: it
// describes, it holds no data). Every status a route can answer is listed for it, so that a
// client or a validating proxy can hold the agent to it:
//   400 — the route validates params, a query string or a body, or reads a body at all
//         (invalid JSON, wrong content type, too large: docs/errors.md);
//   401 — a token is configured and the request has the wrong one (any route but public);
//   503 — the container engine (or the source a monitor reads) cannot be reached.
// Route-specific ones (403, 404, 409) are declared on the routes themselves.
// The document is built on its first request, not at start-up: @fastify/swagger and the yaml
// library it loads (≈ 90 modules) would otherwise sit in every agent's heap, and most agents
// are never asked (docs/benchmarks.md, "Issue 14"). The routes are recorded as they are added
// and replayed, without handlers, into a throwaway app that carries the generator.
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../model/errors.js';
import { VERSION } from '../../shared/version.js';
import { zodCompilers } from '../../shared/http-errors.js';

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

/** Records the routes for the document; call before any route is added. */
export function installOpenApi(app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    documentCommonStatuses(route);
    routes.push(route);
  });
  let doc: Promise<unknown> | undefined;
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: 'public' } }, async () => {
    doc ??= generate(routes).catch((e: unknown) => {
      doc = undefined; // a failure is not kept: the next request tries again
      throw e;
    });
    return doc;
  });
}

async function generate(routes: RouteOptions[]): Promise<unknown> {
  const { default: swagger } = await import('@fastify/swagger');
  const app = Fastify({ schemaController: zodCompilers });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
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
  const noop = async (): Promise<void> => {};
  for (const r of routes) {
    // HEAD routes fastify adds beside each GET come back by themselves
    if ([r.method].flat().every((m) => m === 'HEAD')) continue;
    app.route({
      method: r.method,
      url: r.url,
      ...(r.schema ? { schema: r.schema } : {}),
      ...(r.config ? { config: r.config } : {}),
      handler: noop,
    });
  }
  await app.ready();
  try {
    return app.swagger();
  } finally {
    await app.close();
  }
}
