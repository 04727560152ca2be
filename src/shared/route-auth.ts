// The auth class a route declares where it is declared (`config: { auth }`), read back
// from the route the router matched. Core and agent share the vocabulary; each decides
// what a class requires (src/core/http/auth.ts, src/agent/http/server.ts); both check the
// bearer token with bearerMatches() below.
import { timingSafeEqual } from 'node:crypto';

export type AuthClass = 'public' | 'client' | 'agent' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call this route; absent = admin, i.e. deny by default */
    auth?: AuthClass;
  }
}

/** constant-time check of an Authorization header against the token */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
