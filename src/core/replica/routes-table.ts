// The leader's route table, kept in the store for the followers: a follower matches a
// request against the same routes (the same fastify router, the same patterns) and
// authorizes it on the class the matched route declares, as the leader would, before it
// forwards it. The table comes from the leader's own app, so it never drifts from the code.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { AuthClass } from '../../shared/route-auth.js';
import type { Store } from '../../store/index.js';

const KEY = 'core/routes';

export const RouteEntry = z.object({
  method: z.string(),
  url: z.string(),
  auth: z.enum(['public', 'client', 'agent', 'admin']),
  basicAuth: z.boolean().optional(),
});
export type RouteEntry = z.infer<typeof RouteEntry>;

/**
 * Records every route registered on `app` from now on. Read the list once the app is ready:
 * the scopes' own onRoute hooks (default auth classes, basic auth) set a route's config after
 * this one saw it, on the same route object.
 */
export function collectRoutes(app: FastifyInstance): void {
  const seen: RouteOptions[] = [];
  app.addHook('onRoute', (r) => {
    seen.push(r);
  });
  tables.set(app, () => {
    const out = new Map<string, RouteEntry>();
    for (const r of seen) {
      const config = (r.config ?? {}) as { auth?: AuthClass; basicAuth?: boolean };
      for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
        const entry: RouteEntry = { method, url: r.url, auth: config.auth ?? 'admin', ...(config.basicAuth ? { basicAuth: true } : {}) };
        out.set(`${method} ${r.url}`, entry);
      }
    }
    return [...out.values()];
  });
}

const tables = new WeakMap<FastifyInstance, () => RouteEntry[]>();

/** The routes of an app built with collectRoutes() (empty otherwise). */
export function routeTable(app: FastifyInstance): RouteEntry[] {
  return tables.get(app)?.() ?? [];
}

export async function publishRoutes(store: Store, routes: RouteEntry[]): Promise<void> {
  await store.kv.set(KEY, JSON.stringify(routes));
}

/** The table the leader published; undefined before any leader did. */
export async function loadRoutes(store: Store): Promise<RouteEntry[] | undefined> {
  const raw = await store.kv.get(KEY);
  if (raw === undefined) return undefined;
  const r = z.array(RouteEntry).safeParse(JSON.parse(raw));
  return r.success ? r.data : undefined;
}
