// The Idempotency-Key header on the core's API. Honoured on every POST and PATCH of the
// client and admin API (docs/decisions.md says why not only on the writes that are unsafe to
// repeat); ignored on GET, PUT and DELETE (a repeat of those is already safe), on the agent
// protocol (its own keys: node id and event seq) and on public routes. The key is checked in
// preValidation (a bad one is a 400 of its own, before the body's), reserved in preHandler
// (after the body validated: a request refused for its body leaves the key free), and its
// answer kept in onSend (before the answer leaves: an answer the client saw is stored).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKey } from '../../model/index.js';
import { errorBody } from '../http/errors.js';
import { authClassOf, type Principal } from '../http/auth.js';
import { fingerprintOf, keptBody, type Keyed } from './decide.js';
import type { Idempotency } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the request's idempotency key, when it sent one on a route that honours it */
    idempotency?: Keyed & { held: boolean };
  }
}

const HONOURED_METHODS = new Set(['POST', 'PATCH']);

/** A route that honours the key: a POST or PATCH of the client or admin API. */
export function honoursKey(method: string, auth: string): boolean {
  return HONOURED_METHODS.has(method.toUpperCase()) && (auth === 'client' || auth === 'admin');
}

/** Keys are per caller: one token's key is not another's. A token by its id (a name may be reused after a revoke). */
export function principalId(p: Principal): string {
  return p.kind === 'token' ? `token:${p.id}` : p.subject;
}

function refuseKey(reply: FastifyReply, why: string) {
  return reply.status(400).send(errorBody('OSMO_IDEMPOTENCY_KEY_INVALID', `Idempotency-Key: ${why}`));
}

export function installIdempotency(app: FastifyInstance, svc: Idempotency): void {
  app.decorateRequest('idempotency', undefined);

  app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.headers[IDEMPOTENCY_KEY_HEADER];
    if (raw === undefined || req.routeOptions.url === undefined || !req.principal) return;
    if (!honoursKey(req.method, authClassOf(req))) return;
    if (Array.isArray(raw)) return refuseKey(reply, 'send the header once');
    const key = IdempotencyKey.safeParse(raw);
    if (!key.success) return refuseKey(reply, key.error.issues[0]?.message ?? 'invalid');
    req.idempotency = {
      principal: principalId(req.principal),
      key: key.data,
      method: req.method,
      path: req.url,
      fingerprint: fingerprintOf(req.body, req.headers),
      held: false,
    };
  });

  app.addHook('preHandler', async (req, reply) => {
    const k = req.idempotency;
    if (!k) return;
    const v = await svc.begin(k);
    switch (v.kind) {
      case 'go':
        k.held = true;
        return;
      case 'replay':
        if (v.contentType) void reply.header('content-type', v.contentType);
        return reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true').status(v.status).send(Buffer.from(v.body, 'utf8'));
      case 'mismatch':
        return reply.status(422).send(errorBody('OSMO_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${k.key}": ${v.why}; use a new key`));
      case 'in-flight':
        return reply
          .header('retry-after', '1')
          .status(409)
          .send(
            errorBody(
              'OSMO_IDEMPOTENCY_IN_FLIGHT',
              `Idempotency-Key "${k.key}": the first request with this key is still running; retry shortly`,
            ),
          );
      case 'not-replayable':
        return reply
          .status(409)
          .send(errorBody('OSMO_IDEMPOTENCY_NOT_REPLAYABLE', `Idempotency-Key "${k.key}": ${v.why}; check the state, then use a new key`));
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const k = req.idempotency;
    if (!k?.held) return payload;
    k.held = false;
    const status = reply.statusCode;
    const type = reply.getHeader('content-type');
    const answer =
      status < 500
        ? { status, contentType: typeof type === 'string' ? type : null, body: keptBody(payload, svc.maxAnswerBytes) }
        : undefined;
    try {
      await svc.finish(k, answer);
    } catch (e) {
      // the write is done and answered; the key stays reserved (a repeat is told the outcome is unknown)
      process.emitWarning(`idempotency key ${k.key}: its answer could not be stored: ${(e as Error).message}`);
    }
    return payload;
  });

  // a request that ended without onSend (the connection dropped before a reply was made)
  app.addHook('onResponse', async (req) => {
    if (req.idempotency?.held) svc.forget(req.idempotency);
  });
}
