// The agent's error bodies over real HTTP: the seed's fields verbatim plus a stable `code`,
// for body mistakes, missing things, refused options, an unknown route, a missing token and
// an engine that is not there (a Docker socket path nothing listens on: the engine is really
// unreachable, nothing is faked).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { DockerRuntime } from '../../../src/runtime/docker.js';

const TOKEN = 'error-codes-token';
let dir: string;
let agent: RunningAgent;
let runtime: DockerRuntime;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osmo-agent-codes-'));
  runtime = new DockerRuntime({ nodeId: 'codes', docker: new Docker({ socketPath: join(dir, 'no-engine.sock') }) });
  agent = await startAgent({
    listen: '127.0.0.1:0',
    nodeId: 'codes',
    dataDir: join(dir, 'agent'),
    token: TOKEN,
    runtime,
    logLevel: 'silent',
  });
});
after(async () => {
  await agent?.close();
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...headers };
  if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  const r = await fetch(`${agent.url}${path}`, { method, headers: h, body });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

test('every error body is the seed shape plus the code that goes with its status', async () => {
  const cases: Array<[string, Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
    [
      'wrong content type',
      call('PUT', '/api/v1/deploy', 'image=x&name=y', { 'content-type': 'application/x-www-form-urlencoded' }),
      400,
      'OSMO_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'oversized body',
      call('PUT', '/api/v1/deploy', JSON.stringify({ image: 'x', name: 'y', pad: 'z'.repeat(2 * 1024 * 1024) })),
      400,
      'OSMO_BODY_TOO_LARGE',
    ],
    ['broken JSON', call('PUT', '/api/v1/deploy', '{"image":'), 400, 'OSMO_INVALID_JSON'],
    ['schema', call('PUT', '/api/v1/deploy', JSON.stringify({ image: 'x', name: 5 })), 400, 'OSMO_VALIDATION'],
    [
      'privileged without the flag',
      call('PUT', '/api/v1/deploy', JSON.stringify({ image: 'osmo-test/busybox:1', name: 'codes-p', privileged: true })),
      403,
      'OSMO_FORBIDDEN',
    ],
    ['monitor not running', call('DELETE', '/api/v1/monitor/cpu', JSON.stringify({ source: 'host' })), 404, 'OSMO_NOT_FOUND'],
    ['unknown route', call('GET', '/api/v2'), 404, 'OSMO_NO_ROUTE'],
    ['bad URL encoding', call('GET', '/api/v1/deploy/%ff'), 400, 'OSMO_BAD_REQUEST'],
    ['no token', call('GET', '/api/v1/deploy', undefined, { authorization: '' }), 401, 'OSMO_UNAUTHORIZED'],
    [
      'engine down',
      call('PUT', '/api/v1/deploy', JSON.stringify({ image: 'osmo-test/busybox:1', name: 'codes-e' })),
      503,
      'OSMO_ENGINE_UNAVAILABLE',
    ],
  ];
  for (const [what, p, status, code] of cases) {
    const r = await p;
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(Object.keys(r.body).sort(), ['code', 'error', 'response', 'status'], what);
    assert.equal(r.body.response, false, what);
    assert.equal(r.body.status, status, what);
    assert.equal(r.body.code, code, `${what}: ${JSON.stringify(r.body)}`);
    assert.ok(typeof r.body.error === 'string' && r.body.error.length > 5, what);
  }
});
