// `osmo logs`: an instance's output travels agent -> core -> CLI. Real core and agent in one
// process (like `osmo up`), a real container, the CLI as a real child process.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { eventually, freePort, spawnOsmo, tempDir } from '../../../testing/proc.js';
import { api, cleanupNodes, containersOf, instances } from '../../../testing/cluster.js';

const NODE = 'co-logs-1';
let core: CoreHandle | undefined;
let agent: RunningAgent | undefined;
after(async () => {
  await agent?.close();
  await core?.close();
  cleanupNodes([NODE]);
});

test("an instance's stdout and stderr reach `osmo logs` through the core", { timeout: 120_000 }, async () => {
  cleanupNodes([NODE]);
  const dir = tempDir('osmo-co-logs-');
  core = await startCore({ listen: '127.0.0.1:0', dataDir: dir, processMetrics: false });
  agent = await startAgent({
    listen: `127.0.0.1:${await freePort()}`,
    nodeId: NODE,
    dataDir: join(dir, 'agent'),
    core: core.url,
    token: core.token,
    logLevel: 'warn',
  });
  const c = { url: core.url };
  const created = await api(c, 'POST', '/api/v1/mels', {
    name: 'co-logs',
    image: 'osmo-test/busybox:1',
    replicas: 1,
    command: ['/bin/sh', '-c', 'echo hello-from-co-logs; echo oops-on-stderr >&2; exec sleep 600'],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const inst = await eventually(async () => (await instances(c, 'co-logs')).find((i) => i.state === 'running'), 60_000, 'running instance');

  const r = await eventually(
    async () => {
      const got = await api(c, 'GET', `/api/v1/instances/${inst.id}/logs`);
      return got.status === 200 && /oops-on-stderr/.test(String(got.json.logs)) ? got : undefined;
    },
    20_000,
    'logs with both streams',
  );
  assert.match(String(r.json.logs), /hello-from-co-logs/, 'stdout is there');
  assert.equal(r.json.node, NODE, 'the answer names the node');

  const cli = spawnOsmo(['logs', inst.id, '--core', core.url]);
  assert.equal(await cli.exit(), 0, cli.output());
  assert.match(cli.output(), /hello-from-co-logs/, 'the CLI prints the output');

  assert.equal((await api(c, 'GET', '/api/v1/instances/no-such-instance/logs')).status, 404, 'unknown instance');
  assert.equal((await api(c, 'GET', `/api/v1/instances/${inst.id}/logs?bytes=0`)).status, 400, 'bytes must be positive');
  const direct = await fetch(`${agent.url}/api/v1/deploy/not-here/logs`, { headers: { authorization: `Bearer ${core.token}` } });
  assert.equal(direct.status, 404, 'the agent answers 404 for a name it does not run');

  assert.equal((await api(c, 'DELETE', '/api/v1/mels/co-logs')).status, 200);
  await eventually(() => containersOf('co-logs').length === 0, 30_000, 'container removed');
});
