// The agent side of register / heartbeat / event batches against the core stub peer.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { CoreClient, CoreError, backoffMs } from '../../../src/agent/events/core-client.js';
import { CoreLink } from '../../../src/agent/events/core-link.js';
import type { RegisterRequest } from '../../../src/bus/protocol.js';
import { eventually, freePort } from '../../../testing/proc.js';
import { startCoreStubPeer, type CoreStubPeer } from '../../../testing/core-stub.js';

const reg: RegisterRequest = {
  id: 'ag-link-1',
  address: 'http://127.0.0.1:5999',
  layer: 'edge',
  domain: 'lab',
  labels: { rack: 'a' },
  capacity: { cpus: 2, memoryBytes: 1 << 30 },
  drivers: ['docker'],
  version: '0.1.0',
  lastSeq: 0,
};

describe('core client', () => {
  const peers: CoreStubPeer[] = [];
  after(async () => {
    for (const p of peers) await p.close();
  });

  test('register, heartbeat and events reach the core with the bearer token', async () => {
    const peer = await startCoreStubPeer({ token: 'T0k' });
    peers.push(peer);
    const c = new CoreClient({ url: peer.url, token: 'T0k' });
    const r = await c.register(reg);
    assert.deepEqual(r, { heartbeatIntervalMs: 200, ackedSeq: 0 });
    await c.heartbeat({ id: reg.id, instances: ['a'] });
    const ack = await c.sendEvents({
      node: reg.id,
      events: [{ type: 'monitor', metric: 'cpu', source: 'host', action: 'started', seq: 5, node: reg.id, ts: 1 }],
    });
    assert.equal(ack.ackedSeq, 5);
    assert.equal(peer.registrations[0]!.domain, 'lab');
    assert.deepEqual(peer.heartbeats[0], { id: reg.id, instances: ['a'] });
  });

  test('a wrong token is a retryable 401; an unreachable core is status 0', async () => {
    const peer = await startCoreStubPeer({ token: 'right' });
    peers.push(peer);
    await assert.rejects(
      new CoreClient({ url: peer.url, token: 'wrong' }).register(reg),
      (e: unknown) => e instanceof CoreError && e.status === 401 && e.retryable,
    );
    const port = await freePort();
    await assert.rejects(
      new CoreClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 }).register(reg),
      (e: unknown) => e instanceof CoreError && e.status === 0,
    );
  });

  test('back-off grows and is capped', () => {
    for (let a = 0; a < 30; a++) {
      const ms = backoffMs(a, 250, 30_000);
      assert.ok(ms >= Math.min(30_000, 250 * 2 ** a) / 2 && ms <= 30_000, `attempt ${a}: ${ms}`);
    }
  });

  test('the link retries registration until the core comes up, then heartbeats', async () => {
    const port = await freePort();
    const link = new CoreLink({
      client: new CoreClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 1000 }),
      registration: () => reg,
      instances: async () => ['x', 'y'],
    });
    // until the core comes up, its port hangs up on every connection: count the attempts
    let attempts = 0;
    const refuser = createServer((c) => (attempts++, c.destroy()));
    await new Promise<void>((r) => refuser.listen(port, '127.0.0.1', r));
    link.start();
    await eventually(() => attempts >= 2, 20_000, 'two failed registration attempts');
    assert.equal(link.registered, false);
    await new Promise((r) => refuser.close(r));
    const peer = await startCoreStubPeer({ port });
    peers.push(peer);
    await eventually(() => peer.heartbeats.length >= 2, 20_000, 'heartbeats after the core came up');
    assert.equal(link.heartbeatIntervalMs, 200, 'the interval the registration answer asked for');
    // the core's fleet grew: its heartbeat answers ask for a longer interval, and the link follows
    peer.heartbeatIntervalMs = 700;
    await eventually(() => link.heartbeatIntervalMs === 700, 20_000, 'the interval of the heartbeat answers');
    link.stop();
    assert.equal(link.registered, true);
    assert.equal(peer.registrations.length, 1);
    assert.deepEqual(peer.heartbeats[0]!.instances, ['x', 'y']);
  });
});

describe('heartbeats and a slow engine', () => {
  test('an instance list that never comes does not hold back the beats: they go without it', async () => {
    const peer = await startCoreStubPeer({ heartbeatIntervalMs: 100 });
    const link = new CoreLink({
      client: new CoreClient({ url: peer.url, timeoutMs: 2000 }),
      registration: () => reg,
      instances: () => new Promise<string[]>(() => undefined),
    });
    try {
      link.start();
      await eventually(() => peer.heartbeats.length >= 4, 20_000, 'four heartbeats while the list hangs');
      assert.ok(
        peer.heartbeats.every((h) => h.instances === undefined),
        'no beat carries a list',
      );
    } finally {
      link.stop();
      await peer.close();
    }
  });
});
