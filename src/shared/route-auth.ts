// The auth class a route declares where it is declared (`config: { auth }`), read back
// from the route the router matched. Core and agent share the vocabulary; each decides
// what a class requires (src/core/http/auth.ts, src/agent/http/server.ts).
export type AuthClass = 'public' | 'client' | 'agent' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call this route; absent = admin, i.e. deny by default */
    auth?: AuthClass;
  }
}
