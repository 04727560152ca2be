// An attacker without the token tries every route of the core and the agent, literally and
// disguised (percent-encoding, dot segments, doubled slashes, query tricks), on servers that
// require a token. The router decodes and normalises paths; authorization must follow what
// it matched, so every disguise must still meet a 401. Requests go out raw (node:http with
// the path as written): fetch() would normalise `/./` and `..` before they reach the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { tempDir } from '../../../testing/proc.js';

interface Answer {
  status: number;
  type: string;
  body: string;
}

/** One raw HTTP request; an event stream is cut after its headers. */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          ...headers,
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        if (res.headers['content-type']?.includes('event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: '' });
          return;
        }
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    if (body !== undefined && method !== 'GET' && method !== 'HEAD') req.write(body);
    req.end();
  });
}

const enc = (c: string, upper: boolean) => {
  const h = c.charCodeAt(0).toString(16);
  return `%${upper ? h.toUpperCase() : h}`;
};

/** The ways an attacker spells the same route (and some that name no route at all). */
export function disguises(path: string): string[] {
  const segs = path.split('/').slice(1); // "/api/v1/mels" -> ["api","v1","mels"]
  const [a = '', b = ''] = segs;
  const rest = segs.slice(2).join('/');
  const tail = rest ? `/${rest}` : '';
  const allLower = `/${[...a].map((c) => enc(c, false)).join('')}/${[...b].map((c) => enc(c, false)).join('')}${tail}`;
  const allUpper = `/${[...a].map((c) => enc(c, true)).join('')}/${[...b].map((c) => enc(c, true)).join('')}${tail}`;
  const mixed = `/${[...a].map((c, i) => (i % 2 ? c : enc(c, i % 4 === 0))).join('')}/${[...b].map((c, i) => (i % 2 ? enc(c, true) : c)).join('')}${tail}`;
  const first = `/${enc(a[0] ?? 'a', false)}${a.slice(1)}${b ? `/${b}` : ''}${tail}`;
  const out = [
    path,
    first,
    allLower,
    allUpper,
    mixed,
    `/${a}%2F${b}${tail}`,
    `/${a}%2f${b}${tail}`,
    `/${a}/${b}${rest ? `%2F${rest}` : ''}`,
    `//${segs.join('/')}`,
    `/${segs.join('//')}`,
    `/./${segs.join('/')}`,
    `/${a}/./${segs.slice(1).join('/')}`,
    `/${a}/%2e/${segs.slice(1).join('/')}`,
    `${path}/`,
    `${path}/.`,
    `/x/..${path}`,
    `/healthz/..${path}`,
    `/${a}/x/../${segs.slice(1).join('/')}`,
    `/${a}/x/%2e%2e/${segs.slice(1).join('/')}`,
    `/${a}/x/%2E%2E/${segs.slice(1).join('/')}`,
    `${path}?/healthz`,
    `${path}?token=x&/healthz`,
    `${path};/healthz`,
    `${path}%3F/healthz`,
    `${path}#/healthz`,
    `/${a.toUpperCase()}/${b}${tail}`,
    `/docs/..${path}`,
    `/assets/..${path}`,
    `/ui/..${path}`,
  ];
  return [...new Set(out)];
}

const MEL = 'sec-mel';
const NODE = 'sec-node';
const fill = (path: string) =>
  path
    .replace('{name}', MEL)
    .replace('{id}', NODE)
    .replace(/\{[^}]+\}/g, 'x');

// Bodies that would succeed if a disguise got through, so that a bypass shows as a 2xx.
function bodyFor(method: string, path: string): string | undefined {
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') return undefined;
  if (path === '/api/v1/mels') return JSON.stringify({ name: 'evil', image: 'osmo-test/busybox:1', replicas: 0 });
  if (path === '/api/v1/agent/register') {
    return JSON.stringify({
      id: 'evil-node',
      address: 'http://127.0.0.1:9',
      layer: 'edge',
      domain: 'd',
      capacity: { cpus: 1, memoryBytes: 1e9 },
      drivers: ['process'],
      version: '0',
    });
  }
  return '{}';
}

