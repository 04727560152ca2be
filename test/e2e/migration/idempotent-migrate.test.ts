// A migrate sent twice with one Idempotency-Key moves the instance once, with real agents and
// containers: the repeat gets the first answer again. A repeat while the first still runs is
// a 409 OSMO_IDEMPOTENCY_IN_FLIGHT, and a move that rolled back (503) leaves the key free: a
// 5xx may be retried for real.
import { randomUUID } from 'node:crypto';
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
import { send } from '../../../testing/idempotency-cases.js';

const NODES = ['replica-idem-a', 'replica-idem-b'];
let core: CoreProc;
const agents: AgentProc[] = [];

const runningOne = (mel: string) =>
  eventually(
    async () => {
      const r = (await instances(core, mel)).filter((i) => i.state === 'running');
      return r.length === 1 ? r[0] : undefined;
    },
    60_000,
    `${mel} running`,
  );
const migrations = async () =>
  ((await api(core, 'GET', '/api/v1/events?follow=false&type=migration')).json.events as Array<{ data: Record<string, unknown> }>).map(
    (e) => e.data,
  );

describe('migrate with an Idempotency-Key', { timeout: 300_000 }, () => {
  before(async () => {
    cleanupNodes(NODES);
    core = await spawnCore();
    for (const id of NODES) agents.push(await spawnAgent(core, id, 'edge', 'x'));
    await eventually(
      async () => ((await api(core, 'GET', '/api/v1/nodes?status=ready')).json.nodes as unknown[]).length === 2,
      30_000,
      'nodes ready',
    );
    // automatic moves off: only the manual ones below happen
    const p = await api(core, 'PUT', '/api/v1/policies', {
      acceptance: 'always',
      management: { maxMovesPerRound: 0, migrationTimeoutMs: 4000 },
    });
    assert.equal(p.status, 200);
  });
  after(async () => {
    for (const a of agents) await a.proc.stop();
    await core?.proc.stop();
    cleanupNodes(NODES);
  });

  test('the same key twice: one move, the same answer twice', async () => {
    assert.equal((await api(core, 'POST', '/api/v1/mels', { name: 'replica-idem-web', image: 'osmo-test/sleeper:1' })).status, 201);
    const src = await runningOne('replica-idem-web');
    const to = src.node === NODES[0] ? NODES[1]! : NODES[0]!;
    const key = randomUUID();
    const o = { body: { node: to }, key, token: core.token };
    const first = await send(core.url, 'POST', `/api/v1/instances/${src.id}/migrate`, o);
    assert.equal(first.status, 200, first.text);
    const again = await send(core.url, 'POST', `/api/v1/instances/${src.id}/migrate`, o);
    assert.deepEqual([again.status, again.text, again.replayed], [200, first.text, 'true']);
    const done = (await migrations()).filter((m) => m.phase === 'done' && m.instance === src.id);
    assert.equal(done.length, 1, JSON.stringify(done));
    await eventually(
      () => {
        const c = containersOf('replica-idem-web');
        return c.length === 1 && c[0]!.node === to && c[0]!.running;
      },
      30_000,
      'one container, on the destination',
    );
  });

  test('a repeat while the first runs is a 409 in flight; the first rolls back (503), so the key is free again', async () => {
    // the sleeper publishes port 80 but nothing listens: the copy never gets healthy, the move
    // waits for the 4 s timeout and rolls back
    const m = await api(core, 'POST', '/api/v1/mels', {
      name: 'replica-idem-deaf',
      image: 'osmo-test/sleeper:1',
      ports: { '80/tcp': null },
      healthCheck: { tcpPort: 80 },
    });
    assert.equal(m.status, 201, JSON.stringify(m.json));
    const src = await runningOne('replica-idem-deaf');
    const to = src.node === NODES[0] ? NODES[1]! : NODES[0]!;
    const key = randomUUID();
    const o = { body: { node: to }, key, token: core.token };
    const path = `/api/v1/instances/${src.id}/migrate`;
    const first = send(core.url, 'POST', path, o);
    // the move has started: the first request holds the key (sent before it, the repeat could be the first)
    await eventually(
      async () => (await migrations()).some((x) => x.phase === 'start' && x.instance === src.id),
      20_000,
      'the move started',
    );
    const during = await send(core.url, 'POST', path, o);
    assert.equal(during.status, 409, during.text);
    assert.equal(during.json.code, 'OSMO_IDEMPOTENCY_IN_FLIGHT');
    const answered = await first;
    assert.equal(answered.status, 503, answered.text);
    // not stored: the same key acts for real (and rolls back again)
    const retried = await send(core.url, 'POST', path, o);
    assert.deepEqual([retried.status, retried.replayed], [503, null]);
    const rolled = (await migrations()).filter((x) => x.phase === 'rolled-back' && x.instance === src.id);
    assert.equal(rolled.length, 2);
  });
});
