// Who may call which core route. The decision is made on the route the router matched
// (its declared auth class), never on the raw URL: the router percent-decodes and
// normalises the path, so a prefix test on `req.url` can be walked around (`/%61pi/...`).
//
// Auth classes, set where routes are declared (route `config.auth`, or a route module's
// default, src/core/module.ts):
//   public — always open: /healthz, /openapi.json, the Swagger UI, the dashboard shell
//            (the data behind them is not open);
//   client — the client API and /metrics: open on a loopback listen address (like
//            Docker's local socket), the token everywhere else;
//   agent  — the agent protocol: always the join token;
//   admin  — always the token. A route without a class is admin: deny by default.
// An unmatched path is treated as `client`, so off loopback a probe without a token
// learns nothing, not even which paths exist.
// Routes that declare `config.basicAuth` (the SLA API: Atos clients send HTTP basic auth)
// also take `Authorization: Basic` with any user and the token as password; everywhere
// else Basic is refused like any wrong credential.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { bearerMatches, type AuthClass } from '../../shared/route-auth.js';
import { errorBody } from './errors.js';

export type { AuthClass };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** this route also takes `Authorization: Basic <user:token>` (any user) */
    basicAuth?: boolean;
  }
}

/** constant-time check of `Authorization: Basic base64(user:password)`, password = the token */
export function basicMatches(header: string | undefined, token: string): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const a = Buffer.from(decoded.slice(colon + 1));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Marks every route registered from here on (this context and its children) as taking basic auth. */
export function acceptBasicAuth(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    route.config = { ...((route.config ?? {}) as object), basicAuth: true };
  });
}

/**
 * Gives every route registered from here on (in this encapsulation context and its
 * children) the auth class `auth` unless the route declares its own. Used for route
 * modules and for third-party plugins (Swagger UI, static files) that cannot take a
 * per-route config.
 */
export function defaultAuth(app: FastifyInstance, auth: AuthClass): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { auth?: AuthClass };
    if (config.auth === undefined) route.config = { ...config, auth };
  });
}

/** The class the router decided for this request. */
export function authClassOf(req: FastifyRequest): AuthClass {
  // no matched route (the 404 handler answers): as strict as the client API
  if (req.routeOptions.url === undefined) return 'client';
  return req.routeOptions.config.auth ?? 'admin';
}

export function installAuth(app: FastifyInstance, token: string, openClientApi: boolean): void {
  app.addHook('onRequest', async (req, reply) => {
    const auth = authClassOf(req);
    if (auth === 'public') return;
    if (auth === 'client' && openClientApi) return;
    if (bearerMatches(req.headers.authorization, token)) return;
    const basic = req.routeOptions.url !== undefined && req.routeOptions.config.basicAuth === true;
    if (basic && basicMatches(req.headers.authorization, token)) return;
    if (basic) {
      return reply
        .status(401)
        .header('www-authenticate', 'Basic realm="osmo", charset="UTF-8"')
        .send(
          errorBody(
            'OSMO_UNAUTHORIZED',
            'missing or wrong credentials: send Authorization: Basic with any user and the join token as password (or Bearer <join token>)',
          ),
        );
    }
    return reply
      .status(401)
      .send(errorBody('OSMO_UNAUTHORIZED', 'missing or wrong token: send Authorization: Bearer <join token> (from <data-dir>/join-token)'));
  });
}

export { isLoopback } from '../../shared/net.js';
