// The core's load table over a real store: guest load is the sum of the node's instances
// against its declared capacity, and only counts once every running instance reported;
// host load includes the io term from network and disk rates; moved-away instances stop
// weighing on their old node at once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../../src/store/index.js';
import type { OsmoEvent } from '../../../src/bus/events.js';
import type { MetricName } from '../../../src/model/index.js';
import { ClusterState, type LiveNode } from '../../../src/core/state.js';
import { LoadBook } from '../../../src/core/migration/loads.js';
import { applyPatch, defaultPolicy } from '../../../src/policy/document.js';
import { GiB, liveNode } from '../../../testing/builders.js';
import { tempDir } from '../../../testing/proc.js';

let store: Store;
let state: ClusterState;

function node(id: string): LiveNode {
  const now = Date.now();
  return liveNode(id, {
    address: 'http://127.0.0.1:1',
    capacity: { cpus: 2, memoryBytes: 4 * GiB },
    registeredAt: now,
    updatedAt: now,
    lastHeartbeat: now,
  });
}

let id = 0;
const sample = (
  nodeId: string,
  ts: number,
  source: 'host' | 'guest',
  target: string,
  metric: MetricName,
  fields: Record<string, number>,
): OsmoEvent => ({
  id: ++id,
  origin: nodeId,
  seq: id,
  node: nodeId,
  type: 'sample',
  ts,
  data: { source, target, metric, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { value: v, unit: 'x' }])) },
});

describe('LoadBook', () => {
  before(async () => {
    store = await openStore(tempDir('osmo-loads-'));
    state = new ClusterState(store);
    await state.saveNode(node('n1'));
    await state.saveNode(node('n2'));
    const t = Date.now();
    const inst = (iid: string, name: string, n: string) => ({
      id: iid,
      mel: 'm',
      node: n,
      name,
      generation: 1,
      desired: 'run' as const,
      state: 'running' as const,
      reason: null,
      ports: [],
      createdAt: t,
      updatedAt: t,
    });
    await state.saveInstances([inst('a', 'm-a', 'n1'), inst('b', 'm-b', 'n1')]);
  });
  after(async () => store.close());

  test('guest: waits until every running instance reported, then sums them against capacity', () => {
    const book = new LoadBook(state);
    const p = applyPatch(defaultPolicy(), { loadSource: 'guest', weights: { cpu: 1, mem: 0, io: 0 } });
    const now = Date.now();
    book.onEvent(sample('n1', now, 'guest', 'm-a', 'cpu', { total: 50 }));
    book.refresh(now, () => p);
    assert.equal(book.node('n1', now, p), undefined, 'm-b has not reported: no measurement yet');
    book.onEvent(sample('n1', now + 1, 'guest', 'm-b', 'cpu', { total: 100 }));
    book.refresh(now + 1, () => p);
    assert.equal(book.node('n1', now + 1, p)?.load, 0.75); // (0.5 + 1.0) cores / 2
    // an idle node is a measured 0
    assert.equal(book.node('n2', now + 1, p)?.load, 0);
    // the instance's own share of its node
    assert.equal(book.instance('m-b', now + 1, p), 0.5);
  });

  test('guest io: byte rates against ioCapacityBytesPerSec', () => {
    const book = new LoadBook(state);
    const p = applyPatch(defaultPolicy(), {
      loadSource: 'guest',
      weights: { cpu: 0, mem: 0, io: 1 },
      management: { ioCapacityBytesPerSec: 1000 },
    });
    const now = Date.now();
    book.onEvent(sample('n1', now, 'guest', 'm-a', 'net', { rx_bytes_rate: 100, tx_bytes_rate: 100, rx_bytes: 1e9 }));
    book.onEvent(sample('n1', now, 'guest', 'm-b', 'disk', { read_bytes_rate: 300, write_bytes: 5 }));
    book.onEvent(sample('n1', now, 'guest', 'm-a', 'cpu', { total: 1 }));
    book.onEvent(sample('n1', now, 'guest', 'm-b', 'cpu', { total: 1 }));
    book.refresh(now, () => p);
    assert.equal(book.node('n1', now, p)?.load, 0.5);
  });

  test('host: cpu total, memory used_percent, io from non-loopback network and disk rates', () => {
    const book = new LoadBook(state);
    const p = applyPatch(defaultPolicy(), {
      loadSource: 'host',
      weights: { cpu: 1, mem: 1, io: 2 },
      management: { ioCapacityBytesPerSec: 1000 },
    });
    const now = Date.now();
    book.onEvent(sample('n2', now, 'host', 'host', 'cpu', { total: 40, core0: 90 }));
    book.onEvent(sample('n2', now, 'host', 'host', 'mem', { used_percent: 60, used: 1 }));
    book.onEvent(sample('n2', now, 'host', 'host', 'net', { 'eth0.rx_bytes_rate': 200, 'lo.rx_bytes_rate': 1e9 }));
    book.onEvent(sample('n2', now, 'host', 'host', 'disk', { 'sda.write_bytes_rate': 300 }));
    book.refresh(now, () => p);
    const l = book.node('n2', now, p)?.load ?? -1;
    assert.ok(Math.abs(l - (0.4 + 0.6 + 2 * 0.5) / 4) < 1e-9, String(l));
  });

  test('a moved-away instance stops counting on its old node at once', async () => {
    const book = new LoadBook(state);
    const p = applyPatch(defaultPolicy(), {
      loadSource: 'guest',
      weights: { cpu: 1, mem: 0, io: 0 },
      management: { monitoringPeriodMs: 5000, stalenessTimeoutMs: 100_000 },
    });
    const now = Date.now();
    book.onEvent(sample('n1', now, 'guest', 'm-a', 'cpu', { total: 100 }));
    book.onEvent(sample('n1', now, 'guest', 'm-b', 'cpu', { total: 100 }));
    book.refresh(now, () => p);
    assert.equal(book.node('n1', now, p)?.load, 1);
    const b = state.instances.get('b')!;
    await state.saveInstances([{ ...b, node: 'n2' }]);
    // b's last sample on n1 is still fresh (one second old) but b runs elsewhere now
    book.onEvent(sample('n1', now + 1000, 'guest', 'm-a', 'cpu', { total: 100 }));
    book.refresh(now + 1000, () => p);
    // n1's guest sum dropped from 1.0 to 0.5; smoothed: 1 + (1 - e^-0.2)(0.5 - 1)
    const l = book.node('n1', now + 1000, p)?.load ?? 1;
    assert.ok(Math.abs(l - (1 + (1 - Math.exp(-0.2)) * -0.5)) < 1e-9, String(l));
    await state.saveInstances([b]);
  });
});
