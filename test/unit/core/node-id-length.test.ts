// Registration accepts node ids up to 128 characters; every /api/v1/nodes/{id}… route must
// address such a node (a schema-driven fuzzer found 414 on ids over 100 characters: the
// router's default maxParamLength). Ids are checked as the API documents them: 128 plain
// characters, and 128 characters that percent-encode to the longest URL segment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { tempDir } from '../../../testing/proc.js';
import { SimAgent } from '../../../testing/sim-agent.js';

let core: CoreHandle;
const agents: SimAgent[] = [];
const PLAIN = `rel-${'n'.repeat(124)}`;
// 4-byte UTF-8 characters: each is 12 characters once percent-encoded
const WIDE = `rel-${'😀'.repeat(62)}`;

before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-rel-nodeid-'), processMetrics: false });
  for (const id of [PLAIN, WIDE]) agents.push(await new SimAgent({ id, core: core.url, token: core.token, heartbeatMs: 500 }).start());
});
after(async () => {
  for (const a of agents) await a.stop();
  await core.close();
});

async function call(method: string, path: string, body?: unknown): Promise<number> {
  const r = await fetch(`${core.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${core.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await r.arrayBuffer();
  return r.status;
}

test('a node id of 128 characters (the registration maximum) is addressable on every /api/v1/nodes/{id} route', async () => {
  assert.equal(PLAIN.length, 128);
  assert.equal([...WIDE].length, 66);
  for (const id of [PLAIN, WIDE]) {
    const p = `/api/v1/nodes/${encodeURIComponent(id)}`;
    assert.equal(await call('GET', p), 200, `GET ${p.slice(0, 40)}…`);
    assert.equal(await call('GET', `${p}/policies`), 200);
    for (const action of ['cordon', 'uncordon', 'drain', 'undrain']) assert.equal(await call('POST', `${p}/${action}`), 200, action);
  }
});

test('a node id past 128 characters is a 400 naming the problem, not a 414', async () => {
  const r = await fetch(`${core.url}/api/v1/nodes/${'x'.repeat(129)}`, { headers: { authorization: `Bearer ${core.token}` } });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as { error: string }).error, /128|too_big|too big|at most/i);
});
