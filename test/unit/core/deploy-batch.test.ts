// The reconciler sends the deploys of a pass as one batch request per node
// (POST /api/v1/deploy/batch), falls back to the seed's PUT per instance for an agent that
// does not know the route, and still fails only the instance an agent refuses. Real core,
// real HTTP, simulated agents (no containers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { CoreClient } from '../../../src/client/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { SimAgent } from '../../../testing/sim-agent.js';

let core: CoreHandle;
let api: CoreClient;
let batching: SimAgent;
let old: SimAgent;
let slow: SimAgent;

before(async () => {
  core = await startCore({
    listen: '127.0.0.1:0',
    dataDir: tempDir('osmo-core-batch-'),
    liveness: { heartbeatMs: 200, suspectMs: 1500, downMs: 3000 },
    processMetrics: false,
  });
  api = new CoreClient({ base: core.url, token: core.token });
  batching = await new SimAgent({ id: 'co-batch-new', core: core.url, token: core.token, heartbeatMs: 200, cpus: 64 }).start();
  old = await new SimAgent({ id: 'co-batch-old', core: core.url, token: core.token, heartbeatMs: 200, batch: false, cpus: 64 }).start();
  // answers each deploy after 1 s: what a busy agent or a backlogged core looks like
  slow = await new SimAgent({
    id: 'co-batch-slow',
    core: core.url,
    token: core.token,
    heartbeatMs: 200,
    cpus: 64,
    deployDelayMs: 1000,
  }).start();
  await eventually(async () => (await api.nodes()).filter((n) => n.status === 'ready').length === 3, 10_000, 'three ready nodes');
});
after(async () => {
  await batching.stop();
  await old.stop();
  await slow.stop();
  await core.close();
});

const running = async (mel: string) => (await api.instances({ mel })).filter((i) => i.state === 'running');

test('the deploys of a pass reach an agent as batches, not one request per instance', async () => {
  await api.createMel({ name: 'co-batch-a', image: 'osmo-test/sleeper:1', replicas: 40, placement: { node: 'co-batch-new' } });
  await eventually(async () => (await running('co-batch-a')).length === 40, 20_000, '40 running');
  assert.equal(batching.deploys, 40);
  assert.ok(batching.batches >= 1, 'the batch route was used');
  assert.ok(batching.batches <= 10, `40 deploys in ${batching.batches} batch requests`);
});

test('an agent without the batch route gets the same deploys one by one', async () => {
  await api.createMel({ name: 'co-batch-b', image: 'osmo-test/sleeper:1', replicas: 6, placement: { node: 'co-batch-old' } });
  await eventually(async () => (await running('co-batch-b')).length === 6, 20_000, '6 running on the older agent');
  assert.equal(old.deploys, 6);
  assert.equal(old.batches, 0);
});

test('an item the agent refuses fails alone; the rest of its batch runs', async () => {
  const before = batching.batches;
  await api.createMel({ name: 'co-batch-ok', image: 'osmo-test/sleeper:1', replicas: 5, placement: { node: 'co-batch-new' } });
  await api.createMel({ name: 'co-batch-bad', image: 'sim-fail/nope:1', replicas: 1, placement: { node: 'co-batch-new' } });
  await eventually(async () => (await running('co-batch-ok')).length === 5, 20_000, '5 running');
  const failed = await eventually(
    async () => (await api.instances({ mel: 'co-batch-bad' })).find((i) => i.state === 'failed'),
    20_000,
    'the refused instance failed',
  );
  assert.match(failed.reason ?? '', /refused deploy.*500.*pull sim-fail\/nope:1: not found/);
  assert.ok(batching.batches > before);
});

test("deploys queued while a node's request is in flight go together in its next one", async () => {
  await api.createMel({ name: 'co-batch-first', image: 'osmo-test/sleeper:1', replicas: 1, placement: { node: 'co-batch-slow' } });
  await eventually(async () => slow.singles + slow.batches >= 1, 10_000, 'the first request reached the slow agent');
  // five MELs, five reconcile passes, while the first request is still in flight
  for (let k = 0; k < 5; k++)
    await api.createMel({ name: `co-batch-then-${k}`, image: 'osmo-test/sleeper:1', replicas: 6, placement: { node: 'co-batch-slow' } });
  await eventually(
    async () => (await api.instances({ node: 'co-batch-slow' })).filter((i) => i.state === 'running').length === 31,
    30_000,
    '31 running',
  );
  assert.equal(slow.deploys, 31);
  // one request at a time per node: the 30 waited for the first and left as one batch
  assert.ok(slow.singles + slow.batches <= 2, `31 deploys in ${slow.singles} PUTs and ${slow.batches} batches`);
});
