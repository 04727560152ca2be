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
  await eventually(async () => (await api.nodes()).filter((n) => n.status === 'ready').length === 2, 10_000, 'two ready nodes');
});
after(async () => {
  await batching.stop();
  await old.stop();
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
