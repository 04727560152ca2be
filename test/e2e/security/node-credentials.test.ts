// Per-node credentials with real processes (a core and `osmo agent` children, process driver):
// an agent joins with the join token and from then on speaks with its own credential; one
// node cannot speak for another; a revoked node is cut off and goes down; a rotated join
// token admits new nodes while joined ones keep working; registration checks the address it
// is given; and no secret ever shows up in a process's log.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';
import { eventually, spawnOsmo, type OsmoProcess } from '../../../testing/proc.js';

const RUN = process.pid.toString(36);
const A = `sec-${RUN}-a`;
const B = `sec-${RUN}-b`;
const C = `sec-${RUN}-c`;
const D = `sec-${RUN}-d`;

const procs: OsmoProcess[] = [];
const secrets: string[] = [];
after(async () => {
  for (const p of procs.reverse()) await p.stop();
});

let core: CoreProc;
const agents = new Map<string, AgentProc>();

async function call(path: string, token: string | undefined, method = 'GET', body?: unknown) {
  const r = await fetch(`${core.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

type NodeV = { id: string; status: string; lastHeartbeat: string; address: string };
async function node(id: string, token = core.token): Promise<NodeV | undefined> {
  const r = await call(`/api/v1/nodes/${id}`, token);
  return r.status === 200 ? (r.json as unknown as NodeV) : undefined;
}

async function ready(id: string, token = core.token) {
  return eventually(async () => (await node(id, token))?.status === 'ready', 60_000, `${id} ready`);
}

async function agent(id: string, c: CoreProc = core, reuse?: AgentProc): Promise<AgentProc> {
  const a = await spawnAgent(c, id, 'edge', 'sec', ['--driver', 'process'], reuse);
  procs.push(a.proc);
  agents.set(id, a);
  return a;
}

const credentialOf = (a: AgentProc) =>
  JSON.parse(readFileSync(join(a.dataDir, 'node-credential.json'), 'utf8')) as { node: string; credential: string; agentToken: string };

const registration = (id: string, address: string) => ({
  id,
  address,
  layer: 'edge',
  domain: 'sec',
  capacity: { cpus: 1, memoryBytes: 1e9 },
  drivers: ['process'],
  version: 'test',
});

test('joining issues a node credential, kept 0600, reused after a restart', async () => {
  core = await spawnCore();
  procs.push(core.proc);
  secrets.push(core.token);
  await agent(A);
  await agent(B);
  await ready(A);
  await ready(B);
  for (const f of ['join-token', 'command-key']) assert.equal(statSync(join(core.dataDir, f)).mode & 0o777, 0o600, f);
  const a = agents.get(A)!;
  const file = join(a.dataDir, 'node-credential.json');
  const cred = await eventually(() => credentialOf(a).credential, 10_000, 'credential file');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(cred, /^osmon_[0-9a-f]{12}_/);
  assert.equal(credentialOf(a).node, A);
  const credB = await eventually(() => credentialOf(agents.get(B)!).credential, 10_000, "B's credential file");
  secrets.push(cred, credentialOf(a).agentToken, credB);

  // the store holds the hash only
  const db =
    readFileSync(join(core.dataDir, 'osmo.db')).toString('latin1') + readFileSync(join(core.dataDir, 'osmo.db-wal')).toString('latin1');
  assert.ok(!db.includes(cred), 'the node credential is not in the store in clear');

  const before = Date.parse((await node(A))!.lastHeartbeat);
  await a.proc.stop();
  const again = await agent(A, core, a);
  await eventually(async () => Date.parse((await node(A))?.lastHeartbeat ?? '0') > before, 60_000, 'A beats again after its restart');
  assert.equal(credentialOf(again).credential, cred, 'the restarted agent kept its credential');
  const events = (await call(`/api/v1/events?follow=false&type=node&node=${A}`, core.token)).json.events as Array<{
    data: { action: string };
  }>;
  assert.ok(
    events.some((e) => e.data.action === 're-register'),
    'the restart re-registered with its own credential',
  );
});

test('a node cannot speak for another: heartbeats, events, registration -> 403, nothing stored', async () => {
  const credA = credentialOf(agents.get(A)!).credential;
  const hb = await call('/api/v1/agent/heartbeat', credA, 'POST', { id: B });
  assert.equal(hb.status, 403, JSON.stringify(hb.json));
  assert.equal(hb.json.code, 'OSMO_FORBIDDEN');
  const forged = { type: 'monitor', metric: 'disk', source: 'guest', action: 'started', seq: 987_654_321, node: B, ts: Date.now() };
  const ev = await call('/api/v1/agent/events', credA, 'POST', { node: B, events: [forged] });
  assert.equal(ev.status, 403, JSON.stringify(ev.json));
  const reg = await call('/api/v1/agent/register', credA, 'POST', registration(B, 'http://127.0.0.1:9'));
  assert.equal(reg.status, 403, JSON.stringify(reg.json));
  // the join token cannot stand in for a joined node either
  assert.equal((await call('/api/v1/agent/heartbeat', core.token, 'POST', { id: A })).status, 403);
  assert.equal((await call('/api/v1/agent/register', core.token, 'POST', registration(A, 'http://127.0.0.1:9'))).status, 403);
  // an API token is not an agent credential
  const admin = await call('/api/v1/tokens', core.token, 'POST', { scope: 'admin', name: `sec-${RUN}` });
  assert.equal(admin.status, 201);
  secrets.push(admin.json.token as string);
  assert.equal((await call('/api/v1/agent/heartbeat', admin.json.token as string, 'POST', { id: A })).status, 403);

  const stored = (await call(`/api/v1/events?follow=false&node=${B}&limit=10000`, core.token)).json.events as Array<{ seq: number | null }>;
  assert.ok(!stored.some((e) => e.seq === forged.seq), 'the forged event was not stored');
  const b = await node(B);
  assert.notEqual(b?.address, 'http://127.0.0.1:9', 'B was not re-registered at another address');
});

test('registration validates the address it is given', async () => {
  const bad = [
    'ftp://127.0.0.1:5000',
    'http://user:secret@127.0.0.1:5000',
    'https://evil.example?x=1',
    'file:///etc/passwd',
    'not a url',
    `http://${'a'.repeat(600)}.example`,
    'javascript:alert(1)',
  ];
  for (const [i, address] of bad.entries()) {
    const id = `sec-${RUN}-addr${i}`;
    const r = await call('/api/v1/agent/register', core.token, 'POST', registration(id, address));
    assert.equal(r.status, 400, `${address}: ${r.status} ${JSON.stringify(r.json)}`);
    assert.match(String(r.json.error), /address/, `${address}: names the field`);
    assert.equal(await node(id), undefined, `${address}: nothing registered`);
  }
});

