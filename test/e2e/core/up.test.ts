// `osmo up`: core + local agent in one process; deploy through the CLI, reach the service,
// Ctrl-C, run it again: the same state, the same container, no duplicate.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from '../../../testing/proc.js';
import { api, cleanupNodes, containersOf, instances, reconcileRoundsPass } from '../../../testing/cluster.js';

const NODE = 'co-up-1';
const procs: OsmoProcess[] = [];
after(async () => {
  for (const p of procs) await p.stop('SIGKILL');
  cleanupNodes([NODE]);
});

test('osmo up runs a working single-node platform and resumes its state', { timeout: 180_000 }, async () => {
  cleanupNodes([NODE]);
  const dir = tempDir('osmo-co-up-');
  const port = await freePort();
  const agentPort = await freePort();
  const core = { url: `http://127.0.0.1:${port}` };
  const args = [
    'up',
    '--listen',
    `127.0.0.1:${port}`,
    '--data-dir',
    dir,
    '--agent-listen',
    `127.0.0.1:${agentPort}`,
    '--node-id',
    NODE,
    '--layer',
    'edge',
    '--domain',
    'home',
  ];
  const up = spawnOsmo(args);
  procs.push(up);
  await waitForHttp(`${core.url}/healthz`, 30_000);
  await eventually(() => /osmo is up/.test(up.output()), 20_000, 'banner');
  assert.match(up.output(), new RegExp(`dashboard:\\s+http://127\\.0\\.0\\.1:${port}/`));
  await eventually(
    async () =>
      ((await api(core, 'GET', '/api/v1/nodes')).json.nodes as Array<{ id: string; status: string }>).some(
        (n) => n.id === NODE && n.status === 'ready',
      ),
    20_000,
    'local node ready',
  );

  const deploy = spawnOsmo([
    'deploy',
    '--name',
    'co-up-web',
    '--image',
    'osmo-test/httpd:1',
    '--port',
    '80',
    '--core',
    core.url,
    '--timeout',
    '60',
  ]);
  const code = await deploy.exit();
  assert.equal(code, 0, deploy.output());
  const [inst] = (await api(core, 'GET', '/api/v1/instances?mel=co-up-web')).json.instances as Array<{
    name: string;
    ports: Array<{ hostPort: number }>;
  }>;
  assert.ok(inst && inst.ports.length === 1, JSON.stringify(inst));
  const page = await (await fetch(`http://127.0.0.1:${inst.ports[0]!.hostPort}/`)).text();
  assert.match(page, /osmo test page/);

  // Ctrl-C stops everything cleanly (instances keep running, like the agent alone)
  assert.equal(await up.stop('SIGINT'), 0);
  await assert.rejects(fetch(`${core.url}/healthz`));

  const again = spawnOsmo(args);
  procs.push(again);
  await waitForHttp(`${core.url}/healthz`, 30_000);
  await eventually(
    async () => {
      const l = await instances(core, 'co-up-web');
      return l.length === 1 && l[0]!.state === 'running' && l[0]!.name === inst.name;
    },
    20_000,
    'same instance after restart',
  );
  await reconcileRoundsPass(core);
  assert.deepEqual(
    containersOf('co-up-web').map((c) => c.name),
    [inst.name],
  );

  const rm = spawnOsmo(['rm', 'co-up-web', '--core', core.url]);
  assert.equal(await rm.exit(), 0);
  await eventually(() => containersOf('co-up-web').length === 0, 20_000, 'removed');
  assert.equal(await again.stop('SIGINT'), 0);
});
