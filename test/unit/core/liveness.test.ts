// The failure detector across a core restart: nodes restored from the store are spared for
// the restart grace (a restart is not every node dying), then judged like any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCore } from '../../../src/core/index.js';
import { tempDir } from '../../../testing/proc.js';
import { registerRequest } from '../../../testing/builders.js';

const node = (id: string) => registerRequest(id);

test('after a restart, known nodes are spared for the grace, then go down without heartbeats', async () => {
  const dataDir = tempDir('osmo-liveness-');
  const liveness = { heartbeatMs: 100, suspectMs: 200, downMs: 400, restartGraceMs: 5000 };
  const first = await startCore({ listen: '127.0.0.1:0', dataDir, liveness, processMetrics: false });
  await first.ctx.nodes.register(node('lv-a'));
  await first.ctx.nodes.register(node('lv-b'));
  await first.close();

  const started = Date.now();
  const second = await startCore({ listen: '127.0.0.1:0', dataDir, liveness, processMetrics: false });
  try {
    const status = (id: string) => second.ctx.state.nodes.get(id)?.status;
    // long past down-after, but inside the grace: still ready
    await second.ctx.nodes.detect(started + 2000);
    assert.equal(status('lv-a'), 'ready');
    assert.equal(status('lv-b'), 'ready');
    // one node speaks up: from now on it is judged normally, the other is still spared
    await second.ctx.nodes.heartbeat({ id: 'lv-a' });
    await second.ctx.nodes.detect(Date.now() + 2000);
    assert.equal(status('lv-a'), 'down', 'a node heard after the restart is judged at once');
    assert.equal(status('lv-b'), 'ready', 'a silent restored node is spared until the grace ends');
    await second.ctx.nodes.detect(Date.now() + 6000);
    assert.equal(status('lv-b'), 'down', 'after the grace a silent node goes down');
  } finally {
    await second.close();
  }
});

test('a fleet larger than --max-heartbeats a second is asked for a longer interval and judged by times stretched alike', async () => {
  // 2 heartbeats a second for the whole fleet, 4 nodes: each beats every 2 s, not every 100 ms
  const liveness = { heartbeatMs: 100, suspectMs: 200, downMs: 400, restartGraceMs: 0, maxHeartbeatsPerSecond: 2 };
  const core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-paced-'), liveness, processMetrics: false });
  try {
    const first = await core.ctx.nodes.register(node('pc-0'));
    assert.equal(first.heartbeatIntervalMs, 500, 'one node: 1000 ms / 2 per second');
    for (const id of ['pc-1', 'pc-2', 'pc-3']) await core.ctx.nodes.register(node(id));
    const beat = await core.ctx.nodes.heartbeat({ id: 'pc-0' });
    assert.equal(beat.heartbeatIntervalMs, 2000, 'four nodes: 4 × 1000 ms / 2 per second');
    const status = () => ['pc-0', 'pc-1', 'pc-2', 'pc-3'].map((id) => core.ctx.state.nodes.get(id)?.status);
    // 1.5 s of silence: past the unstretched down floor (400 ms), short of one paced interval
    await core.ctx.nodes.detect(Date.now() + 1500);
    assert.deepEqual(status(), ['ready', 'ready', 'ready', 'ready']);
    // far past the stretched floors (4 s, 8 s): down
    await core.ctx.nodes.detect(Date.now() + 60_000);
    assert.deepEqual(status(), ['down', 'down', 'down', 'down']);
  } finally {
    await core.close();
  }
});
