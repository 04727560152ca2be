// The core's error handling: the shared mapping (shared/http-errors.ts, the agent uses the
// same), plus a trace of our own bugs. The app runs without a request logger (1,000
// heartbeats/s), so a 500 writes one line to stderr.
import type { FastifyInstance } from 'fastify';
import { installErrorHandlers } from '../../shared/http-errors.js';

export { errorBody } from '../../shared/http-errors.js';

export function installErrorHandling(app: FastifyInstance): void {
  installErrorHandlers(app, (request, d, err) => {
    if (d.status !== 500) return;
    const e = err as Error | undefined;
    process.stderr.write(`osmo core: 500 on ${request.method} ${request.url}: ${e?.stack ?? e?.message ?? String(err)}\n`);
  });
}
