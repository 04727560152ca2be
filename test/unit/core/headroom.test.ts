// The reconciler's headroom gate: chosen work waits while the event loop is busier than the
// threshold, goes at once on an idle loop, never waits past its cap, and close() lets every
// waiter go; a real core with the gate on converges a rollout on a busy loop. Real event
// loop, real perf_hooks utilization, real HTTP to a simulated agent (no containers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Headroom } from '../../../src/core/reconciler/headroom.js';
import { startCore } from '../../../src/core/index.js';
import { CoreClient } from '../../../src/client/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { SimAgent } from '../../../testing/sim-agent.js';

/** holds the loop for `ms` in one synchronous stretch */
function hold(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an idle loop: wait() resolves at once', { timeout: 10_000 }, async () => {
  await idle(300); // whatever this file's imports left to finish
  const room = new Headroom({ maxUtilization: 0.8, windowMs: 20, maxWaitMs: 5_000 });
  await idle(60);
  let done = false;
  void room.wait().then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(done, true, 'resolved within the same turn');
  room.close();
});

test('a saturated loop: wait() holds until a window with room, then lets every waiter go', { timeout: 10_000 }, async () => {
  const room = new Headroom({ maxUtilization: 0.5, windowMs: 20, maxWaitMs: 5_000 });
  room.utilization(); // start a window
  hold(60); // a window at 100 %
  let released = 0;
  const waits = [room.wait(), room.wait(), room.wait()].map((p) => p.then(() => released++));
  // keep the loop saturated for a while: nothing may go meanwhile
  for (let i = 0; i < 5; i++) {
    hold(30);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(released, 0, 'held while the loop had no room');
  assert.ok(room.utilization() > 0.5, `utilization ${room.utilization()}`);
  await Promise.all(waits); // the loop is idle now: the next window has room
  assert.equal(released, 3);
  room.close();
});

test('never past maxWaitMs, whatever the load; close() releases waiters', { timeout: 10_000 }, async () => {
  const capped = new Headroom({ maxUtilization: 0, windowMs: 10, maxWaitMs: 100 });
  capped.utilization();
  hold(20);
  const busy = setInterval(() => hold(5), 10); // the loop never has room below 0
  const t0 = performance.now();
  await capped.wait();
  clearInterval(busy);
  assert.ok(performance.now() - t0 >= 90, 'it waited for the cap');
  capped.close();

  const closing = new Headroom({ maxUtilization: 0, windowMs: 10, maxWaitMs: 60_000 });
  closing.utilization();
  hold(20);
  const w = closing.wait();
  closing.close();
  await w;
});

test('maxUtilization 1 turns the gate off', { timeout: 10_000 }, async () => {
  const off = new Headroom({ maxUtilization: 1, windowMs: 10, maxWaitMs: 60_000 });
  hold(30);
  let done = false;
  void off.wait().then(() => (done = true));
  await Promise.resolve();
  assert.equal(done, true);
});

test('a core with the gate on still converges a rollout while its loop is kept busy', { timeout: 60_000 }, async () => {
  const core = await startCore({
    listen: '127.0.0.1:0',
    dataDir: tempDir('osmo-core-headroom-'),
    liveness: { heartbeatMs: 200, suspectMs: 1500, downMs: 3000 },
    processMetrics: false,
    reconciler: { headroomUtilization: 0.5 },
  });
  const api = new CoreClient({ base: core.url, token: core.token });
  const agent = await new SimAgent({ id: 'co-headroom', core: core.url, token: core.token, heartbeatMs: 200, cpus: 64 }).start();
  // the same process holds its loop 12 ms of every 20: above 0.5 most windows, so passes and
  // deploys go mostly on the gate's cap (250 ms)
  const busy = setInterval(() => hold(12), 20);
  try {
    await eventually(async () => (await api.nodes()).some((n) => n.status === 'ready'), 10_000, 'the node is ready');
    await api.createMel({ name: 'co-headroom-a', image: 'osmo-test/sleeper:1', replicas: 30 });
    await eventually(
      async () => (await api.instances({ mel: 'co-headroom-a' })).filter((i) => i.state === 'running').length === 30,
      40_000,
      '30 running',
    );
    assert.equal(agent.deploys, 30, 'each deployed once');
  } finally {
    clearInterval(busy);
    await agent.stop();
    await core.close();
  }
});
