// HttpClient (src/client/http.ts) against an in-process HTTP server: the token header, an
// answer read with its schema, and every failure as one ApiError with a one-line message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { HttpClient, queryString } from '../../../src/client/http.js';
import { ApiError } from '../../../src/client/errors.js';

let server: Server;
let base = '';
const seen: Array<{ method: string; url: string; auth: string | undefined; body: string }> = [];
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end('{"n":1,"extra":true}'),
  '/shape': (_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end('{"n":"one"}'),
  '/conflict': (_q, s) =>
    s
      .writeHead(409, { 'content-type': 'application/json' })
      .end('{"response":false,"status":409,"error":"no destination\\n  accepts it","code":"conflict"}'),
  '/html': (_q, s) => s.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'),
  '/slow': () => undefined, // never answers
};

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      (routes[(req.url ?? '').split('?')[0]!] ?? ((_q, s) => s.writeHead(404).end()))(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const N = z.object({ n: z.number() });

test('sends the bearer token and a JSON body; reads the answer with the schema', async () => {
  const c = new HttpClient('core', { base, token: 's3cret' });
  assert.equal(c.base, base.slice(0, -1), 'a trailing slash is dropped');
  const r = await c.call('PUT', '/ok', { body: { a: 1 }, query: { x: 'y z', skip: undefined, n: 2 }, response: N });
  assert.deepEqual(r, { n: 1 });
  const last = seen.at(-1)!;
  assert.deepEqual(last, { method: 'PUT', url: '/ok?x=y+z&n=2', auth: 'Bearer s3cret', body: '{"a":1}' });
});

test('no token, no authorization header', async () => {
  await new HttpClient('core', { base }).call('GET', '/ok', { response: N });
  assert.equal(seen.at(-1)!.auth, undefined);
});

test("a non-2xx keeps the server's error text and code, in one line", async () => {
  const e = await new HttpClient('core', { base }).call('POST', '/conflict', { response: N }).catch((x: unknown) => x);
  assert.ok(e instanceof ApiError);
  assert.equal(e.kind, 'status');
  assert.equal(e.status, 409);
  assert.equal(e.message, 'POST /conflict: 409 no destination accepts it');
  assert.equal(e.info.code, 'conflict');
  assert.equal(e.info.error, 'no destination\n  accepts it');
});

test('a non-JSON error page is quoted, not parsed', async () => {
  const e = await new HttpClient('agent', { base }).call('GET', '/html', { response: N }).catch((x: unknown) => x);
  assert.ok(e instanceof ApiError);
  assert.equal(e.message, 'GET /html: 502 <h1>Bad Gateway</h1>');
});

test('a 2xx outside the schema is a bad-response naming the field', async () => {
  const e = await new HttpClient('agent', { base }).call('GET', '/shape', { response: N }).catch((x: unknown) => x);
  assert.ok(e instanceof ApiError);
  assert.equal(e.kind, 'bad-response');
  assert.match(e.message, /^GET \/shape: the agent answered 200 with an unexpected body \(n: /);
});

test('no answer in time is a timeout; nothing listening is unreachable', async () => {
  const slow = await new HttpClient('core', { base, timeoutMs: 200 }).call('GET', '/slow', { response: N }).catch((x: unknown) => x);
  assert.ok(slow instanceof ApiError);
  assert.equal(slow.kind, 'timeout');
  assert.match(slow.message, /^GET \/slow: no answer from the core at http:\/\/127\.0\.0\.1:\d+ within 200 ms$/);

  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const a = probe.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  await new Promise<void>((r) => probe.close(() => r()));
  const down = await new HttpClient('core', { base: `http://127.0.0.1:${port}` })
    .call('GET', '/x', { response: N })
    .catch((x: unknown) => x);
  assert.ok(down instanceof ApiError);
  assert.equal(down.kind, 'unreachable');
  assert.equal(down.message, `cannot reach the core at http://127.0.0.1:${port} (ECONNREFUSED)`);
});

test('queryString drops undefined entries and is empty when nothing is left', () => {
  assert.equal(queryString(undefined), '');
  assert.equal(queryString({ a: undefined }), '');
  assert.equal(queryString({ a: 1, b: true, c: 'x&y' }), '?a=1&b=true&c=x%26y');
});
