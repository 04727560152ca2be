// A real agent whose Docker engine is down (DOCKER_HOST points at a socket nobody serves):
// it still starts and answers, and every call that needs the engine is a 503 naming the
// engine, never a 500 and never a crash.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from '../../../testing/proc.js';
import { api, RUN } from '../../../testing/agent-proc.js';

let agent: OsmoProcess | undefined;
after(async () => {
  await agent?.stop();
});

test('engine down: the agent answers; deploy, list and remove are 503 naming the engine; host monitors still work', async () => {
  const dir = tempDir('osmo-agent-nodocker-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  agent = spawnOsmo(
    ['agent', '--listen', `127.0.0.1:${port}`, '--node-id', `ag-${RUN}-nodocker`, '--data-dir', join(dir, 'data'), '--log-level', 'warn'],
    {
      DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}`,
    },
  );
  await waitForHttp(`${url}/api/v1`, 30_000).catch((e: Error) => assert.fail(`${e.message}\n${agent!.output()}`));
  const who = await api(url, 'GET', '/api/v1');
  assert.equal(who.status, 200, who.text);

  for (const [method, path, body] of [
    ['PUT', '/api/v1/deploy', { image: 'osmo-test/sleeper:1', name: 'ag-nodocker' }],
    ['GET', '/api/v1/deploy', undefined],
    ['DELETE', '/api/v1/deploy', { name: 'ag-nodocker', image: 'osmo-test/sleeper:1' }],
  ] as const) {
    const r = await api(url, method, path, body);
    assert.equal(r.status, 503, `${method} ${path}: ${r.text}`);
    assert.equal(r.body.response, false);
    assert.match(String(r.body.error), /engine|docker|unreachable/i, `${method} ${path} names the engine: ${r.text}`);
  }
  // host monitors need no engine and keep working
  assert.equal((await api(url, 'PUT', '/api/v1/monitor/cpu', { time: 1, source: 'host' })).status, 200);
  assert.equal(agent.child.exitCode, null, 'still running');
});
