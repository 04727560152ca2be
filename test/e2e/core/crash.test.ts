// kill -9 of the core in the middle of deployments, restart on the same store: the
// desired state is intact and the engine never holds two containers for one slot.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../testing/proc.js';
import { api, cleanupNodes, containersOf, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';

const IDS = ['co-k1-a', 'co-k1-b'];
let core: CoreProc;
const agents: AgentProc[] = [];

describe('core crash safety', { timeout: 240_000 }, () => {
  before(async () => {
    cleanupNodes(IDS);
    core = await spawnCore();
    agents.push(await spawnAgent(core, IDS[0]!, 'cloud', 'dc1'));
    agents.push(await spawnAgent(core, IDS[1]!, 'edge', 'dc1'));
    await eventually(async () => ((await api(core, 'GET', '/api/v1/nodes')).json.nodes as unknown[]).length === 2, 20_000, 'nodes');
  });
  after(async () => {
    for (const a of agents) await a.proc.stop('SIGKILL');
    await core.proc.stop('SIGKILL');
    cleanupNodes(IDS);
  });

  for (const [round, delayMs, replicas] of [[1, 150, 6], [2, 600, 9], [3, 0, 4]] as const) {
    test(`round ${round}: kill -9 ${delayMs} ms into a deployment of ${replicas} replicas, restart, converge without duplicates`, async () => {
      const mel = `co-k1-m${round}`;
      const spec = { name: mel, image: 'osmo-test/sleeper:1', replicas, env: { ROUND: String(round) } };
      assert.equal((await api(core, 'POST', '/api/v1/mels', spec)).status, 201);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      await core.proc.stop('SIGKILL');
      const mid = containersOf(mel).length;
      core = await spawnCore(core.dataDir, core.port);
      const after = await api(core, 'GET', `/api/v1/mels/${mel}`);
      assert.equal(after.status, 200, 'the MEL survived the crash');
      assert.equal(after.json.replicas, replicas);
      assert.deepEqual(after.json.env, spec.env);
      await eventually(async () => {
        const l = (await instances(core, mel)).filter((i) => i.state === 'running');
        const c = containersOf(mel);
        return l.length === replicas && c.length === replicas && c.every((x) => x.running);
      }, 40_000, `${replicas} running, ${replicas} containers`);
      // stays converged: no late duplicate shows up
      await new Promise((r) => setTimeout(r, 2500));
      const names = containersOf(mel).map((c) => c.name);
      assert.equal(names.length, replicas, `containers: ${names.join(',')} (at the crash: ${mid})`);
      assert.equal(new Set(names).size, replicas);
      const l = await instances(core, mel);
      assert.deepEqual(new Set(l.map((i) => i.name)), new Set(names));
    });
  }

  test('kill -9 during a scale-down and a delete: the store wins', async () => {
    await api(core, 'POST', '/api/v1/mels/co-k1-m2/scale', { replicas: 2 });
    await api(core, 'DELETE', '/api/v1/mels/co-k1-m1');
    await core.proc.stop('SIGKILL');
    core = await spawnCore(core.dataDir, core.port);
    assert.equal((await api(core, 'GET', '/api/v1/mels/co-k1-m1')).status, 404);
    await eventually(() => containersOf('co-k1-m1').length === 0 && containersOf('co-k1-m2').length === 2, 40_000, 'scale-down and delete completed after restart');
    for (const m of ['co-k1-m2', 'co-k1-m3']) await api(core, 'DELETE', `/api/v1/mels/${m}`);
    await eventually(() => containersOf('co-k1-m2').length + containersOf('co-k1-m3').length === 0, 30_000, 'cleaned');
  });
});
