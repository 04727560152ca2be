// How the core and the agent shed slow and idle clients (docs/reliability.md, "Slow and huge
// clients"; the choice: docs/decisions.md). Node's HTTP server enforces all of it, checking
// its connections every 30 s (its connectionsCheckingInterval), so a socket is closed at
// most ~30 s after its limit passed:
//   - headersTimeout: the request line and headers must have arrived this long after the
//     request began (a slowloris client dribbling headers is closed with 408);
//   - the same bound for a connection that never sends a byte: node's checks only start with
//     a request's first byte, so such a socket would be held forever (10,000 of them cost a
//     server 10,000 file descriptors); we close it ourselves;
//   - requestTimeout: the whole request, body included, within this (a body dribbled slowly);
//   - keepAliveTimeout: an idle keep-alive connection between requests is closed after this;
//   - bodyLimit (each server's own, fastify's option): larger bodies are refused by their
//     Content-Length before they are read, or as soon as a chunked body passes it (400
//     OSMO_BODY_TOO_LARGE, docs/errors.md).
// No connection cap: without a per-client one, a cap lets whoever fills it lock everyone else
// out, while the timeouts above close what an attacker holds open; the process's file
// descriptor limit (ulimit -n, LimitNOFILE) bounds the sockets.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** The core takes app uploads of up to 256 MiB (the cloudlet app repository): a slow edge link needs minutes. */
export const CORE_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 10_000 };
/** The agent's bodies are at most 1 MiB. */
export const AGENT_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 10_000 };

/** The fastify options for these limits (those fastify passes on to the server it creates). */
export const fastifyTimeouts = (l: HttpLimits) => ({ requestTimeout: l.requestTimeoutMs, keepAliveTimeout: l.keepAliveTimeoutMs });

/** Sets them on `app.server` before listen: fastify passes no headersTimeout on, nor anything to a server its serverFactory made (TLS). */
export function applyHttpLimits(server: Server, l: HttpLimits): void {
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.on('connection', (socket: Socket) => {
    // bytesRead counts what the HTTP parser consumed too (it reads the handle directly, so no
    // 'data' listener is needed, which would slow every connection down)
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, l.headersTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
