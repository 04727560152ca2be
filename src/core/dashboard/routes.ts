// Serves the web dashboard (built by `npm run build` into dist/web/) as static files:
// `/` and `/index.html` give the app, `/assets/*` its hashed bundles, and any `/ui/*`
// path gives index.html too so a reload or a shared link of a client-side route works.
// Nothing else is claimed: an unknown API path stays the core's JSON 404.
// Nothing is built at run time: without a build, `/` says how to make one.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreRoutes } from '../module.js';

export interface DashboardOptions {
  /** directory holding the built index.html (default: dist/web of this package) */
  dir?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** dist/core/dashboard -> dist/web when compiled; src/core/dashboard -> dist/web when run from source. */
export function findDashboardDir(): string | undefined {
  const candidates = [join(here, '..', '..', 'web'), join(here, '..', '..', '..', 'dist', 'web')];
  return candidates.find((d) => existsSync(join(d, 'index.html')));
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>osmo</title>
<p>The osmo dashboard is not built in this checkout. Run <code>npm run build</code> and restart,
or use the REST API at <a href="/docs">/docs</a>.</p>`;

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app: FastifyInstance, opts) => {
  const dir = opts.dir === undefined ? findDashboardDir() : existsSync(join(opts.dir, 'index.html')) ? opts.dir : undefined;
  if (!dir) {
    const notBuilt = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    app.get('/', { schema: { hide: true } }, notBuilt);
    app.get('/ui/*', { schema: { hide: true } }, notBuilt);
    return;
  }
  // Only /assets/* is a file tree (read at request time, so a rebuild under a running
  // core is served at once); every page path answers with index.html.
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    index: false,
    schemaHide: true,
    cacheControl: false,
    // the build writes .br/.gz beside each bundle: sent when the browser accepts them
    preCompressed: true,
    // bundles carry a content hash in their name: they never change
    setHeaders: (res) => {
      res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  // index.html must be re-read after an upgrade, hence no-cache
  const page = async (_req: FastifyRequest, reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html', dir);
  for (const path of ['/', '/index.html', '/ui', '/ui/*']) app.get(path, { schema: { hide: true } }, page);
};

/** The core's route module: the dashboard from this package's build. */
const dashboard: CoreRoutes<never> = async (app) => {
  await app.register(dashboardRoutes);
};

export default dashboard;
