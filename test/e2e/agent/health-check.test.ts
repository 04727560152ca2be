// POST /api/v1/deploy/{name}/check on a real agent: the agent runs the health check of its
// own instance. Docker: tcp dials the container port where this host publishes it, a
// command runs inside the container (exec with argv). Process driver: tcp on this host, a
// command as a child with the instance's environment.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { freePort } from '../../../testing/proc.js';
import { api, cleanup, RUN, startAgentProc, type AgentProc } from '../../../testing/agent-proc.js';

const check = (a: AgentProc, name: string, body: unknown) => api(a.url, 'POST', `/api/v1/deploy/${name}/check`, body);

describe('agent health checks on the docker driver', { timeout: 240_000 }, () => {
  let a: AgentProc;
  const web = `hc-web-${RUN}`;
  const deaf = `hc-deaf-${RUN}`;
  before(async () => {
    a = await startAgentProc({ nodeId: `ag-${RUN}-hc` });
    for (const [name, image] of [
      [web, 'osmo-test/httpd:1'],
      [deaf, 'osmo-test/sleeper:1'],
    ] as const) {
      const r = await api(a.url, 'PUT', '/api/v1/deploy', { name, image, ports: { '80/tcp': null } });
      assert.equal(r.status, 200, r.text);
    }
  });
  after(async () => {
    await a?.stop();
    await cleanup([`ag-${RUN}-hc`]);
  });

  test('tcp: a listening service is healthy, a published port with nothing behind it is not', async () => {
    // httpd may need a moment to listen after the container starts
    let r = await check(a, web, { kind: 'tcp', port: 80 });
    for (const until = Date.now() + 20_000; !r.body.healthy && Date.now() < until;) r = await check(a, web, { kind: 'tcp', port: 80 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.healthy, true, r.text);
    assert.match(String(r.body.detail), /^tcp 80 -> 127\.0\.0\.1:\d+$/);
    const d = await check(a, deaf, { kind: 'tcp', port: 80 });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.healthy, false, d.text);
  });

  test('command: argv runs inside the container; the exit code decides, the output is the detail', async () => {
    // /www exists in the httpd image, not on the agent's host: proof the command ran inside
    const ok = await check(a, web, { kind: 'command', argv: ['ls', '/www'] });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual([ok.body.healthy, ok.body.detail], [true, 'command exited 0: index.html']);
    const failing = await check(a, web, { kind: 'command', argv: ['sh', '-c', 'echo "not ready yet"; exit 3'] });
    assert.equal(failing.body.healthy, false, failing.text);
    assert.equal(failing.body.detail, 'command exited 3: not ready yet');
    const missing = await check(a, web, { kind: 'command', argv: ['/no/such/program'] });
    assert.equal(missing.status, 200, missing.text);
    assert.equal(missing.body.healthy, false, missing.text);
  });

  test('command: a check that outlives its timeout is unhealthy', async () => {
    const r = await check(a, web, { kind: 'command', argv: ['sleep', '5'], timeoutMs: 300 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.healthy, false);
    assert.match(String(r.body.detail), /^command timed out after 300 ms/);
  });

  test('bad requests: 4xx naming the problem', async () => {
    const shell = await check(a, web, { kind: 'command', argv: 'test -d /www' });
    assert.equal(shell.status, 400, shell.text);
    assert.match(String(shell.body.error), /argv/);
    const kind = await check(a, web, { kind: 'http', port: 80 });
    assert.equal(kind.status, 400, kind.text);
    assert.match(String(kind.body.error), /kind/);
    const unpublished = await check(a, web, { kind: 'tcp', port: 81 });
    assert.equal(unpublished.status, 400, unpublished.text);
    assert.match(String(unpublished.body.error), /81\/tcp .* not published/);
    const unknown = await check(a, `hc-nobody-${RUN}`, { kind: 'tcp', port: 80 });
    assert.equal(unknown.status, 404, unknown.text);
  });
});

describe('agent health checks on the process driver', { timeout: 120_000 }, () => {
  let a: AgentProc;
  let server: Server;
  let port: number;
  before(async () => {
    a = await startAgentProc({ nodeId: `ag-${RUN}-hcp`, args: ['--driver', 'process'] });
    const r = await api(a.url, 'PUT', '/api/v1/deploy', {
      image: 'local',
      name: 'hc-proc',
      command: ['sleep', '60'],
      env: { HC_MARK: 'proc-env' },
    });
    assert.equal(r.status, 200, r.text);
    // a child shares the host's network: a listener of this test stands in for the instance's service
    port = await freePort();
    server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  after(async () => {
    await a?.stop();
    server?.close();
  });

  test('command runs beside the instance with its environment; tcp dials this host', async () => {
    const env = await check(a, 'hc-proc', {
      kind: 'command',
      argv: ['sh', '-c', 'test "$HC_MARK" = proc-env && test "$OSMO_INSTANCE" = hc-proc'],
    });
    assert.equal(env.status, 200, env.text);
    assert.deepEqual([env.body.healthy, env.body.detail], [true, 'command exited 0']);
    const bad = await check(a, 'hc-proc', { kind: 'command', argv: ['sh', '-c', 'echo nope >&2; exit 1'] });
    assert.deepEqual([bad.body.healthy, bad.body.detail], [false, 'command exited 1: nope']);
    const open = await check(a, 'hc-proc', { kind: 'tcp', port });
    assert.deepEqual([open.body.healthy, open.body.detail], [true, `tcp ${port} -> 127.0.0.1:${port}`]);
    const closedPort = await freePort();
    const closed = await check(a, 'hc-proc', { kind: 'tcp', port: closedPort });
    assert.equal(closed.body.healthy, false, closed.text);
  });
});