test('a rotated join token admits new nodes; the old one is refused; joined nodes keep beating', async () => {
  const old = core.token;
  const r = spawnOsmo(['token', 'rotate-join', '--core', core.url, '--token', old, '--json']);
  assert.equal(await r.exit(60_000), 0, r.output());
  const fresh = (JSON.parse(r.output().slice(r.output().indexOf('{'))) as { token: string }).token;
  secrets.push(fresh);
  assert.notEqual(fresh, old);
  assert.equal(readFileSync(join(core.dataDir, 'join-token'), 'utf8').trim(), fresh, 'written to <data-dir>/join-token');
  core = { ...core, token: fresh };
  assert.equal((await call('/api/v1/tokens', old)).status, 401, 'the old join token is refused');

  const since = Date.now();
  for (const id of [A, B])
    await eventually(async () => Date.parse((await node(id))?.lastHeartbeat ?? '0') > since + 1500, 30_000, `${id} still beating`);
  assert.equal((await node(A))?.status, 'ready');

  const withOld = await agent(C, { ...core, token: old });
  await eventually(() => /register failed.*401/.test(withOld.proc.output()), 30_000, 'C refused with the old token');
  assert.equal(await node(C), undefined, 'C did not join');
  await agent(D);
  await ready(D);
});

test('osmo nodes revoke cuts a node off at once: refused, down, and it cannot re-join', async () => {
  const b = agents.get(B)!;
  const r = spawnOsmo(['nodes', 'revoke', B, '--core', core.url, '--token', core.token]);
  assert.equal(await r.exit(60_000), 0, r.output());
  assert.match(r.output(), /revoked: down/);
  assert.equal((await node(B))?.status, 'down');
  // its own agent keeps trying: every heartbeat is refused, and it stays down
  const mark = b.proc.output().length;
  await eventually(() => /heartbeat failed.*403/.test(b.proc.output().slice(mark)), 30_000, "B's heartbeat refused");
  assert.equal((await node(B))?.status, 'down');
  const credB = credentialOf(b).credential;
  assert.equal((await call('/api/v1/agent/heartbeat', credB, 'POST', { id: B })).status, 403);
  assert.equal((await call('/api/v1/agent/register', credB, 'POST', registration(B, b.url))).status, 403);
  assert.equal(
    (await call('/api/v1/agent/register', core.token, 'POST', registration(B, b.url))).status,
    403,
    'not with the join token either',
  );
  // the others are untouched
  assert.equal((await node(A))?.status, 'ready');
  const audit = (await call('/api/v1/events?follow=false&type=audit', core.token)).json.events as Array<{
    data: { subject: string; route: string; status: number };
  }>;
  assert.ok(
    audit.some((e) => e.data.route === '/api/v1/nodes/:id/revoke' && e.data.subject === 'join-token' && e.data.status === 200),
    'the revocation is in the audit trail',
  );
});

test('no secret appears in any log line of the processes of this file', () => {
  assert.ok(secrets.length >= 6);
  const logs = [core.proc, ...[...agents.values()].map((a) => a.proc)].map((p) => p.output()).join('\n');
  assert.ok(logs.length > 0);
  for (const s of secrets) assert.ok(!logs.includes(s), `a secret (${s.slice(0, 6)}…) is in the logs`);
});
