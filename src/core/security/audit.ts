// The audit trail: every call that changes something (any method but GET/HEAD/OPTIONS)
// becomes an `audit` event naming who made it — the token's subject, never the token. Calls
// refused for want of any valid token (401) are not logged: anyone can make them, and a
// flood of them must not flood the log. The agent protocol's steady traffic (heartbeats,
// event batches) is not either: registration is, and the data itself is in the log already.
import type { FastifyInstance } from 'fastify';
import type { EventLog } from '../events/service.js';
import { isSafeMethod } from '../http/auth.js';

const CHATTER = new Set(['/api/v1/agent/heartbeat', '/api/v1/agent/events']);

export function installAudit(app: FastifyInstance, events: EventLog): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    if (isSafeMethod(req.method) || route === undefined || CHATTER.has(route)) return;
    const subject = req.principal?.subject ?? req.refusedSubject;
    if (subject === undefined) return;
    const node = req.principal?.kind === 'node' ? req.principal.node : null;
    await events
      .core('audit', node, { subject, method: req.method, route, path: req.url.split('?')[0]!.slice(0, 512), status: reply.statusCode })
      .catch((e: unknown) => process.stderr.write(`osmo core: audit event not stored: ${(e as Error).message}\n`));
  });
}
