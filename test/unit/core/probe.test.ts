// The connect probe on suspicion (src/core/nodes/probe.ts): the decision, pure; the connect,
// against real sockets; and the registry acting on it in a real core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { startCore } from '../../../src/core/index.js';
import { DEFAULT_LIVENESS, Registry } from '../../../src/core/nodes/service.js';
import { connectProbe, probeTarget, probeVerdict, refusedMeansDown } from '../../../src/core/nodes/probe.js';
import { eventually, freePort, tempDir } from '../../../testing/proc.js';
import { registerRequest } from '../../../testing/builders.js';

test('the probe target is the host and port the agent registered; none for an agent on the bus', () => {
  assert.deepEqual(probeTarget('http://127.0.0.1:5001'), { host: '127.0.0.1', port: 5001 });
  assert.deepEqual(probeTarget('https://edge-1.example:7443/'), { host: 'edge-1.example', port: 7443 });
  assert.deepEqual(probeTarget('https://edge-1.example'), { host: 'edge-1.example', port: 443 });
  assert.deepEqual(probeTarget('http://edge-1.example'), { host: 'edge-1.example', port: 80 });
  assert.deepEqual(probeTarget('http://[::1]:5000'), { host: '::1', port: 5000 });
  assert.equal(probeTarget('nats://edge-behind-nat'), null);
  assert.equal(probeTarget('not a url'), null);
  assert.equal(probeTarget('http://0.0.0.0:5000'), null, 'a wildcard address names no host');
  assert.equal(probeTarget('http://[::]:5000'), null, 'a wildcard address names no host');
});

