// POST /api/v1/deploy/batch on a real agent and a real Docker engine: several containers in
// one request, each item answered as the seed's PUT would answer it (200, 409 for a taken
// name, 403 for what the policy refuses), and a batch that fails validation runs nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, cleanup, containersOf, privateImage, startAgentProc, RUN, type AgentProc } from '../../../testing/agent-proc.js';

describe('agent deploy batch on a real engine', () => {
  const node = `ag-${RUN}-batch`;
  const images: string[] = [];
  let a: AgentProc | undefined;
  let img = '';
  const TOKEN = `tok-${RUN}-batch`;
  const call = (method: string, path: string, body?: unknown) => api(a!.url, method, path, body, { authorization: `Bearer ${TOKEN}` });

  before(async () => {
    img = await privateImage('sleeper');
    images.push(img);
    a = await startAgentProc({ nodeId: node, args: ['--token', TOKEN] });
  });
  after(async () => {
    await a?.stop();
    await cleanup([node], images);
  });

  test('each item gets its own status; the accepted ones run as containers', async () => {
    const taken = `${node}-taken`;
    assert.equal((await call('PUT', '/api/v1/deploy', { image: img, name: taken })).status, 200);
    const names = [0, 1, 2].map((k) => `${node}-b${k}`);
    const r = await call('POST', '/api/v1/deploy/batch', {
      deployments: [
        ...names.map((name) => ({ image: img, name, labels: { batch: 'yes' } })),
        { image: img, name: taken },
        { image: img, name: `${node}-priv`, privileged: true },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const results = r.body.results as Array<{ name: string; status: number; code?: string; instance?: { name: string; state: string } }>;
    assert.deepEqual(
      results.map((x) => [x.name, x.status]),
      [...names.map((n) => [n, 200]), [taken, 409], [`${node}-priv`, 403]],
    );
    for (const x of results.slice(0, 3)) assert.equal(x.instance?.state, 'running');
    assert.equal(results[4]!.code, 'OSMO_FORBIDDEN');
    const running = (await containersOf(node)).filter((c) => c.State === 'running').map((c) => c.Names[0]!.slice(1));
    assert.deepEqual(running.sort(), [...names, taken].sort());
  });

  test('a batch that fails validation is refused whole and starts nothing', async () => {
    const before = (await containersOf(node)).length;
    const dup = await call('POST', '/api/v1/deploy/batch', {
      deployments: [
        { image: img, name: `${node}-d` },
        { image: img, name: `${node}-d` },
      ],
    });
    assert.equal(dup.status, 400);
    assert.match(String(dup.body.error), /each name may appear once/);
    const bad = await call('POST', '/api/v1/deploy/batch', {
      deployments: [
        { image: img, name: `${node}-fine` },
        { image: img, name: '../etc' },
      ],
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /name/);
    const empty = await call('POST', '/api/v1/deploy/batch', { deployments: [] });
    assert.equal(empty.status, 400);
    const many = await call('POST', '/api/v1/deploy/batch', {
      deployments: Array.from({ length: 101 }, (_, k) => ({ image: img, name: `${node}-m${k}` })),
    });
    assert.equal(many.status, 400);
    assert.equal((await containersOf(node)).length, before);
  });

  test('the batch route needs the token like every command: none or a wrong one gets 401', async () => {
    const r = await fetch(`${a!.url}/api/v1/deploy/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deployments: [{ image: img, name: `${node}-anon` }] }),
    });
    assert.equal(r.status, 401);
    const wrong = await api(
      a!.url,
      'POST',
      '/api/v1/deploy/batch',
      { deployments: [{ image: img, name: `${node}-anon` }] },
      { authorization: 'Bearer wrong' },
    );
    assert.equal(wrong.status, 401);
    assert.equal((await containersOf(node)).filter((c) => c.Names[0] === `/${node}-anon`).length, 0);
  });
});
