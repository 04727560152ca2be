// Bad input on every endpoint of the core: 4xx with a message, never a 500.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { tempDir } from '../../../testing/proc.js';

let core: CoreHandle;
before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-co-fuzz-'), processMetrics: false });
  const r = await fetch(`${core.url}/api/v1/mels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'co-fz', image: 'x', replicas: 0 }),
  });
  assert.equal(r.status, 201);
});
after(async () => core.close());

/** every route the app knows, from its own OpenAPI document */
async function routes(): Promise<Array<{ method: string; path: string }>> {
  const doc = (await (await fetch(`${core.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
}

const fill = (path: string, v: string) => path.replace(/\{[^}]+\}/g, encodeURIComponent(v));

async function send(
  method: string,
  url: string,
  body: string | undefined,
  auth: boolean,
  ctype = 'application/json',
): Promise<{ status: number; json: { error?: string; message?: string } | null }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = ctype;
  if (auth) headers.authorization = `Bearer ${core.token}`;
  const ac = new AbortController();
  const r = await fetch(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body, signal: ac.signal });
  if (r.headers.get('content-type')?.includes('event-stream')) {
    ac.abort();
    return { status: r.status, json: null };
  }
  const text = await r.text();
  let json: { error?: string; message?: string } | null;
  try {
    json = JSON.parse(text) as { error?: string; message?: string };
  } catch {
    json = null;
  }
  return { status: r.status, json };
}

const junkBodies = [
  '',
  '{',
  'null',
  '[]',
  '"x"',
  '42',
  '{"name": 5}',
  '{"replicas": -1}',
  '{"image": ""}',
  '{"id": "", "events": "x"}',
  '{"__proto__": {"a": 1}}',
  JSON.stringify({ name: 'co-fz', image: 'x', replicas: 1e12 }),
  JSON.stringify({ node: 'nope', events: [{ type: 'zzz' }] }),
];

test('hand-picked junk on every route: never a 500, errors carry a message', async () => {
  const rs = await routes();
  assert.ok(rs.length >= 15, `routes: ${rs.length}`);
  for (const { method, path } of rs) {
    for (const seg of ['co-fz', 'nope', '%00', 'a'.repeat(300)]) {
      for (const q of ['', '?state=zzz', '?from=abc', '?since=yesterday-ish', '?limit=-4', '?follow=maybe', '?type=A,B', '?step=1']) {
        for (const body of method === 'GET' || method === 'DELETE' ? [undefined] : junkBodies) {
          const url = `${core.url}${fill(path, seg)}${q}`;
          const r = await send(method, url, body, true);
          assert.ok(r.status < 500, `${method} ${url} ${body ?? ''} -> ${r.status} ${JSON.stringify(r.json)}`);
          // the SLA API answers errors in the Atos SLA core's shape {code, message}, so its clients work unchanged
          const message = path.startsWith('/sla-service/') ? (r.json?.message ?? r.json?.error) : r.json?.error;
          if (r.status >= 400) assert.ok(typeof message === 'string' && message.length > 3, `${method} ${url}: error message`);
        }
      }
    }
  }
});

test('random JSON bodies on every write route: never a 500', async () => {
  const rs = (await routes()).filter((r) => r.method === 'POST' || r.method === 'PUT');
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...rs), fc.json(), fc.constantFrom('co-fz', 'zz'), async (route, body, seg) => {
      const r = await send(route.method, `${core.url}${fill(route.path, seg)}`, body, true);
      assert.ok(r.status < 500, `${route.method} ${route.path} ${body} -> ${r.status} ${JSON.stringify(r.json)}`);
    }),
    { numRuns: 300 },
  );
});

test('wrong content type and missing token are client errors', async () => {
  const ct = await send('POST', `${core.url}/api/v1/mels`, 'name=x', true, 'application/x-www-form-urlencoded');
  // 400 like the agent (the seed's "bad body -> 400"); the code says which mistake
  assert.equal(ct.status, 400);
  assert.equal((ct.json as { code?: string } | null)?.code, 'OSMO_UNSUPPORTED_MEDIA_TYPE');
  const noTok = await send('POST', `${core.url}/api/v1/agent/register`, '{}', false);
  assert.equal(noTok.status, 401);
});

test('validation messages name the field', async () => {
  const r = await send('POST', `${core.url}/api/v1/mels`, JSON.stringify({ name: 'co-ok', image: 'x', replicas: 'three' }), true);
  assert.equal(r.status, 400);
  assert.match(r.json!.error!, /replicas/);
  await send('POST', `${core.url}/api/v1/mels`, JSON.stringify({ name: 'co-fz2', image: 'x', replicas: 0 }), true);
  const c = await send('POST', `${core.url}/api/v1/mels`, JSON.stringify({ name: 'co-fz2', image: 'x' }), true);
  assert.equal(c.status, 409);
  assert.match(c.json!.error!, /already exists/);
  const nf = await send('POST', `${core.url}/api/v1/mels/co-nope/scale`, JSON.stringify({ replicas: 1 }), true);
  assert.equal(nf.status, 404);
  const mismatch = await send('PUT', `${core.url}/api/v1/mels/co-fz2`, JSON.stringify({ name: 'other', image: 'x' }), true);
  assert.equal(mismatch.status, 400);
  assert.match(mismatch.json!.error!, /body\.name/);
});
