// The core's error bodies over real HTTP: the same mapping as the agent's (a wrong content
// type or an oversized body is 400 with its code on both), codes kept by the routes' response
// schemas, and the codes published in the OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCore, type CoreHandle } from '../../../src/core/index.js';

let dir: string;
let core: CoreHandle;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osmo-core-codes-'));
  core = await startCore({ listen: '127.0.0.1:0', dataDir: dir, processMetrics: false });
});
after(async () => {
  await core?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { authorization: `Bearer ${core.token}`, ...headers };
  if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  const r = await fetch(`${core.url}${path}`, { method, headers: h, body });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const mel = (name: string) => JSON.stringify({ name, image: 'osmo-test/httpd:1', replicas: 0 });

test('every error body is the seed shape plus the code that goes with its status', async () => {
  assert.equal((await call('POST', '/api/v1/mels', mel('codes-a'))).status, 201);
  const cases: Array<[string, () => ReturnType<typeof call>, number, string]> = [
    [
      'wrong content type',
      () => call('POST', '/api/v1/mels', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      400,
      'OSMO_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'oversized body',
      () => call('POST', '/api/v1/mels', JSON.stringify({ name: 'x', image: 'y', pad: 'z'.repeat(9 * 1024 * 1024) })),
      400,
      'OSMO_BODY_TOO_LARGE',
    ],
    ['broken JSON', () => call('POST', '/api/v1/mels', '{"name":'), 400, 'OSMO_INVALID_JSON'],
    [
      'schema',
      () => call('POST', '/api/v1/mels', JSON.stringify({ name: 'codes-b', image: 'x', replicas: 'three' })),
      400,
      'OSMO_VALIDATION',
    ],
    ['name taken', () => call('POST', '/api/v1/mels', mel('codes-a')), 409, 'OSMO_CONFLICT'],
    // a route whose response schema declares 404: the code must survive serialization
    ['unknown node', () => call('GET', '/api/v1/nodes/nope'), 404, 'OSMO_NOT_FOUND'],
    ['unknown route', () => call('GET', '/api/v2'), 404, 'OSMO_NO_ROUTE'],
    ['bad URL encoding', () => call('GET', '/api/v1/nodes/%ff'), 400, 'OSMO_BAD_REQUEST'],
    ['no token on an admin route', () => call('POST', '/api/v1/agent/register', '{}', { authorization: '' }), 401, 'OSMO_UNAUTHORIZED'],
  ];
  for (const [what, send, status, code] of cases) {
    const r = await send();
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(Object.keys(r.body).sort(), ['code', 'error', 'response', 'status'], what);
    assert.equal(r.body.response, false, what);
    assert.equal(r.body.status, status, what);
    assert.equal(r.body.code, code, `${what}: ${JSON.stringify(r.body)}`);
    assert.ok(typeof r.body.error === 'string' && r.body.error.length > 5, what);
  }
});

test('the OpenAPI document lists the codes an error body may carry', async () => {
  const doc = JSON.stringify(await (await fetch(`${core.url}/openapi.json`)).json());
  for (const code of ['OSMO_NOT_FOUND', 'OSMO_VALIDATION', 'OSMO_ENGINE_UNAVAILABLE']) assert.ok(doc.includes(`"${code}"`), code);
});
