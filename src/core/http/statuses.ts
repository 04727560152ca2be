// The statuses every route can answer besides its own, added to its documented responses
// (the OpenAPI document is the contract a client or fuzzer checks answers against):
//   400 — the route validates params, a query string or a body (zod), so bad input is a 400
//         naming the problem (unknown query keys too: the query schemas are strict);
//   401 — any class but `public` can be refused without the right token (src/core/http/auth.ts);
//   503 — a write (any method but GET/HEAD) meets a full data disk: OSMO_STORE_FULL; and any
//         request, reads too, while a PostgreSQL store is out of reach: OSMO_STORE_UNAVAILABLE.
// A route that documents a status itself keeps its own description.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorBody } from '../../model/index.js';

/** Adds the statuses above to every route registered from here on (after defaultAuth, so the class is known). */
export function documentCommonStatuses(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown>; hide?: boolean }) | undefined;
    if (!schema || schema.hide) return;
    const response = (schema.response ??= {});
    const add = (status: number) => {
      if (response[status] === undefined) response[status] = ErrorBody;
    };
    if (schema.params || schema.querystring || schema.body) add(400);
    const auth = (route.config as { auth?: string } | undefined)?.auth ?? 'admin';
    if (auth !== 'public') add(401);
    add(503);
  });
}
