// Scoped API tokens against a real core process. The list of mutating operations is read
// from the core's own /openapi.json (every POST, PUT, PATCH and DELETE it documents), not
// written here, so a route added later is covered without touching this file. A read-only
// token gets 403 on each and nothing changes; it reads what an admin token reads; every
// change through the API lands in the audit trail with the token's subject.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { spawnOsmo } from '../../../testing/proc.js';

const RUN = process.pid.toString(36);
const MEL = `sec-${RUN}-mel`;
let core: CoreProc;
let readOnly: string;
let admin: string;
const secrets: string[] = [];

before(async () => {
  core = await spawnCore();
  secrets.push(core.token);
});
after(async () => {
  await core?.proc.stop();
});

async function call(method: string, path: string, token: string | undefined, body?: string) {
  const ac = new AbortController();
  const r = await fetch(`${core.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
    signal: ac.signal,
  });
  // an event stream never ends: its status is all that is wanted
  if (r.headers.get('content-type')?.includes('event-stream')) {
    ac.abort();
    return { status: r.status, json: {} as Record<string, unknown> };
  }
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    /* a text body (metrics, html) */
  }
  return { status: r.status, json };
}

/** Run `osmo <args>` against the core; its stdout. */
async function cli(args: string[], token = core.token): Promise<string> {
  const p = spawnOsmo([...args, '--core', core.url, '--token', token]);
  const code = await p.exit(60_000);
  assert.equal(code, 0, `osmo ${args.join(' ')}: ${p.output()}`);
  return p.output();
}

const fill = (path: string) =>
  path
    .replace(/\{name\}/g, MEL)
    .replace(/\{id\}/g, `sec-${RUN}-x`)
    .replace(/\{[^}]+\}/g, 'x');

async function operations(): Promise<Array<{ method: string; path: string }>> {
  const doc = (await call('GET', '/openapi.json', undefined)).json as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => ({ method: m.toUpperCase(), path })),
  );
}

/** Everything a mutation could change, as an admin reads it. */
async function snapshot(): Promise<string> {
  const parts = [];
  for (const p of ['/api/v1/nodes', '/api/v1/mels', '/api/v1/instances', '/api/v1/tokens', '/api/v1/policies'])
    parts.push(JSON.stringify((await call('GET', p, core.token)).json));
  parts.push(readFileSync(join(core.dataDir, 'join-token'), 'utf8'));
  return parts.join('\n');
}

test('osmo token create / ls: the secret is printed once, listings never show it', async () => {
  readOnly = (await cli(['token', 'create', '--scope', 'read-only', '--name', `ro-${RUN}`])).trim().split('\n')[0]!;
  admin = (await cli(['token', 'create', '--scope', 'admin', '--name', `ops-${RUN}`])).trim().split('\n')[0]!;
  secrets.push(readOnly, admin);
  assert.match(readOnly, /^osmot_[0-9a-f]{12}_/);
  const ls = await cli(['token', 'ls', '--json']);
  const tokens = (JSON.parse(ls) as { tokens: Array<{ name: string; scope: string }> }).tokens;
  assert.deepEqual(
    tokens.map((t) => [t.name, t.scope]).sort((a, b) => a[0]!.localeCompare(b[0]!)),
    [
      [`ops-${RUN}`, 'admin'],
      [`ro-${RUN}`, 'read-only'],
    ],
  );
  for (const s of secrets) assert.ok(!ls.includes(s), 'no secret in the listing');
  const db =
    readFileSync(join(core.dataDir, 'osmo.db')).toString('latin1') + readFileSync(join(core.dataDir, 'osmo.db-wal')).toString('latin1');
  assert.ok(!db.includes(readOnly) && !db.includes(admin), 'tokens are stored hashed');
});

test('a read-only token: 403 on every mutating operation of /openapi.json, nothing changes', async () => {
  // something to change: a MEL with no replicas, made with the admin token
  const made = await call('POST', '/api/v1/mels', admin, JSON.stringify({ name: MEL, image: 'osmo-test/busybox:1', replicas: 0 }));
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const before = await snapshot();
  const mutating = (await operations()).filter((o) => o.method !== 'GET');
  assert.ok(mutating.length >= 25, `mutating operations found: ${mutating.length}`);
  for (const { method, path } of mutating) {
    const r = await call(method, fill(path), readOnly, method === 'DELETE' ? undefined : '{}');
    assert.equal(r.status, 403, `${method} ${path} -> ${r.status} ${JSON.stringify(r.json)}`);
    assert.equal(r.json.code, 'OSMO_FORBIDDEN');
  }
  assert.equal(await snapshot(), before, 'nothing changed');
});

test('a read-only token reads what an admin token reads (200)', async () => {
  // the agent protocol (/api/v1/agent/*, e.g. a cloudlet reading the catalog) takes node credentials, never API tokens
  const reads = (await operations()).filter((o) => o.method === 'GET' && !o.path.startsWith('/api/v1/agent/'));
  let ok = 0;
  for (const { path } of reads) {
    const p = fill(path);
    const asAdmin = await call('GET', p, admin);
    const asReader = await call('GET', p, readOnly);
    assert.equal(asReader.status, asAdmin.status, `GET ${path}: read-only ${asReader.status}, admin ${asAdmin.status}`);
    assert.ok(asReader.status !== 401 && asReader.status !== 403, `GET ${path} -> ${asReader.status}`);
    if (asReader.status === 200) ok++;
  }
  assert.ok(ok >= 15, `reads answered 200: ${ok}`);
});

test('revoked tokens are refused from the next request on', async () => {
  const t = (await cli(['token', 'create', '--scope', 'admin', '--name', `tmp-${RUN}`])).trim().split('\n')[0]!;
  secrets.push(t);
  assert.equal((await call('GET', '/api/v1/tokens', t)).status, 200);
  await cli(['token', 'revoke', `tmp-${RUN}`]);
  assert.equal((await call('GET', '/api/v1/tokens', t)).status, 401);
});

test('every mutating call is in the audit trail with its subject; refused ones too', async () => {
  const scaled = await call('POST', `/api/v1/mels/${MEL}/scale`, admin, JSON.stringify({ replicas: 0 }));
  assert.ok(scaled.status < 500, JSON.stringify(scaled.json));
  const r = await call('GET', '/api/v1/events?follow=false&type=audit&limit=10000', core.token);
  const audit = r.json.events as Array<{ type: string; data: { subject: string; method: string; route: string; status: number } }>;
  assert.ok(audit.every((e) => e.type === 'audit'));
  const has = (subject: string, method: string, route: string, status?: number) =>
    audit.some(
      (e) =>
        e.data.subject === subject &&
        e.data.method === method &&
        e.data.route === route &&
        (status === undefined || e.data.status === status),
    );
  assert.ok(has(`token:ops-${RUN}`, 'POST', '/api/v1/mels', 201), 'the MEL made with the admin token');
  assert.ok(has(`token:ops-${RUN}`, 'POST', '/api/v1/mels/:name/scale'), 'the scale');
  assert.ok(has('join-token', 'POST', '/api/v1/tokens', 201), 'the tokens made with the join token');
  assert.ok(has('join-token', 'DELETE', '/api/v1/tokens/:id', 200), 'the revocation');
  assert.ok(has(`token:ro-${RUN}`, 'DELETE', '/api/v1/mels/:name', 403), "the read-only token's refused attempt");
  // the CLI's filter is the API's: `osmo events --type audit` streams these
  const json = JSON.stringify(audit);
  for (const s of secrets) assert.ok(!json.includes(s), 'no secret in an audit event');
});

test('no secret in the core log', () => {
  const log = core.proc.output();
  for (const s of secrets) assert.ok(!log.includes(s), `a secret (${s.slice(0, 6)}…) is in the core log`);
});