const WRONG_AUTH = (token: string): Array<Record<string, string>> => [
  {},
  { authorization: 'Bearer' },
  { authorization: 'Bearer wrong' },
  { authorization: `Bearer ${token.slice(0, -1)}` },
  { authorization: `Bearer ${token}x` },
  { authorization: `Token ${token}` },
  { authorization: `Basic ${Buffer.from(`admin:${token.slice(1)}`).toString('base64')}` },
  { 'x-auth-token': token },
];

let core: CoreHandle;
let port: number;
let openCore: CoreHandle;
let agent: RunningAgent;
let agentPort: number;
const AGENT_TOKEN = 'agent-secret-token-for-the-bypass-test';

before(async () => {
  // Off loopback: the client API needs the token (0.0.0.0, reached via 127.0.0.1).
  // plain HTTP: the routes' authorization is tested here, TLS in tls*.test.ts
  core = await startCore({ listen: '0.0.0.0:0', dataDir: tempDir('osmo-sec-core-'), processMetrics: false, insecureHttp: true });
  port = Number(new URL(core.url).port);
  assert.equal(core.ctx.config.openClientApi, false, 'a core on 0.0.0.0 must not open its client API');
  const auth = { authorization: `Bearer ${core.token}` };
  const m = await raw(port, 'POST', '/api/v1/mels', auth, JSON.stringify({ name: MEL, image: 'osmo-test/busybox:1', replicas: 0 }));
  assert.equal(m.status, 201, m.body);
  const n = await raw(
    port,
    'POST',
    '/api/v1/agent/register',
    auth,
    JSON.stringify({
      id: NODE,
      address: 'http://127.0.0.1:9',
      layer: 'edge',
      domain: 'd',
      capacity: { cpus: 1, memoryBytes: 1e9 },
      drivers: ['process'],
      version: '0',
    }),
  );
  assert.equal(n.status, 200, n.body);
  // On loopback the client API is open, the agent protocol is not.
  openCore = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-sec-open-'), processMetrics: false });
  assert.equal(openCore.ctx.config.openClientApi, true);
  // An agent with a configured token (the process driver: no engine needed to answer 401s).
  agent = await startAgent({
    listen: '127.0.0.1:0',
    nodeId: 'sec-agent',
    driver: 'process',
    dataDir: tempDir('osmo-sec-agent-'),
    token: AGENT_TOKEN,
    logLevel: 'silent',
  });
  agentPort = Number(new URL(agent.url).port);
});

after(async () => {
  await agent?.close();
  await openCore?.close();
  await core?.close();
});

async function coreRoutes(h: CoreHandle): Promise<Array<{ method: string; path: string }>> {
  const doc = JSON.parse((await raw(Number(new URL(h.url).port), 'GET', '/openapi.json')).body) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path: p.replace(/:(\w+)/g, '{$1}') })),
  );
}

// the core's CA certificate is public by design: agents fetch it before they trust anything
const PUBLIC = new Set(['/healthz', '/openapi.json', '/api/v1/system/ca']);

/**
 * `/ui/../metrics` is matched by the public route `/ui/*` (the router does not resolve dot
 * segments): it must answer with the dashboard shell or a 404, never the protected data.
 */
