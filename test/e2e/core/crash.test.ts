// kill -9 of the core in the middle of deployments, restart on the same store: the
// desired state is intact and the engine never holds two containers for one slot.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../testing/proc.js';
import {
  api,
  cleanupNodes,
  containersOf,
  instances,
  reconcileRoundsPass,
  spawnAgent,
  spawnCore,
  type AgentProc,
  type CoreProc,
} from '../../../testing/cluster.js';

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

  // Kill points the core can observe: right after the MEL is accepted, at its first running
  // instance, and with each node's first deploy running while the rest of its deploys are in
  // flight as one batch (a node's deploys after its first go together, so "half running" is no
  // longer a state one can catch: the count goes 2 -> 5 -> 8, or 2 -> 8 within one poll). No
  // fixed delays: a slow machine only moves the points.
  for (const [round, killAt, replicas] of [
    [1, 0, 6],
    [2, 1, 9],
    [3, 2, 8],
  ] as const) {
    const when = killAt === 0 ? 'right after the MEL is accepted' : `at ${killAt} running of ${replicas}`;
    test(`round ${round}: kill -9 ${when}, restart, converge without duplicates`, async () => {
      const mel = `co-k1-m${round}`;
      const spec = { name: mel, image: 'osmo-test/sleeper:1', replicas, env: { ROUND: String(round) } };
      assert.equal((await api(core, 'POST', '/api/v1/mels', spec)).status, 201);
      // a short poll interval: the point is to catch the deployment half-way
      const deadline = Date.now() + 60_000;
      let runningAtKill: number;
      for (;;) {
        runningAtKill = (await instances(core, mel)).filter((i) => i.state === 'running').length;
        if (runningAtKill >= killAt) break;
        assert.ok(
          Date.now() < deadline,
          `no ${killAt} running instances within 60 s: ${JSON.stringify((await instances(core, mel)).map((i) => [i.node, i.state, i.reason]))}`,
        );
        await new Promise((r) => setTimeout(r, 50));
      }
      await core.proc.stop('SIGKILL');
      assert.ok(runningAtKill < replicas, `the kill landed mid-deployment (${runningAtKill} of ${replicas} running)`);
      const mid = containersOf(mel).length;
      core = await spawnCore(core.dataDir, core.port);
      const after = await api(core, 'GET', `/api/v1/mels/${mel}`);
      assert.equal(after.status, 200, 'the MEL survived the crash');
      assert.equal(after.json.replicas, replicas);
      assert.deepEqual(after.json.env, spec.env);
      await eventually(
        async () => {
          const l = (await instances(core, mel)).filter((i) => i.state === 'running');
          const c = containersOf(mel);
          return l.length === replicas && c.length === replicas && c.every((x) => x.running);
        },
        40_000,
        `${replicas} running, ${replicas} containers`,
      );
      // stays converged: no late duplicate shows up while the core reconciles
      await reconcileRoundsPass(core);
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
    await eventually(
      () => containersOf('co-k1-m1').length === 0 && containersOf('co-k1-m2').length === 2,
      40_000,
      'scale-down and delete completed after restart',
    );
    for (const m of ['co-k1-m2', 'co-k1-m3']) await api(core, 'DELETE', `/api/v1/mels/${m}`);
    await eventually(() => containersOf('co-k1-m2').length + containersOf('co-k1-m3').length === 0, 30_000, 'cleaned');
  });
});