test('only a refused connect is proof of a dead agent process', () => {
  assert.equal(refusedMeansDown('ECONNREFUSED'), true);
  for (const o of ['connected', 'timeout', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'])
    assert.equal(refusedMeansDown(o), false, o);
});

test('a refused connect makes down only while the same silence lasts', () => {
  const beat = 1_000;
  const suspect = { status: 'suspect', lastHeartbeat: beat };
  assert.equal(probeVerdict('ECONNREFUSED', beat, suspect), 'down');
  // a connect that succeeds is no proof of life either (the agent may hang): no verdict at all
  assert.equal(probeVerdict('connected', beat, suspect), 'none');
  assert.equal(probeVerdict('timeout', beat, suspect), 'none');
  assert.equal(probeVerdict('EHOSTUNREACH', beat, suspect), 'none');
  // the world moved on while the probe ran
  assert.equal(probeVerdict('ECONNREFUSED', beat, { status: 'ready', lastHeartbeat: 1_400 }), 'none', 'heartbeat resumed');
  assert.equal(probeVerdict('ECONNREFUSED', beat, { status: 'suspect', lastHeartbeat: 1_400 }), 'none', 'a heartbeat, then silence again');
  assert.equal(probeVerdict('ECONNREFUSED', beat, { status: 'down', lastHeartbeat: beat }), 'none', 'already down by the detector');
  assert.equal(probeVerdict('ECONNREFUSED', beat, undefined), 'none', 'removed or re-registered');
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.destroy());
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

test('connectProbe: connected to a listener, ECONNREFUSED on a closed port', async () => {
  const s = await listen();
  try {
    assert.equal(await connectProbe({ host: '127.0.0.1', port: portOf(s) }, 2000), 'connected');
  } finally {
    s.close();
  }
  assert.equal(await connectProbe({ host: '127.0.0.1', port: await freePort() }, 2000), 'ECONNREFUSED');
});

test('connectProbe: a listener whose queue is full (its process stopped) ends by the timeout', async () => {
  // a stopped process's kernel still completes handshakes until the accept queue (backlog + 1) is
  // full, then drops SYNs: the connect neither succeeds nor fails
  const code = "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const port = await new Promise<number>((r) => child.stdout.once('data', (d: Buffer) => r(Number(String(d).trim()))));
    child.kill('SIGSTOP');
    const t = { host: '127.0.0.1', port };
    const seen: string[] = [];
    for (let i = 0; i < 10 && seen.at(-1) !== 'timeout'; i++) seen.push(await connectProbe(t, 300));
    assert.equal(seen.at(-1), 'timeout', `outcomes: ${seen.join(', ')}`);
    assert.ok(!seen.includes('ECONNREFUSED'), 'never refused');
  } finally {
    child.kill('SIGKILL');
  }
});

const node = registerRequest;

// floors far apart: a down inside this test can only come from the probe
const LIVENESS = { heartbeatMs: 100, suspectMs: 1000, downMs: 120_000, restartGraceMs: 0, maxHeartbeatsPerSecond: 0 };

test('the registry: refused ⇒ down with the probe named; open port or bus ⇒ still suspect', async () => {
  const open = await listen();
  const core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-probe-'), liveness: LIVENESS, processMetrics: false });
  try {
    await core.ctx.nodes.register(node('pr-dead', `http://127.0.0.1:${await freePort()}`));
    await core.ctx.nodes.register(node('pr-hung', `https://127.0.0.1:${portOf(open)}`));
    await core.ctx.nodes.register(node('pr-bus', 'nats://pr-bus'));
    await core.ctx.nodes.detect(Date.now() + 1500);
    const status = (id: string) => core.ctx.state.nodes.get(id)?.status;
    const events = async (id: string) =>
      (await core.ctx.state.store.events.list({ types: ['node'], node: id, limit: 100 })).map(
        (e) => e.data as { action: string; status?: string; reason?: string; probe?: string },
      );
    await eventually(() => status('pr-dead') === 'down', 10_000, 'pr-dead down by the probe');
    const down = (await events('pr-dead')).find((e) => e.action === 'status' && e.status === 'down')!;
    assert.equal(down.probe, 'ECONNREFUSED');
    assert.match(down.reason ?? '', /refused \(probe on suspicion; no heartbeat for \d+ ms\)/);
    await eventually(async () => (await events('pr-hung')).some((e) => e.action === 'probe'), 10_000, 'pr-hung probed');
    const probe = (await events('pr-hung')).find((e) => e.action === 'probe')!;
    assert.equal(probe.probe, 'connected');
    assert.equal(status('pr-hung'), 'suspect', 'a port that answers is no verdict');
    await eventually(() => core.ctx.nodes.probing === 0, 10_000, 'probes done');
    assert.equal(status('pr-bus'), 'suspect');
    assert.deepEqual(
      (await events('pr-bus')).filter((e) => e.action === 'probe'),
      [],
      'an agent on the bus is never probed',
    );
    // one probe per suspicion episode: more ticks of the same silence probe no more
    await core.ctx.nodes.detect(Date.now() + 2000);
    await core.ctx.nodes.detect(Date.now() + 2500);
    await eventually(() => core.ctx.nodes.probing === 0, 10_000, 'probes done');
    assert.equal((await events('pr-hung')).filter((e) => e.action === 'probe').length, 1);
  } finally {
    await core.close();
    open.close();
  }
});

test('the registry without the probe: a refused port stays suspect until the floors', async () => {
  const core = await startCore({
    listen: '127.0.0.1:0',
    dataDir: tempDir('osmo-noprobe-'),
    liveness: { ...LIVENESS, probeOnSuspect: false },
    processMetrics: false,
  });
  try {
    await core.ctx.nodes.register(node('np-dead', `http://127.0.0.1:${await freePort()}`));
    await core.ctx.nodes.detect(Date.now() + 1500);
    assert.equal(core.ctx.state.nodes.get('np-dead')?.status, 'suspect');
    assert.equal(core.ctx.nodes.probing, 0, 'no probe started');
    const evs = await core.ctx.state.store.events.list({ types: ['node'], node: 'np-dead', limit: 100 });
    assert.deepEqual(
      evs.filter((e) => (e.data as { action: string }).action === 'probe' || (e.data as { status?: string }).status === 'down'),
      [],
    );
  } finally {
    await core.close();
  }
});

test('the registry probes at most 64 nodes at once; the rest are left to the detector', async () => {
  const core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-probe-cap-'), liveness: LIVENESS, processMetrics: false });
  // a second registry over the same state, with a prober that answers only when released
  let release: (o: string) => void = () => undefined;
  const answer = new Promise<string>((r) => (release = r));
  let asked = 0;
  const probe = () => {
    asked++;
    return answer;
  };
  const r = new Registry(core.ctx.state, core.ctx.events, core.ctx.reconciler, { ...DEFAULT_LIVENESS, ...LIVENESS }, probe);
  try {
    core.ctx.nodes.stop(); // its own ticks stay out of this
    for (let i = 0; i < 70; i++) await r.register(node(`cap-${i}`, `http://127.0.0.1:${10_000 + i}`));
    await r.detect(Date.now() + 1500);
    assert.equal(asked, 64);
    assert.equal(r.probing, 64);
    release('ECONNREFUSED');
    await eventually(() => r.probing === 0, 10_000, 'probes answered');
    const down = [...core.ctx.state.nodes.values()].filter((n) => n.id.startsWith('cap-') && n.status === 'down');
    assert.equal(down.length, 64, 'the probed ones are down');
    const left = [...core.ctx.state.nodes.values()].filter((n) => n.id.startsWith('cap-') && n.status === 'suspect');
    assert.equal(left.length, 6, 'the ones past the cap are still suspect, for the detector');
  } finally {
    r.stop();
    await core.close();
  }
});
