// Who may call which core route. The decision is made on the route the router matched
// (its declared auth class), never on the raw URL: the router percent-decodes and
// normalises the path, so a prefix test on `req.url` can be walked around (`/%61pi/...`).
//
// Auth classes, set where routes are declared (route `config.auth`, or a route module's
// default, src/core/module.ts):
//   public — always open: /healthz, /openapi.json, the Swagger UI, the dashboard shell
//            (the data behind them is not open);
//   client — the client API and /metrics: open on a loopback listen address (like
//            Docker's local socket) unless a token is sent, a token everywhere else;
//   agent  — the agent protocol: the join token or a node credential (which node may do
//            what is decided by the routes, src/core/agents/routes.ts);
//   admin  — always a token. A route without a class is admin: deny by default.
// Tokens have scopes (src/core/security): the join token and `admin` API tokens may do
// anything on client and admin routes, `read-only` tokens only safe methods (GET, HEAD),
// node credentials only the agent protocol.
// An unmatched path is treated as `client`, so off loopback a probe without a token
// learns nothing, not even which paths exist.
// Routes that declare `config.basicAuth` (the SLA API: Atos clients send HTTP basic auth)
// also take `Authorization: Basic` with any user and a token as password (read like
// `Bearer <password>`, scopes included); everywhere else Basic is refused like any wrong
// credential.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { bearerMatches, type AuthClass } from '../../shared/route-auth.js';
import type { Principal, Refused } from '../security/service.js';
import { errorBody } from './errors.js';

export type { AuthClass, Principal };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** this route also takes `Authorization: Basic <user:token>` (any user) */
    basicAuth?: boolean;
  }
  interface FastifyRequest {
    /** who the request was authenticated as; set by the auth hook on every non-public route */
    principal?: Principal;
    /** who was identified but refused (403), for the audit trail */
    refusedSubject?: string;
  }
}

/** Turns an Authorization header into a principal (src/core/security/service.ts). */
export interface Authenticator {
  authenticate(header: string | undefined): Principal | Refused | undefined;
  /**
   * A copy of the credentials that may lag behind the store (a follower core's: the leader
   * issues them): reloaded once before an unknown secret is refused.
   */
  refresh?(): Promise<void>;
}

/** `Authorization: Basic base64(user:password)` read as `Bearer <password>`; anything else unchanged. */
export function basicAsBearer(header: string | undefined): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return header;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : `Bearer ${decoded.slice(colon + 1)}`;
}

/** Marks every route registered from here on (this context and its children) as taking basic auth. */
export function acceptBasicAuth(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    route.config = { ...((route.config ?? {}) as object), basicAuth: true };
  });
}

/** An authenticator that knows the join token only (a core without the security module). */
export function joinTokenOnly(token: string): Authenticator {
  return {
    authenticate: (header) => (bearerMatches(header, token) ? { kind: 'join', subject: 'join-token', scope: 'admin' } : undefined),
  };
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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A method that changes nothing: what a read-only token may use. */
export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method.toUpperCase());

export type Decision = { allow: Principal } | { status: 401 | 403; error: string };

const UNAUTHORIZED = 'missing or wrong token: send Authorization: Bearer <join token> (from <data-dir>/join-token) or an API token';
const LOOPBACK: Principal = { kind: 'loopback', subject: 'loopback', scope: 'admin' };

/** What a route class requires of a caller (public routes never get here). */
export function decide(
  auth: Exclude<AuthClass, 'public'>,
  method: string,
  who: Principal | Refused | undefined,
  openClientApi: boolean,
): Decision {
  if (who !== undefined && 'refused' in who) return { status: 403, error: who.refused };
  if (auth === 'client' && openClientApi && who === undefined) return { allow: LOOPBACK };
  if (who === undefined) return { status: 401, error: UNAUTHORIZED };
  if (auth === 'agent') {
    if (who.kind === 'join' || who.kind === 'node') return { allow: who };
    return { status: 403, error: 'the agent protocol takes the join token or a node credential, not an API token' };
  }
  if (who.kind === 'node') return { status: 403, error: 'a node credential is only good for the agent protocol (/api/v1/agent/*)' };
  if (who.kind === 'token' && who.scope === 'read-only' && !isSafeMethod(method))
    return { status: 403, error: `token "${who.subject.slice('token:'.length)}" is read-only: ${method} changes state` };
  return { allow: who };
}

function refuse(reply: FastifyReply, d: { status: 401 | 403; error: string }) {
  return reply.status(d.status).send(errorBody(d.status === 401 ? 'OSMO_UNAUTHORIZED' : 'OSMO_FORBIDDEN', d.error));
}

export function installAuth(app: FastifyInstance, authn: Authenticator, openClientApi: boolean): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('refusedSubject', undefined);
  app.addHook('onRequest', async (req, reply) => {
    const auth = authClassOf(req);
    if (auth === 'public') return;
    const basic = req.routeOptions.url !== undefined && req.routeOptions.config.basicAuth === true;
    const header = basic ? basicAsBearer(req.headers.authorization) : req.headers.authorization;
    let who = authn.authenticate(header);
    if (who === undefined && header !== undefined && authn.refresh) {
      await authn.refresh();
      who = authn.authenticate(header);
    }
    const d = decide(auth, req.method, who, openClientApi);
    if ('allow' in d) {
      req.principal = d.allow;
      return;
    }
    if (who && 'subject' in who) req.refusedSubject = who.subject;
    if (basic && d.status === 401)
      return refuse(reply.header('www-authenticate', 'Basic realm="osmo", charset="UTF-8"'), {
        status: 401,
        error:
          'missing or wrong credentials: send Authorization: Basic with any user and the join token (or an API token) as password, or Bearer <token>',
      });
    return refuse(reply, d);
  });
}

export { isLoopback } from '../../shared/net.js';
