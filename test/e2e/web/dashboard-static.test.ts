// The dashboard plugin on a real fastify server over HTTP: the built app at `/`, hashed
// assets with long caching, client-side routes falling back to index.html, and API
// paths left alone (no catch-all that would turn an unknown API call into a web page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardRoutes, findDashboardDir } from '../../../src/core/dashboard/routes.js';
import { ROOT, tempDir } from '../../../testing/proc.js';

let app: FastifyInstance;
let base: string;

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist/web/index.html')), 'dist/web is built (npm run build)');
  app = Fastify();
  app.get('/api/v1/nodes', async () => ({ nodes: [] }));
  await app.register(dashboardRoutes);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(() => app.close());

test('finds the built dashboard next to the sources', () => {
  assert.equal(findDashboardDir(), join(ROOT, 'dist/web'));
});

test('/ serves the app shell, not cached', async () => {
  const r = await fetch(`${base}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/html/);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  const html = await r.text();
  assert.match(html, /<div id="app">/);
  assert.match(html, /\/assets\/index-[\w-]+\.js/);
});

test('hashed assets are served with immutable caching and the right type', async () => {
  const files = readdirSync(join(ROOT, 'dist/web/assets'));
  const js = files.find((f) => f.endsWith('.js'));
  assert.ok(js);
  const r = await fetch(`${base}/assets/${js}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /javascript/);
  assert.match(r.headers.get('cache-control') ?? '', /immutable/);
});

test('client-side routes under /ui/ fall back to index.html', async () => {
  for (const p of ['/ui', '/ui/services', '/ui/metrics?node=a&target=host']) {
    const r = await fetch(`${base}${p}`);
    assert.equal(r.status, 200, p);
    assert.match(await r.text(), /<div id="app">/, p);
  }
});

test('API and unknown paths are not swallowed by the dashboard', async () => {
  const api = await fetch(`${base}/api/v1/nodes`);
  assert.deepEqual(await api.json(), { nodes: [] });
  const missing = await fetch(`${base}/api/v1/nope`);
  assert.equal(missing.status, 404);
  assert.doesNotMatch(await missing.text(), /<div id="app">/);
  const asset = await fetch(`${base}/assets/nope.js`);
  assert.equal(asset.status, 404);
});

test('without a build, / explains how to make one instead of failing', async () => {
  const none = Fastify();
  await none.register(dashboardRoutes, { dir: tempDir('osmo-web-none-') });
  const url = await none.listen({ host: '127.0.0.1', port: 0 });
  try {
    const r = await fetch(`${url}/`);
    assert.equal(r.status, 503);
    assert.match(await r.text(), /npm run build/);
    assert.equal((await fetch(`${url}/ui/services`)).status, 503);
  } finally {
    await none.close();
  }
});

test('a rebuild under a running core is served at once (files are read per request)', async () => {
  const dir = tempDir('osmo-web-rebuild-');
  cpSync(join(ROOT, 'dist/web'), dir, { recursive: true });
  const a = Fastify();
  await a.register(dashboardRoutes, { dir });
  const url = await a.listen({ host: '127.0.0.1', port: 0 });
  try {
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'assets', 'index-new.js'), 'export {};');
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div><script type="module" src="/assets/index-new.js"></script>');
    assert.equal((await fetch(`${url}/assets/index-new.js`)).status, 200);
    assert.match(await (await fetch(`${url}/ui/events`)).text(), /index-new\.js/);
  } finally {
    await a.close();
  }
});

test('bundles go out pre-compressed to browsers that accept it, plain to others', async () => {
  const { request } = await import('node:http');
  const { brotliDecompressSync } = await import('node:zlib');
  const js = readdirSync(join(ROOT, 'dist/web/assets')).find((f) => f.startsWith('index-') && f.endsWith('.js'));
  assert.ok(js);
  const get = (encoding: string | undefined) =>
    new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request(`${base}/assets/${js}`, { headers: encoding ? { 'accept-encoding': encoding } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  const plain = await get(undefined);
  assert.equal(plain.headers['content-encoding'], undefined);
  const br = await get('gzip, deflate, br');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.ok(br.body.length < plain.body.length / 2, `${br.body.length} vs ${plain.body.length}`);
  assert.deepEqual(brotliDecompressSync(br.body), plain.body);
  assert.match(String(br.headers['cache-control']), /immutable/);
});
