// The connect probe on suspicion with a real core and real agent processes (on the Docker
// engine, as every test agent): an agent killed with -9 leaves its host refusing connections,
// which the core takes as proof and calls the node down without waiting for the down floor; an
// agent stopped with SIGSTOP (hung: its port still accepts, no heartbeats) proves nothing, so
// it is left to the φ detector and its floors. Asserted on the events' reasons, not on timing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupNodes, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';
import { eventually } from '../../../testing/proc.js';
import { CoreClient } from '../../../src/client/index.js';
import { DEFAULT_LIVENESS } from '../../../src/core/nodes/service.js';

const IDS = ['pr-e2e-dead', 'pr-e2e-hung'];
let core: CoreProc;
let api: CoreClient;
const agents: AgentProc[] = [];

interface NodeEv {
  ts: number;
  data: { action?: string; status?: string; reason?: string; probe?: string };
}

async function nodeEvents(id: string, since: number): Promise<NodeEv[]> {
  return (await api.eventHistory({ type: 'node', since: String(since), limit: 10_000 }))
    .filter((e) => e.node === id)
    .map((e) => ({ ts: e.ts, data: e.data as NodeEv['data'] }));
}

describe('connect probe on suspicion', { timeout: 180_000 }, () => {
  before(async () => {
    cleanupNodes(IDS);
    // the default detector settings, probe included: what users run
    core = await spawnCore();
    api = new CoreClient({ base: core.url, token: core.token });
    for (const id of IDS) agents.push(await spawnAgent(core, id, 'edge', 'd1'));
    await eventually(async () => (await api.nodes()).filter((n) => n.status === 'ready').length === 2, 30_000, '2 nodes ready');
  });
  after(async () => {
    for (const a of agents) {
      a.proc.child.kill('SIGCONT');
      await a.proc.stop('SIGKILL');
    }
    await core.proc.stop('SIGKILL');
    cleanupNodes(IDS);
  });

  test('kill -9 of an agent: down by the probe (connect refused), not by the floor', async () => {
    const victim = agents.find((a) => a.id === 'pr-e2e-dead')!;
    const t0 = Date.now();
    await victim.proc.stop('SIGKILL');
    await eventually(async () => (await api.node(victim.id)).status === 'down', 30_000, 'node down');
    const evs = await nodeEvents(victim.id, t0);
    const statuses = evs.filter((e) => e.data.action === 'status').map((e) => e.data.status);
    assert.deepEqual(statuses, ['suspect', 'down'], 'suspect first (the probe runs on suspicion), then down');
    const down = evs.find((e) => e.data.status === 'down')!;
    assert.equal(down.data.probe, 'ECONNREFUSED', `down via the probe: ${down.data.reason}`);
    assert.match(
      down.data.reason ?? '',
      /^agent process gone: connect to 127\.0\.0\.1:\d+ refused \(probe on suspicion; no heartbeat for \d+ ms\)$/,
    );
  });

  test('a hung agent (SIGSTOP: port open, no heartbeats) is not declared down by the probe', async () => {
    const hung = agents.find((a) => a.id === 'pr-e2e-hung')!;
    const t0 = Date.now();
    hung.proc.child.kill('SIGSTOP');
    try {
      await eventually(async () => (await nodeEvents(hung.id, t0)).some((e) => e.data.action === 'probe'), 30_000, 'probed on suspicion');
      const probe = (await nodeEvents(hung.id, t0)).find((e) => e.data.action === 'probe')!;
      assert.equal(probe.data.probe, 'connected', `the stopped agent's kernel still accepts: ${probe.data.reason}`);
      assert.match(probe.data.reason ?? '', /no verdict, the detector decides/);
      // the detector's floors and φ take it down later, by silence alone
      await eventually(async () => (await api.node(hung.id)).status === 'down', 30_000, 'down by the detector');
      const evs = await nodeEvents(hung.id, t0);
      const down = evs.find((e) => e.data.action === 'status' && e.data.status === 'down')!;
      assert.equal(down.data.probe, undefined, `not via the probe: ${down.data.reason}`);
      const silence = Number(/^no heartbeat for (\d+) ms \(phi /.exec(down.data.reason ?? '')?.[1]);
      assert.ok(silence >= DEFAULT_LIVENESS.downMs, `down by the detector, after the floor: ${down.data.reason}`);
      assert.equal(evs.filter((e) => e.data.action === 'probe').length, 1, 'one probe per suspicion episode');
    } finally {
      hung.proc.child.kill('SIGCONT');
    }
    // woken, it beats again: ready, and nothing else was needed
    await eventually(async () => (await api.node(hung.id)).status === 'ready', 30_000, 'ready again after SIGCONT');
  });
});
