// The same deploy / monitor API on the process driver: `command` runs as a supervised child
// (image is informational), guest samples come from /proc of the child.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentEvent, SampleEvent } from '../../../src/bus/events.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { api, startAgentProc, RUN, type AgentProc } from '../../../testing/agent-proc.js';

describe('process driver', () => {
  let a: AgentProc | undefined;
  after(async () => {
    await a?.stop();
  });

  test('deploy a command, sample it, refuse what a process cannot do, delete it', async () => {
    const dataDir = tempDir('osmo-agent-proc-');
    const file = join(dataDir, 'events.jsonl');
    a = await startAgentProc({ nodeId: `ag-${RUN}-proc`, dataDir, args: ['--driver', 'process', '--events-file', file] });
    assert.equal((await api(a.url, 'GET', '/api/v1')).body.driver, 'process');
    const r = await api(a.url, 'PUT', '/api/v1/deploy', { image: '', name: 'ag-sleepy', command: "sh -c 'sleep 60'", host: '' });
    assert.equal(r.status, 400, 'image is still required by the seed API');
    const ok = await api(a.url, 'PUT', '/api/v1/deploy', {
      image: 'local',
      name: 'ag-sleepy',
      command: "sh -c 'sleep 60'",
      ports: '',
      volumes: '',
      privileged: '',
    });
    assert.equal(ok.status, 200, ok.text);
    const inst = ok.body.instance as { driver: string; command: string[]; pid: number; state: string };
    assert.equal(inst.driver, 'process');
    assert.deepEqual(inst.command, ['sh', '-c', 'sleep 60']);
    assert.ok(inst.pid > 0);
    assert.equal((await api(a.url, 'PUT', '/api/v1/deploy', { image: 'local', name: 'ag-sleepy', command: 'sleep 1' })).status, 409);
    const ports = await api(a.url, 'PUT', '/api/v1/deploy', {
      image: 'local',
      name: 'ag-ports',
      command: 'sleep 1',
      ports: { '80/tcp': 8080 },
    });
    assert.equal(ports.status, 400);
    assert.match(String(ports.body.error), /ports/);
    assert.equal((await api(a.url, 'PUT', '/api/v1/monitor/mem', { time: 0.5, source: 'guest' })).status, 200);
    const s = await eventually(
      () => {
        if (!existsSync(file)) return undefined;
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AgentEvent)
          .find((e): e is SampleEvent => e.type === 'sample' && e.source === 'guest' && e.target === 'ag-sleepy');
      },
      15_000,
      'a guest sample of the process',
    );
    assert.ok(s.fields.usage!.value > 0);
    assert.equal((await api(a.url, 'DELETE', '/api/v1/deploy', { name: 'ag-sleepy', image: 'local' })).status, 200);
    assert.equal((await api(a.url, 'GET', '/api/v1/deploy')).body.instances instanceof Array, true);
    assert.deepEqual((await api(a.url, 'GET', '/api/v1/deploy')).body.instances, []);
    let alive = true;
    try {
      process.kill(inst.pid, 0);
    } catch {
      alive = false;
    }
    assert.equal(alive, false, 'the child is gone');
  });

  test("children see only the allow-listed environment: the agent's OSMO_TOKEN and other secrets are withheld", async () => {
    const dir = tempDir('osmo-agent-env-');
    const dump = join(dir, 'child.env');
    const token = 'ag-env-secret-token';
    const b = await startAgentProc({
      nodeId: `ag-${RUN}-env`,
      args: ['--driver', 'process'],
      env: { OSMO_TOKEN: token, AWS_SECRET_ACCESS_KEY: 'also-secret', LANG: 'C.UTF-8' },
    });
    const auth = { authorization: `Bearer ${token}` };
    try {
      const r = await api(
        b.url,
        'PUT',
        '/api/v1/deploy',
        { image: 'local', name: 'ag-env', command: ['/bin/sh', '-c', `env > ${dump}; exec sleep 60`], env: { MINE: 'yes' } },
        auth,
      );
      assert.equal(r.status, 200, r.text);
      const env = await eventually(
        () => {
          const text = existsSync(dump) ? readFileSync(dump, 'utf8') : '';
          return /^OSMO_INSTANCE=/m.test(text) ? text : undefined;
        },
        20_000,
        'the child wrote its environment',
      );
      assert.doesNotMatch(env, /OSMO_TOKEN|ag-env-secret-token/, 'the token never reaches a child');
      assert.doesNotMatch(env, /AWS_SECRET_ACCESS_KEY|also-secret/);
      assert.match(env, /^PATH=/m);
      assert.match(env, /^LANG=C\.UTF-8$/m, 'allow-listed variables pass');
      assert.match(env, /^OSMO_INSTANCE=ag-env$/m);
      assert.match(env, new RegExp(`^OSMO_NODE=ag-${RUN}-env$`, 'm'));
      assert.equal((await api(b.url, 'DELETE', '/api/v1/deploy', { name: 'ag-env', image: 'local' }, auth)).status, 200);
    } finally {
      await b.stop();
    }
  });

  test('--events-file - writes every event to stdout as JSON lines', async () => {
    const b = await startAgentProc({ nodeId: `ag-${RUN}-stdout`, args: ['--driver', 'process', '--events-file', '-'] });
    try {
      assert.equal((await api(b.url, 'PUT', '/api/v1/monitor/cpu', { time: 0.2, source: 'host' })).status, 200);
      const lines = await eventually(
        () => {
          const evs = b.proc
            .output()
            .split('\n')
            .filter((l) => l.startsWith('{"type":'))
            .map((l) => JSON.parse(l) as AgentEvent);
          return evs.filter((e) => e.type === 'sample').length >= 3 ? evs : undefined;
        },
        15_000,
        'sample events on stdout',
      );
      assert.equal(lines[0]!.type, 'monitor');
      const cpu = lines.find((e): e is SampleEvent => e.type === 'sample')!;
      assert.equal(cpu.metric, 'cpu');
      assert.equal(cpu.fields.total!.unit, 'percent');
      assert.ok('core0' in cpu.fields);
    } finally {
      await b.stop();
    }
  });
});
