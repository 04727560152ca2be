// HTTP basic auth on the SLA API (what Atos clients send), on a core that requires its token
// (openClientApi off, as off loopback): any user with the token as password passes on
// /sla-service/ routes only; a wrong or missing password is a 401 that asks for Basic; the
// rest of the API still takes only the bearer token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { tempDir } from '../../../testing/proc.js';

let core: CoreHandle;
before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-sla2-basic-'), openClientApi: false, processMetrics: false });
});
after(async () => core.close());

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const get = (path: string, authorization?: string) =>
  fetch(`${core.url}${path}`, { headers: { accept: 'application/json', ...(authorization !== undefined && { authorization }) } });

test('basic auth with the token as password opens /sla-service/ (any user, also an empty one)', async () => {
  for (const user of ['atos-client', '']) {
    const r = await get('/sla-service/providers', basic(user, core.token));
    assert.equal(r.status, 200, `user "${user}"`);
    assert.deepEqual(await r.json(), []);
  }
  const created = await fetch(`${core.url}/sla-service/providers`, {
    method: 'POST',
    headers: { authorization: basic('x', core.token), 'content-type': 'application/json' },
    body: JSON.stringify({ uuid: 'p-basic', name: 'p-basic' }),
  });
  assert.equal(created.status, 201);
});

test('a wrong or missing password on /sla-service/ is 401 with WWW-Authenticate: Basic', async () => {
  for (const auth of [
    undefined,
    basic('x', 'wrong'),
    basic('x', `${core.token}x`),
    basic('x', ''),
    'Basic !!!',
    `Basic ${Buffer.from(core.token).toString('base64')}`,
  ]) {
    const r = await get('/sla-service/agreements', auth);
    assert.equal(r.status, 401, `authorization ${String(auth)}`);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="osmo"/);
    assert.equal(((await r.json()) as { code: string }).code, 'OSMO_UNAUTHORIZED');
  }
});

test('the bearer token still works on /sla-service/', async () => {
  assert.equal((await get('/sla-service/providers', `Bearer ${core.token}`)).status, 200);
});

test('basic auth opens nothing outside /sla-service/ (routes that do not declare it)', async () => {
  for (const path of ['/api/v1/mels', '/api/v1/nodes', '/metrics', '/sla-service-x/providers', '/api/v1/nope']) {
    const r = await get(path, basic('x', core.token));
    assert.equal(r.status, 401, path);
    assert.equal(r.headers.get('www-authenticate'), null, path);
  }
  assert.equal((await get('/api/v1/mels', `Bearer ${core.token}`)).status, 200);
});
