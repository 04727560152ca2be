// Make-before-break with real containers: a migration waits for the copy to run and pass
// the MEL's health check (run by the destination's agent: a TCP dial of its published
// port, or a command inside the copy) before the source stops; a copy that never gets
// healthy is removed when the timeout passes and the source keeps running untouched.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../testing/proc.js';
import {
  api,
  cleanupNodes,
  containersOf,
  instances,
  spawnAgent,
  spawnCore,
  type AgentProc,
  type CoreProc,
} from '../../../testing/cluster.js';

const NODES = ['mbb-a', 'mbb-b'];
let core: CoreProc;
const agents: AgentProc[] = [];

const running = async (mel: string) => (await instances(core, mel)).filter((i) => i.state === 'running');

describe('make-before-break migration', { timeout: 300_000 }, () => {
  before(async () => {
    cleanupNodes(NODES);
    core = await spawnCore();
    agents.push(await spawnAgent(core, 'mbb-a', 'edge', 'x'));
    agents.push(await spawnAgent(core, 'mbb-b', 'edge', 'x'));
    await eventually(
      async () => ((await api(core, 'GET', '/api/v1/nodes?status=ready')).json.nodes as unknown[]).length === 2,
      30_000,
      'nodes ready',
    );
    // automatic moves off: only the manual ones below happen
    assert.equal(
      (await api(core, 'PUT', '/api/v1/policies', { acceptance: 'always', management: { maxMovesPerRound: 0, migrationTimeoutMs: 5000 } }))
        .status,
      200,
    );
  });
  after(async () => {
    for (const a of agents) await a.proc.stop();
    await core?.proc.stop();
    cleanupNodes(NODES);
  });

  test('the source stops only after the copy answers its health check', async () => {
    const m = await api(core, 'POST', '/api/v1/mels', {
      name: 'mbb-web',
      image: 'osmo-test/httpd:1',
      ports: { '80/tcp': null },
      healthCheck: { tcpPort: 80 },
    });
    assert.equal(m.status, 201, JSON.stringify(m.json));
    const [src] = await eventually(
      async () => {
        const r = await running('mbb-web');
        return r.length === 1 ? r : undefined;
      },
      60_000,
      'web running',
    );
    const to = src!.node === 'mbb-a' ? 'mbb-b' : 'mbb-a';
    const r = await api(core, 'POST', `/api/v1/instances/${src!.id}/migrate`, { node: to });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    // at the moment of the answer the copy is up on the destination; the source is stopping
    const list = await instances(core, 'mbb-web');
    const copy = list.find((i) => i.id === r.json.newInstance);
    assert.equal(copy?.node, to);
    assert.equal(copy?.state, 'running');
    const done = (
      (await api(core, 'GET', '/api/v1/events?follow=false&type=migration')).json.events as Array<{ data: Record<string, unknown> }>
    ).at(-1)!;
    assert.equal(done.data.phase, 'done');
    assert.match(String(done.data.health), /^healthy \(tcp 80 -> 127\.0\.0\.1:\d+\)$/);
    await eventually(
      () => {
        const c = containersOf('mbb-web');
        return c.length === 1 && c[0]!.node === to && c[0]!.running;
      },
      30_000,
      'only the copy remains',
    );
  });

  test('a copy that never gets healthy is rolled back; the source keeps running', async () => {
    // the sleeper publishes port 80 but nothing listens on it
    const m = await api(core, 'POST', '/api/v1/mels', {
      name: 'mbb-deaf',
      image: 'osmo-test/sleeper:1',
      ports: { '80/tcp': null },
      healthCheck: { tcpPort: 80 },
    });
    assert.equal(m.status, 201, JSON.stringify(m.json));
    const [src] = await eventually(
      async () => {
        const r = await running('mbb-deaf');
        return r.length === 1 ? r : undefined;
      },
      60_000,
      'sleeper running',
    );
    const to = src!.node === 'mbb-a' ? 'mbb-b' : 'mbb-a';
    const t0 = Date.now();
    const r = await api(core, 'POST', `/api/v1/instances/${src!.id}/migrate`, { node: to });
    assert.equal(r.status, 503, JSON.stringify(r.json));
    assert.match(String(r.json.error), /rolled back: copy on mbb-\w not healthy \(tcp \d+\) within/);
    assert.ok(Date.now() - t0 >= 5000, 'waited for the migration timeout');
    const after = await instances(core, 'mbb-deaf');
    assert.deepEqual(
      after.map((i) => [i.id, i.node, i.state]),
      [[src!.id, src!.node, 'running']],
    );
    const ev = (
      (await api(core, 'GET', '/api/v1/events?follow=false&type=migration')).json.events as Array<{ data: Record<string, unknown> }>
    ).at(-1)!;
    assert.equal(ev.data.phase, 'rolled-back');
    await eventually(
      () => {
        const c = containersOf('mbb-deaf');
        return c.length === 1 && c[0]!.node === src!.node && c[0]!.running;
      },
      20_000,
      'copy removed, source untouched',
    );
  });

  test('a command health check runs inside the copy; one that fails rolls the move back', async () => {
    // /www exists only in the httpd image: the check passes only where the copy runs
    const m = await api(core, 'POST', '/api/v1/mels', {
      name: 'mbb-cmd',
      image: 'osmo-test/httpd:1',
      healthCheck: { command: ['ls', '/www'] },
    });
    assert.equal(m.status, 201, JSON.stringify(m.json));
    const [src] = await eventually(
      async () => {
        const r = await running('mbb-cmd');
        return r.length === 1 ? r : undefined;
      },
      60_000,
      'mbb-cmd running',
    );
    const to = src!.node === 'mbb-a' ? 'mbb-b' : 'mbb-a';
    const r = await api(core, 'POST', `/api/v1/instances/${src!.id}/migrate`, { node: to });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const done = (
      (await api(core, 'GET', '/api/v1/events?follow=false&type=migration')).json.events as Array<{ data: Record<string, unknown> }>
    ).at(-1)!;
    assert.deepEqual([done.data.phase, done.data.health], ['done', 'healthy (command exited 0: index.html)']);

    // the same image, a check that can never pass
    const bad = await api(core, 'POST', '/api/v1/mels', {
      name: 'mbb-cmdbad',
      image: 'osmo-test/httpd:1',
      healthCheck: { command: ['ls', '/nowhere'] },
    });
    assert.equal(bad.status, 201, JSON.stringify(bad.json));
    const [s2] = await eventually(
      async () => {
        const x = await running('mbb-cmdbad');
        return x.length === 1 ? x : undefined;
      },
      60_000,
      'mbb-cmdbad running',
    );
    const r2 = await api(core, 'POST', `/api/v1/instances/${s2!.id}/migrate`, { node: s2!.node === 'mbb-a' ? 'mbb-b' : 'mbb-a' });
    assert.equal(r2.status, 503, JSON.stringify(r2.json));
    assert.match(
      String(r2.json.error),
      /rolled back: copy on mbb-\w not healthy \(command \["ls","\/nowhere"\]\) within \d+ ms: command exited 1/,
    );
    assert.deepEqual(
      (await instances(core, 'mbb-cmdbad')).map((i) => [i.id, i.state]),
      [[s2!.id, 'running']],
    );
  });

  test('an unknown instance is 404, an unknown node 404, the same node 400', async () => {
    assert.equal((await api(core, 'POST', '/api/v1/instances/nope/migrate', {})).status, 404);
    const [i] = await running('mbb-web');
    assert.equal((await api(core, 'POST', `/api/v1/instances/${i!.id}/migrate`, { node: 'nobody' })).status, 404);
    assert.equal((await api(core, 'POST', `/api/v1/instances/${i!.id}/migrate`, { node: i!.node })).status, 400);
    assert.equal((await api(core, 'POST', `/api/v1/instances/${i!.id}/migrate`, { node: 5 })).status, 400);
  });
});
