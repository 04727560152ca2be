// Builds the agent's fastify app: zod validation, the seed's error bodies, the bearer-token
// gate, and the routes. Request logging is off (a 1 s monitor must not cost a log line per
// scrape); errors are logged by the error handler.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { bearerMatches } from '../auth.js';
import '../../shared/route-auth.js';
import type { AgentContext } from './context.js';
import { frameworkErrors, installErrorHandlers, sendError, zodCompilers } from '../../shared/http-errors.js';
import { httpsServerFactory, type TlsFiles } from '../../shared/tls.js';
import { AGENT_HTTP_LIMITS, applyHttpLimits, fastifyTimeouts } from '../../shared/http-limits.js';
import { deployRoutes } from './routes-deploy.js';
import { metaRoutes } from './routes-meta.js';
import { monitorRoutes } from './routes-monitor.js';
import { installOpenApi } from './openapi.js';
import { sensorRoutes } from './routes-sensors.js';

export const BODY_LIMIT = 1024 * 1024;

export type AgentServer = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>;

export async function buildServer(ctx: AgentContext, logger: Logger, tls?: TlsFiles): Promise<AgentServer> {
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    ...fastifyTimeouts(AGENT_HTTP_LIMITS),
    // router-level failures (bad URL encoding, an over-long path parameter) bypass the error
    // handler; they are client mistakes too
    frameworkErrors,
    // zod validates and serializes every route: handing fastify its compilers up front keeps
    // it from loading ajv and fast-json-stringify for defaults nobody uses (~5 MB of an agent)
    schemaController: zodCompilers,
    ...(tls ? { serverFactory: httpsServerFactory(tls, 'agent') } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  applyHttpLimits(app.server, AGENT_HTTP_LIMITS);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app, (req, d, err) => {
    if (d.status === 500) req.log.error({ err }, 'request failed');
    else if (d.status > 500) req.log.warn(`${req.method} ${req.url.split('?')[0]}: ${d.error}`);
  });

  if (ctx.token) {
    const token = ctx.token;
    // decided on the route the router matched (a raw-URL test can be walked around with
    // percent-encoding): only routes declaring `config.auth = 'public'` are open
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url !== undefined && req.routeOptions.config.auth === 'public') return;
      const fromCore = ctx.coreToken?.();
      const h = req.headers.authorization;
      if (!bearerMatches(h, token) && !(fromCore && bearerMatches(h, fromCore))) {
        return sendError(reply, 'OSMO_UNAUTHORIZED', 'unauthorized: send "Authorization: Bearer <token>" (the agent token)');
      }
    });
  }

  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });

  installOpenApi(app);
  await app.register(metaRoutes(ctx, streams));
  await app.register(deployRoutes(ctx));
  await app.register(monitorRoutes(ctx));
  await app.register(sensorRoutes(ctx));
  return app;
}
