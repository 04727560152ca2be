// Every answer the core gives is documented in its /openapi.json: for each request below
// (the cases a schema-driven fuzzer found undocumented), the status the server really
// answers, and its content type, must be listed for that operation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { tempDir } from '../../../testing/proc.js';

let core: CoreHandle;
type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
let doc: Doc;

before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-rel-openapi-'), processMetrics: false });
  doc = (await (await fetch(`${core.url}/openapi.json`)).json()) as Doc;
});
after(() => core.close());

interface Case {
  /** the operation as /openapi.json names it */
  op: [method: string, path: string];
  request: { method: string; url: string; token?: boolean; body?: unknown; accept?: string };
  status: number;
  contentType: string;
}

const cases: Case[] = [
  { op: ['get', '/api/v1/nodes'], request: { method: 'GET', url: '/api/v1/nodes?bogus=1' }, status: 400, contentType: 'application/json' },
  {
    op: ['get', '/api/v1/instances'],
    request: { method: 'GET', url: '/api/v1/instances?bogus=1' },
    status: 400,
    contentType: 'application/json',
  },
  { op: ['get', '/api/v1/events'], request: { method: 'GET', url: '/api/v1/events?since=' }, status: 400, contentType: 'application/json' },
  {
    op: ['get', '/api/v1/events'],
    request: { method: 'GET', url: '/api/v1/events?follow=false' },
    status: 200,
    contentType: 'application/json',
  },
  { op: ['get', '/api/v1/events'], request: { method: 'GET', url: '/api/v1/events' }, status: 200, contentType: 'text/event-stream' },
  {
    op: ['get', '/api/v1/instances/{id}/logs'],
    request: { method: 'GET', url: '/api/v1/instances/x/logs?bytes=1048577' },
    status: 400,
    contentType: 'application/json',
  },
  {
    op: ['get', '/api/v1/mels/{name}'],
    request: { method: 'GET', url: '/api/v1/mels/Not_A_Name!' },
    status: 400,
    contentType: 'application/json',
  },
  {
    op: ['delete', '/api/v1/mels/{name}'],
    request: { method: 'DELETE', url: '/api/v1/mels/Not_A_Name!' },
    status: 400,
    contentType: 'application/json',
  },
  {
    op: ['post', '/api/v1/agent/events'],
    request: { method: 'POST', url: '/api/v1/agent/events', token: false, body: { events: [] } },
    status: 401,
    contentType: 'application/json',
  },
  {
    op: ['post', '/api/v1/agent/heartbeat'],
    request: { method: 'POST', url: '/api/v1/agent/heartbeat', token: false, body: { id: 'x' } },
    status: 401,
    contentType: 'application/json',
  },
];

test('each status the core answers to these requests is documented for its operation, with its content type', async () => {
  for (const c of cases) {
    const ctl = new AbortController();
    const r = await fetch(`${core.url}${c.request.url}`, {
      method: c.request.method,
      signal: ctl.signal,
      headers: {
        ...(c.request.token === false ? {} : { authorization: `Bearer ${core.token}` }),
        ...(c.request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(c.request.body === undefined ? {} : { body: JSON.stringify(c.request.body) }),
    });
    const what = `${c.request.method} ${c.request.url}`;
    assert.equal(r.status, c.status, what);
    const type = r.headers.get('content-type') ?? '';
    ctl.abort(); // the event stream never ends
    assert.ok(type.startsWith(c.contentType), `${what}: answered ${type}`);
    const op = doc.paths[c.op[1]]?.[c.op[0]];
    assert.ok(op, `${c.op.join(' ')} is in /openapi.json`);
    const documented = op.responses[String(c.status)];
    assert.ok(documented, `${what}: ${c.status} is documented (documented: ${Object.keys(op.responses).join(', ')})`);
    assert.ok(
      documented.content?.[c.contentType],
      `${what}: ${c.status} documents ${c.contentType} (has ${Object.keys(documented.content ?? {}).join(', ')})`,
    );
  }
});
