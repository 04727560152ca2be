// The agent serves its own OpenAPI document, generated from the zod schemas its routes validate
// with: public even when a token is required, every route in it, and the statuses a route can
// answer listed with their content types (the fuzz test, test/e2e/reliability/openapi-fuzz.test.ts,
// holds the answers to it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { tempDir } from '../../../testing/proc.js';

type Op = { responses: Record<string, { content?: Record<string, unknown> }> };
let agent: RunningAgent;
let doc: { info: { title: string }; paths: Record<string, Record<string, Op>> };

before(async () => {
  agent = await startAgent({
    listen: '127.0.0.1:0',
    nodeId: 'fuzz-unit-openapi',
    driver: 'process',
    dataDir: tempDir('osmo-agent-openapi-'),
    token: 'fuzz-unit-token',
    logger: pino({ level: 'silent' }),
  });
  const r = await fetch(`${agent.url}/openapi.json`);
  assert.equal(r.status, 200, 'the document needs no token');
  doc = (await r.json()) as typeof doc;
});
after(() => agent.close());

test('the agent documents the seed API and its extensions', () => {
  assert.match(doc.info.title, /agent/);
  const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
  for (const op of [
    'GET /api/v1',
    'PUT /api/v1/deploy',
    'DELETE /api/v1/deploy',
    'PUT /api/v1/monitor/{option}',
    'DELETE /api/v1/monitor/{option}',
    'GET /api/v1/events',
    'GET /metrics',
    'GET /healthz',
  ])
    assert.ok(ops.includes(op), `${op} in ${ops.join(', ')}`);
  assert.ok(!ops.includes('GET /openapi.json'), 'the document does not describe itself');
});

test('each status a route can answer is listed with its content type', () => {
  const deploy = doc.paths['/api/v1/deploy']!.put!;
  assert.deepEqual(Object.keys(deploy.responses).sort(), ['200', '400', '401', '403', '404', '409', '503']);
  for (const r of Object.values(deploy.responses)) assert.ok(r.content?.['application/json']);
  assert.ok(doc.paths['/api/v1/events']!.get!.responses['200']!.content?.['text/event-stream']);
  assert.ok(doc.paths['/metrics']!.get!.responses['200']!.content?.['text/plain']);
  // public: no token to refuse
  assert.equal(doc.paths['/healthz']!.get!.responses['401'], undefined);
  assert.deepEqual((doc.paths['/healthz']!.get as Op & { security?: unknown }).security, []);
});
