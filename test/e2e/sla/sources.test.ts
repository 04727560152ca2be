// What a bound term measures (src/core/sla/sources.ts) over a real store (SQLite in a temp
// dir) and the core's ClusterState, and a real HTTP server for the probe: availability,
// metrics of the MEL's own instances, and response times (answers, refusals, 5xx).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { measure, type MeasureContext } from '../../../src/core/sla/sources.js';
import { ClusterState } from '../../../src/core/state.js';
import { openStore, type InstanceRecord, type Store } from '../../../src/store/index.js';
import type { MelSpec } from '../../../src/model/index.js';
import { freePort, tempDir } from '../../../testing/proc.js';

let store: Store;
let state: ClusterState;
let server: Server;
let okPort: number;
const NOW = Date.parse('2026-11-30T12:00:00Z');
const ctx = (): MeasureContext => ({ state, store, windowMs: 10_000, now: NOW });

const spec = (name: string, replicas: number): MelSpec => ({
  name,
  image: 'i',
  replicas,
  privileged: false,
  resources: { cpus: 0.1, memoryBytes: 1 },
  placement: {},
});
let n = 0;
const inst = (mel: string, st: InstanceRecord['state'], hostPort?: number, desired: InstanceRecord['desired'] = 'run'): InstanceRecord => {
  n += 1;
  return {
    id: `${mel}-id${n}`,
    mel,
    node: null,
    name: `${mel}-c${n}`,
    generation: 1,
    desired,
    state: st,
    reason: null,
    ports: hostPort === undefined ? [] : [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort }],
    createdAt: NOW,
    updatedAt: NOW,
  };
};

before(async () => {
  store = await openStore(tempDir('osmo-sla2-src-'));
  state = new ClusterState(store);
  server = createServer((req, res) => {
    res.statusCode = req.url === '/broken' ? 503 : 200;
    res.end('ok');
  });
  okPort = await freePort();
  await new Promise<void>((r) => server.listen(okPort, '127.0.0.1', r));
});
after(async () => {
  server.close();
  await store.close();
});

test('availability: running / desired replicas; 1 when none are desired; nothing for an unknown MEL', async () => {
  await state.saveMel({ name: 'av', spec: spec('av', 2), generation: 1, createdAt: NOW, updatedAt: NOW });
  await state.saveInstances([inst('av', 'running'), inst('av', 'failed'), inst('av', 'running', undefined, 'stop')]);
  assert.equal(await measure({ type: 'availability' }, 'av', ctx()), 0.5);
  await state.saveMel({ name: 'av0', spec: spec('av0', 0), generation: 1, createdAt: NOW, updatedAt: NOW });
  assert.equal(await measure({ type: 'availability' }, 'av0', ctx()), 1);
  assert.equal(await measure({ type: 'availability' }, 'ghost', ctx()), undefined);
});

test("metric: the latest sample of each of the MEL's instances within the window, aggregated", async () => {
  await state.saveMel({ name: 'mx', spec: spec('mx', 2), generation: 1, createdAt: NOW, updatedAt: NOW });
  const [a, b] = [inst('mx', 'running'), inst('mx', 'running')];
  await state.saveInstances([a, b]);
  const row = (target: string, ts: number, value: number, field = 'total') => ({
    ts,
    node: 'n',
    target,
    metric: 'cpu',
    field,
    value,
    unit: 'percent',
  });
  await store.samples.insertMany([
    row(a.name, NOW - 2000, 20),
    row(b.name, NOW - 1000, 60),
    row(b.name, NOW - 60_000, 99), // outside the window
    row('someone-else', NOW - 1000, 1000), // not this MEL's
    row(a.name, NOW - 1000, 7, 'core0'), // another field
  ]);
  const src = (aggregate: 'avg' | 'max' | 'min' | 'sum') => ({
    type: 'metric' as const,
    metric: 'cpu' as const,
    field: 'total',
    aggregate,
  });
  assert.equal(await measure(src('avg'), 'mx', ctx()), 40);
  assert.equal(await measure(src('max'), 'mx', ctx()), 60);
  assert.equal(await measure(src('min'), 'mx', ctx()), 20);
  assert.equal(await measure(src('sum'), 'mx', ctx()), 80);
  assert.equal(
    await measure({ type: 'metric', metric: 'mem', field: 'used_percent', aggregate: 'avg' }, 'mx', ctx()),
    undefined,
    'no samples, no value',
  );
});

test('http: seconds to an answer; the timeout for a refusal, a 5xx, or no running instance', async () => {
  const closed = await freePort();
  await state.saveMel({ name: 'web', spec: spec('web', 1), generation: 1, createdAt: NOW, updatedAt: NOW });
  await state.saveInstances([inst('web', 'running', okPort)]);
  const ok = await measure({ type: 'http', path: '/', timeoutMs: 3000 }, 'web', ctx());
  assert.ok(ok !== undefined && ok >= 0 && ok < 3, `answered: ${ok}`);
  assert.equal(await measure({ type: 'http', path: '/broken', timeoutMs: 3000 }, 'web', ctx()), 3, '503 counts as no answer');

  await state.saveMel({ name: 'dead', spec: spec('dead', 1), generation: 1, createdAt: NOW, updatedAt: NOW });
  await state.saveInstances([inst('dead', 'running', closed)]);
  assert.equal(await measure({ type: 'http', path: '/', timeoutMs: 1500 }, 'dead', ctx()), 1.5, 'refused');

  await state.saveMel({ name: 'down', spec: spec('down', 1), generation: 1, createdAt: NOW, updatedAt: NOW });
  await state.saveInstances([inst('down', 'failed', okPort)]);
  assert.equal(await measure({ type: 'http', path: '/', timeoutMs: 2000 }, 'down', ctx()), 2, 'no running instance');
  await state.saveMel({ name: 'none', spec: spec('none', 0), generation: 1, createdAt: NOW, updatedAt: NOW });
  assert.equal(
    await measure({ type: 'http', path: '/', timeoutMs: 2000 }, 'none', ctx()),
    undefined,
    'a MEL that wants no replica is not probed',
  );
});
