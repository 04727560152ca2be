// The forwarder's back-off against a sink that was away: resume() (called when the agent
// registers again) delivers at once instead of sleeping out the wait earned meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../../src/bus/events.js';
import { CoreError } from '../../../src/agent/events/core-client.js';
import { Forwarder } from '../../../src/agent/events/forwarder.js';
import { Outbox } from '../../../src/agent/events/outbox.js';
import { eventually, tempDir } from '../../../testing/proc.js';

const ev = (seq: number): AgentEvent => ({ type: 'monitor', metric: 'cpu', source: 'host', action: 'started', seq, node: 'fw-1', ts: seq });

test('after many failures the back-off is long; resume() delivers now, in order, once', async () => {
  const outbox = new Outbox({ dir: tempDir('osmo-fw-'), segmentBytes: 4096, maxBytes: 1 << 20 });
  let up = false;
  let attempts = 0;
  const got: number[] = [];
  const f = new Forwarder({
    outbox,
    lingerMs: 0,
    send: async (events) => {
      attempts++;
      if (!up) throw new CoreError('core unreachable', 0);
      got.push(...events.map((e) => e.seq));
    },
  });
  try {
    for (let i = 1; i <= 5; i++) outbox.append(ev(i));
    f.kick();
    // 250 ms, 500 ms, 1 s, 2 s ...: after six failures the next try is 8-16 s away
    await eventually(() => attempts >= 6, 30_000, 'six failed deliveries');
    up = true;
    const before = attempts;
    f.resume();
    await eventually(() => got.length === 5, 5_000, 'delivered after resume, well before the back-off ends');
    assert.equal(attempts, before + 1, 'one more attempt, not a burst');
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
  } finally {
    f.stop();
    outbox.close();
  }
});
