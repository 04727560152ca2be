// Bearer-token checks. Agent endpoints always need the join token. The client API is
// open on a loopback listen address (like Docker's local socket: whoever can reach it
// already runs on this machine) and needs the token otherwise. Health, the OpenAPI
// document and the UI shell are always open; the data behind them is not.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

const ALWAYS_OPEN = [/^\/healthz$/, /^\/openapi\.json$/, /^\/docs(\/|$)/];

export function tokenMatches(req: FastifyRequest, token: string): boolean {
  const h = req.headers.authorization;
  if (!h || !h.startsWith('Bearer ')) return false;
  const a = Buffer.from(h.slice(7).trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function installAuth(app: FastifyInstance, token: string, openClientApi: boolean): void {
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const agentPath = path.startsWith('/api/v1/agent/');
    if (!agentPath) {
      if (openClientApi) return;
      if (!path.startsWith('/api/') && !path.startsWith('/metrics')) return;
      if (ALWAYS_OPEN.some((r) => r.test(path))) return;
    }
    if (!tokenMatches(req, token)) {
      return reply.status(401).send(errorBody(401, 'missing or wrong token: send Authorization: Bearer <join token> (from <data-dir>/join-token)'));
    }
  });
}


export { isLoopback } from '../../shared/net.js';
