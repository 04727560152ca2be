// The statuses every route can answer besides its own, added to its documented responses
// (the OpenAPI document is the contract a client or fuzzer checks answers against):
//   400 — the route validates params, a query string or a body (zod), so bad input is a 400
//         naming the problem (unknown query keys too: the query schemas are strict); or its
//         method reads a body at all (invalid JSON, a wrong content type, too large: docs/errors.md);
//   401 — any class but `public` can be refused without the right token (src/core/http/auth.ts);
//   503 — a write (any method but GET/HEAD) meets a full data disk: OSMO_STORE_FULL; and any
//         request, reads too, while a PostgreSQL store is out of reach: OSMO_STORE_UNAVAILABLE;
//   409, 422 and the Idempotency-Key header — every POST and PATCH of the client and admin API
//         honours the key (src/core/idempotency/): 409 while the first request with it runs
//         (or when its answer cannot be replayed), 422 when it is reused for another request.
// A route that documents a status itself keeps its own description.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import { ErrorBody, IDEMPOTENCY_KEY_HEADER, IdempotencyKey } from '../../model/index.js';
import { honoursKey } from '../idempotency/hooks.js';

// loose: the validated headers replace the request's, and every other header must stay
const KeyHeader = z.looseObject({ [IDEMPOTENCY_KEY_HEADER]: IdempotencyKey.optional() });

const READS_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Adds the statuses above to every route registered from here on (after defaultAuth, so the class is known). */
export function documentCommonStatuses(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown>; hide?: boolean }) | undefined;
    if (!schema || schema.hide) return;
    const response = (schema.response ??= {});
    const add = (status: number) => {
      if (response[status] === undefined) response[status] = ErrorBody;
    };
    if (schema.params || schema.querystring || schema.body || [route.method].flat().some((m) => READS_BODY.has(m))) add(400);
    const auth = (route.config as { auth?: string } | undefined)?.auth ?? 'admin';
    if (auth !== 'public') add(401);
    if ([route.method].flat().some((m) => honoursKey(m, auth))) {
      schema.headers ??= KeyHeader;
      add(409);
      add(422);
    }
    // no bearer needed: said so, so that a client (or a validating proxy) sends none
    else schema.security ??= [];
    add(503);
  });
}

/**
 * A documented answer whose body is a protocol's own rendering rather than a schema of ours
 * (the OCCI renderings, the Atos SLA formats, files, streams): JSON types take any JSON value,
 * the others a string.
 */
export function renderedAs(description: string, types: readonly string[]) {
  return { description, content: Object.fromEntries(types.map((t) => [t, { schema: /json/.test(t) ? z.unknown() : z.string() }])) };
}

/**
 * Documents every route registered from here on as answering `statuses` in `types` (each
 * status's own entry replaced), for a protocol whose errors are rendered like its answers
 * (the SLA API's XML).
 */
export function documentRendered(app: FastifyInstance, statuses: (method: string) => number[], types: readonly string[]): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown>; hide?: boolean }) | undefined;
    if (!schema || schema.hide) return;
    const response = (schema.response ??= {});
    for (const s of statuses([route.method].flat()[0] ?? 'GET')) response[s] = renderedAs(`see the protocol (${types.join(', ')})`, types);
  });
}