function refused(p: string, r: Answer): boolean {
  if (r.status === 401) return true;
  // (the static file server answers a traversal attempt with 403)
  if (/^\/(ui|docs|assets)\//.test(p))
    return r.status === 403 || r.status === 404 || (r.type.startsWith('text/html') && !r.body.includes('"response"'));
  return false;
}

test('the issue 9 table: encoded paths meet the token check', async () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['GET', '/api/v1/mels', undefined],
    ['GET', '/%61pi/v1/mels', undefined],
    ['POST', '/%61pi/v1/mels', JSON.stringify({ name: 'evil', image: 'busybox' })],
    ['GET', '/%6detrics', undefined],
  ];
  for (const [method, path, body] of cases) {
    const r = await raw(port, method, path, {}, body);
    assert.equal(r.status, 401, `${method} ${path} -> ${r.status} ${r.body}`);
  }
  const reg = await raw(
    Number(new URL(openCore.url).port),
    'POST',
    '/api/v1/%61gent/register',
    {},
    bodyFor('POST', '/api/v1/agent/register'),
  );
  assert.equal(reg.status, 401, `register on the open core -> ${reg.status} ${reg.body}`);
  // control: the router does decode these, so with the token the same spelling reaches the route
  const ok = await raw(port, 'GET', '/%61pi/v1/mels', { authorization: `Bearer ${core.token}` });
  assert.equal(ok.status, 200, 'the disguise reaches the route when the token is right');
});

test('core off loopback: every route, every disguise, no or a wrong token -> 401', async () => {
  const routes = await coreRoutes(core);
  const hidden = [
    { method: 'POST', path: '/api/v1/agent/register' },
    { method: 'POST', path: '/api/v1/agent/heartbeat' },
    { method: 'POST', path: '/api/v1/agent/events' },
    { method: 'GET', path: '/metrics' },
    { method: 'GET', path: '/api/v1/events' },
  ];
  for (const h of hidden)
    assert.ok(
      routes.some((r) => r.method === h.method && r.path === h.path),
      `${h.method} ${h.path} is in /openapi.json`,
    );
  const protectedRoutes = routes.filter((r) => !PUBLIC.has(r.path));
  assert.ok(protectedRoutes.length >= 20, `routes found: ${protectedRoutes.length}`);
  let tried = 0;
  for (const { method, path } of protectedRoutes) {
    const literal = fill(path);
    const body = bodyFor(method, path);
    for (const p of disguises(literal)) {
      for (const headers of WRONG_AUTH(core.token).slice(0, 3)) {
        const r = await raw(port, method, p, headers, body);
        tried++;
        assert.ok(refused(p, r), `${method} ${p} ${JSON.stringify(headers)} -> ${r.status} ${r.body.slice(0, 200)}`);
      }
    }
    for (const headers of WRONG_AUTH(core.token)) {
      const r = await raw(port, method, literal, headers, body);
      assert.equal(r.status, 401, `${method} ${literal} ${JSON.stringify(headers)} -> ${r.status}`);
    }
    if (method === 'GET') {
      const head = await raw(port, 'HEAD', disguises(literal)[2]!);
      assert.equal(head.status, 401, `HEAD ${literal} (encoded)`);
    }
    // control: with the token the literal route is not refused
    const good = await raw(port, method, literal, { authorization: `Bearer ${core.token}` }, body?.replaceAll('evil', 'ctl'));
    assert.notEqual(good.status, 401, `${method} ${literal} with the token`);
  }
  assert.ok(tried > 1000, `requests tried: ${tried}`);
  // and nothing changed behind the door
  const mels = JSON.parse((await raw(port, 'GET', '/api/v1/mels', { authorization: `Bearer ${core.token}` })).body) as {
    mels: Array<{ name: string }>;
  };
  assert.ok(!mels.mels.some((x) => x.name === 'evil'), 'no MEL was created without the token');
  assert.ok(!core.ctx.state.nodes.has('evil-node'), 'no node was registered without the token');
});

