// The failure detector across a core restart: nodes restored from the store are spared for
// the restart grace (a restart is not every node dying), then judged like any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCore } from '../../../src/core/index.js';
import type { RegisterRequest } from '../../../src/bus/protocol.js';
import { tempDir } from '../../../testing/proc.js';

const node = (id: string): RegisterRequest => ({
  id,
  address: 'http://127.0.0.1:1',
  layer: 'edge',
  domain: 'lab',
  labels: {},
  capacity: { cpus: 1, memoryBytes: 1 << 30 },
  drivers: ['docker'],
  version: '0.0.0',
});

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
