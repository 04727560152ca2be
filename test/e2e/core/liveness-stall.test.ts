// A core that stalls (a long synchronous round, a starved CPU) must not call its nodes dead
// for its own silence: the heartbeats sent meanwhile are waiting unread in the sockets. A real
// sender in a child process keeps beating over HTTP while the core's event loop is blocked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startCore } from '../../../src/core/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { registerRequest } from '../../../testing/builders.js';

const SENDER = `
const [url, token, id] = process.argv.slice(1);
const beat = () => fetch(url + '/api/v1/agent/heartbeat', {
  method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
  body: JSON.stringify({ id }),
}).catch(() => undefined);
setInterval(beat, 100);
`;

test('a core stalled longer than down-after keeps its beating nodes ready', async () => {
  const liveness = { heartbeatMs: 100, suspectMs: 1500, downMs: 3000, restartGraceMs: 0 };
  const core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-stall-'), liveness, processMetrics: false });
  const id = 'stall-node-1';
  // registered over HTTP with the join token, as an agent does: the answer carries the node's own
  // credential, which its heartbeats must then present
  const reg = await fetch(`${core.url}/api/v1/agent/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${core.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(registerRequest(id)),
  });
  const credential = ((await reg.json()) as { credential?: string }).credential;
  assert.ok(credential, `registration answered ${reg.status} with a credential`);
  const sender = spawn(process.execPath, ['-e', SENDER, core.url, credential, id], { stdio: 'ignore' });
  try {
    const status = () => core.ctx.state.nodes.get(id)!.status;
    const beats = () => core.ctx.state.nodes.get(id)!.lastHeartbeat;
    const first = beats();
    await eventually(() => beats() > first, 20_000, 'the sender reaches the core');
    // block this process (and so the core) for twice down-after
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      /* the stall */
    }
    const skipped = core.ctx.nodes.skippedTicks;
    const after = beats();
    // the queued heartbeats are read and the detector has run again since
    await eventually(() => beats() > after, 20_000, 'heartbeats read after the stall');
    await core.ctx.nodes.detect();
    assert.equal(status(), 'ready', 'the node stayed ready through the stall');
    const events = await core.ctx.state.store.events.list({ types: ['node'], node: id, limit: 100 });
    assert.deepEqual(
      events.filter((e) => (e.data as { status?: string }).status === 'down' || (e.data as { status?: string }).status === 'suspect'),
      [],
      'no suspect or down in the event log',
    );
    assert.ok(core.ctx.nodes.skippedTicks > skipped, 'the stalled tick was skipped');
  } finally {
    sender.kill('SIGKILL');
    await core.close();
  }
});