test('core off loopback: public routes stay open, unknown paths say 401 without a token', async () => {
  for (const p of ['/healthz', '/openapi.json', '/docs/', '/', '/ui/services']) {
    const r = await raw(port, 'GET', p);
    assert.ok(r.status === 200 || r.status === 503, `GET ${p} -> ${r.status}`); // 503 = dashboard not built in this checkout
  }
  for (const p of ['/assets/../../etc/passwd', '/assets/%2e%2e/%2e%2e/etc/passwd', '/ui/../../etc/passwd']) {
    const r = await raw(port, 'GET', p);
    assert.ok(refused(p, r), `GET ${p} -> ${r.status}`);
    assert.ok(!r.body.includes('root:'), `GET ${p} leaked a file`);
  }
  for (const p of ['/nope', '/api/v2/mels', '/api/v1/nope', '/%2e%2e/etc/passwd']) {
    const r = await raw(port, 'GET', p);
    assert.equal(r.status, 401, `GET ${p} -> ${r.status}`);
    const t = await raw(port, 'GET', p, { authorization: `Bearer ${core.token}` });
    assert.equal(t.status, 404, `GET ${p} with the token -> ${t.status}`);
  }
});

test('core on loopback: the agent protocol needs the join token in every spelling', async () => {
  const p = Number(new URL(openCore.url).port);
  for (const path of ['/api/v1/agent/register', '/api/v1/agent/heartbeat', '/api/v1/agent/events']) {
    for (const d of disguises(path)) {
      for (const headers of WRONG_AUTH(openCore.token)) {
        const r = await raw(p, 'POST', d, headers, bodyFor('POST', path));
        // a disguise the router does not match is a 404 on a loopback core (the client API is open)
        assert.ok(
          refused(d, r) || (r.status === 404 && /no route/.test(r.body)),
          `POST ${d} ${JSON.stringify(headers)} -> ${r.status} ${r.body.slice(0, 200)}`,
        );
      }
    }
  }
  assert.equal(openCore.ctx.state.nodes.size, 0, 'no node registered');
});

// The agent serves no OpenAPI document yet; this is its whole route table (DESIGN.md, Agent API).
const AGENT_ROUTES: Array<[string, string]> = [
  ['GET', '/api/v1'],
  ['PUT', '/api/v1/monitor/cpu'],
  ['DELETE', '/api/v1/monitor/cpu'],
  ['GET', '/api/v1/monitor'],
  ['PUT', '/api/v1/deploy'],
  ['DELETE', '/api/v1/deploy'],
  ['GET', '/api/v1/deploy'],
  ['GET', '/api/v1/deploy/x'],
  ['GET', '/api/v1/deploy/x/logs'],
  ['GET', '/api/v1/events'],
  ['GET', '/metrics'],
];

test('agent with a token: every route, every disguise, no or a wrong token -> 401', async () => {
  for (const [method, path] of AGENT_ROUTES) {
    const body =
      method === 'GET'
        ? undefined
        : path.includes('monitor')
          ? method === 'PUT'
            ? '{"time": 1, "source": "host"}'
            : '{"source": "host"}'
          : '{"name": "evil", "image": "x"}';
    for (const d of disguises(path)) {
      for (const headers of WRONG_AUTH(AGENT_TOKEN)) {
        const r = await raw(agentPort, method, d, headers, body);
        assert.ok(refused(d, r), `${method} ${d} ${JSON.stringify(headers)} -> ${r.status} ${r.body.slice(0, 200)}`);
      }
    }
    if (path.includes('/deploy') && method !== 'GET') continue; // the control would really deploy
    const good = await raw(agentPort, method, path, { authorization: `Bearer ${AGENT_TOKEN}` }, body);
    assert.notEqual(good.status, 401, `${method} ${path} with the token`);
  }
  const h = await raw(agentPort, 'GET', '/healthz');
  assert.equal(h.status, 200, 'the agent health check stays open');
  const monitors = JSON.parse((await raw(agentPort, 'GET', '/api/v1/monitor', { authorization: `Bearer ${AGENT_TOKEN}` })).body) as {
    monitors: unknown[];
  };
  // the control request above started one cpu monitor and stopped it again
  assert.deepEqual(monitors.monitors, [], 'no monitor left running by the attempts');
});
