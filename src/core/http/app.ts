// Builds the fastify app: zod type provider, OpenAPI from the same schemas, Swagger UI,
// auth, error handling, latency metrics, then the route plugins of the core's modules
// (src/core/module.ts), each in its own scope under its module's default auth class.
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { NODE_ID_MAX } from '../../bus/protocol.js';
import { VERSION } from '../../shared/version.js';
import type { CoreContext } from '../context.js';
import type { ModuleRoutes } from '../module.js';
import { defaultAuth, installAuth, joinTokenOnly } from './auth.js';
import { frameworkErrors } from '../../shared/http-errors.js';
import { httpsServerFactory } from '../../shared/tls.js';
import { applyHttpLimits, CORE_HTTP_LIMITS, fastifyTimeouts } from '../../shared/http-limits.js';
import { installErrorHandling } from './errors.js';
import { documentCommonStatuses } from './statuses.js';
import { installAudit } from '../security/audit.js';
import { installIdempotency } from '../idempotency/hooks.js';
import { collectRoutes } from '../replica/routes-table.js';
import { installLeaderMarks } from '../replica/leader-marks.js';

export async function buildApp(ctx: CoreContext, routes: readonly ModuleRoutes[]): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 8 * 1024 * 1024,
    forceCloseConnections: true,
    ...fastifyTimeouts(CORE_HTTP_LIMITS),
    // the router refuses longer path segments before any schema sees them; a node id of
    // NODE_ID_MAX UTF-16 units percent-encodes to at most 9 characters per unit (a 3-byte
    // UTF-8 character as %XX%XX%XX), and zod then judges the decoded length
    routerOptions: { maxParamLength: NODE_ID_MAX * 9 },
    frameworkErrors,
    ...(ctx.config.tls ? { serverFactory: httpsServerFactory(ctx.config.tls, 'core') } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  applyHttpLimits(app.server, CORE_HTTP_LIMITS);
  // the table the followers authorize on (several cores, src/core/replica/)
  collectRoutes(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  // a partial core (a test of the module registry) may lack these modules: the join token
  // alone then, and no audit trail
  const modules = ctx as Partial<CoreContext>;
  installAuth(app, modules.security ?? joinTokenOnly(ctx.token), ctx.config.openClientApi);
  if (modules.events) installAudit(app, modules.events);
  if (modules.idempotency) installIdempotency(app, modules.idempotency);
  if (ctx.leadership)
    installLeaderMarks(app, {
      holder: ctx.leadership.holder,
      scheme: ctx.config.tls ? 'https' : 'http',
      forwarded: ctx.metrics.forwardedRequests,
    });
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.apiSeconds.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'osmo core API',
        version: VERSION,
        description:
          'Control plane of osmo: nodes, MELs, instances, events, metrics. Collections are objects holding one list, e.g. {"nodes": [...]}. Errors: {"response": false, "status": <code>, "error": "...", "code": "OSMO_..."} (the codes: docs/errors.md).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // the UI shell is public; the document it shows is too (it describes, it holds no data)
  await app.register(async (scope) => {
    defaultAuth(scope, 'public');
    await scope.register(swaggerUi, { routePrefix: '/docs' });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: 'public' } }, async () => app.swagger());

  // each route module in its own scope, so that its default auth class reaches only its routes
  for (const { plugin, auth } of routes) {
    await app.register(async (scope) => {
      defaultAuth(scope, auth);
      documentCommonStatuses(scope);
      await scope.register(plugin, { ctx });
    });
  }
  return app;
}
