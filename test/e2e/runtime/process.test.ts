// ProcessRuntime with real child processes and a real data dir.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ProcessRuntime } from '../../../src/runtime/process.js';
import { groupPids } from '../../../src/runtime/proc-stats.js';
import { createRuntime } from '../../../src/runtime/index.js';
import { LABEL_NODE, type InstanceChange } from '../../../src/runtime/types.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { eventually, tempDir as makeTempDir, ROOT } from '../../../testing/proc.js';

const settle = (check: () => Promise<void> | void, ms?: number) =>
  eventually(async () => {
    await check();
    return true;
  }, ms);
const kind = (e: unknown) => (e instanceof OsmoError ? e.kind : `not an OsmoError: ${String(e)}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = makeTempDir(prefix);
  dirs.push(d);
  return d;
};

const opened: ProcessRuntime[] = [];
async function open(dir: string, extra: Partial<Parameters<typeof ProcessRuntime.open>[0]> = {}) {
  const rt = await ProcessRuntime.open({ nodeId: 'rt-proc', dir, stopGraceSeconds: 1, ...extra });
  opened.push(rt);
  return rt;
}

describe('ProcessRuntime', () => {
  after(async () => {
    await Promise.all(opened.map((r) => r.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('runs sleep as a child; list/get/remove; the name is then free again', async () => {
    const rt = await open(tempDir('rt-proc-'));
    const info = await rt.deploy({ name: 'rt-sleep', image: 'informational', command: ['sleep', '30'] });
    assert.equal(info.state, 'running');
    assert.equal(info.driver, 'process');
    assert.equal(info.labels[LABEL_NODE], 'rt-proc');
    assert.ok(info.pid && alive(info.pid), `pid ${info.pid} alive`);
    assert.deepEqual(
      (await rt.list()).map((i) => i.name),
      ['rt-sleep'],
    );
    await assert.rejects(rt.deploy({ name: 'rt-sleep', image: '', command: ['sleep', '1'] }), (e) => kind(e) === 'conflict');
    assert.deepEqual(await rt.remove('rt-sleep'), { imageRemoved: false });
    assert.equal(alive(info.pid), false);
    assert.equal(await rt.get('rt-sleep'), undefined);
    await assert.rejects(rt.remove('rt-sleep'), (e) => kind(e) === 'not_found');
    await rt.deploy({ name: 'rt-sleep', image: '', command: ['sleep', '30'] });
  });

  test('what the process driver cannot do is invalid, naming the field', async () => {
    const rt = await open(tempDir('rt-proc-'));
    const cases: Array<[Parameters<ProcessRuntime['deploy']>[0], string]> = [
      [{ name: 'rt-x1', image: 'x' }, 'command'],
      [{ name: 'rt-x2', image: 'x', command: [] }, 'command'],
      [{ name: 'rt-x3', image: 'x', command: ['sleep', '1'], ports: { '80/tcp': null } }, 'ports'],
      [{ name: 'rt-x4', image: 'x', command: ['sleep', '1'], volumes: { '/tmp': { bind: '/x', mode: 'ro' } } }, 'volumes'],
      [{ name: 'rt-x5', image: 'x', command: ['sleep', '1'], privileged: true }, 'privileged'],
      [{ name: 'rt-x6', image: 'x', command: ['/nonexistent/rt-binary'] }, 'command'],
      [{ name: '../etc', image: 'x', command: ['sleep', '1'] }, 'name'],
      [{ name: 'rt-x8', image: 'x', command: ['sleep', '1'], workdir: '/nonexistent/rt-dir' }, 'workdir'],
      [{ name: 'rt-x9', image: 'x', command: ['sleep', '1'], workdir: 'relative' }, 'workdir'],
      [{ name: 'rt-x10', image: 'x', command: ['sleep', '1\0'] }, 'command'],
      [{ name: 'rt-x11', image: 'x', command: ['sleep', '1'], env: { A: 'x\0y' } }, 'env'],
      [{ name: 'rt-x12', image: 'x', command: ['sleep', '1'], env: { 'A=B': 'x' } }, 'env'],
    ];
    for (const [spec, field] of cases) {
      await assert.rejects(rt.deploy(spec), (e) => {
        assert.equal(kind(e), 'invalid', JSON.stringify(spec));
        assert.match((e as Error).message, new RegExp(field));
        return true;
      });
    }
    // empty maps are "not given", as in the seed's sample call
    const ok = await rt.deploy({ name: 'rt-x7', image: '', command: ['sleep', '5'], ports: {}, volumes: {}, privileged: false });
    assert.equal(ok.state, 'running');
    assert.deepEqual(await rt.list().then((l) => l.map((i) => i.name)), ['rt-x7']);
  });

  test('argv, env and working dir reach the child, with no shell in between', async () => {
    const dir = tempDir('rt-proc-');
    const rt = await open(dir);
    await rt.deploy({
      name: 'rt-echo',
      image: '',
      command: ['/bin/sh', '-c', 'echo "arg=$0 env=$GREETING pwd=$(pwd)"; sleep 30', '$HOME;not-expanded'],
      env: { GREETING: 'hello world' },
    });
    await settle(async () =>
      assert.equal((await rt.logs('rt-echo')).trim(), `arg=$HOME;not-expanded env=hello world pwd=${join(dir, 'work', 'rt-echo')}`),
    );
  });

  test('a crashing command restarts with growing back-off, counted', async () => {
    const rt = await open(tempDir('rt-proc-'), { backoff: { initialMs: 50, maxMs: 400 } });
    const changes: InstanceChange[] = [];
    rt.watch((c) => changes.push(c));
    const t0 = Date.now();
    await rt.deploy({ name: 'rt-crash', image: '', command: ['/bin/sh', '-c', 'echo boom >&2; exit 1'] });
    await settle(async () => {
      const restarts = (await rt.get('rt-crash'))?.restarts ?? 0;
      assert.ok(restarts >= 5, `restarts ${restarts}`);
    }, 15_000);
    const elapsed = Date.now() - t0;
    // 50+100+200+400+400 ms of waiting at least: back-off, not a busy loop
    assert.ok(elapsed >= 1000, `5 restarts took only ${elapsed} ms`);
    const waits = changes.filter((c) => c.state === 'restarting').map((c) => Number(/restart in (\d+) ms/.exec(c.reason ?? '')?.[1]));
    assert.deepEqual(waits.slice(0, 6), [50, 100, 200, 400, 400, 400].slice(0, Math.min(6, waits.length)));
    assert.match(await rt.logs('rt-crash'), /boom\nboom\n/);
    assert.ok(
      changes.some((c) => c.state === 'restarting' && /exit code 1/.test(c.reason ?? '')),
      'restart reason',
    );
  });

  test('a clean exit (0) is finished, not restarted', async () => {
    const rt = await open(tempDir('rt-proc-'), { backoff: { initialMs: 50, maxMs: 100 } });
    await rt.deploy({ name: 'rt-once', image: '', command: ['/bin/sh', '-c', 'echo done'] });
    await settle(async () => assert.equal((await rt.get('rt-once'))?.state, 'exited'));
    await new Promise((r) => setTimeout(r, 300));
    const i = await rt.get('rt-once');
    assert.equal(i?.restarts, 0);
    assert.equal(i?.exitCode, 0);
  });

  test('the log is bounded: the newest bytes are kept', async () => {
    const rt = await open(tempDir('rt-proc-'), { logBytes: 4096 });
    await rt.deploy({
      name: 'rt-chatty',
      image: '',
      command: ['/bin/sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo END; sleep 30'],
    });
    await settle(async () => assert.match(await rt.logs('rt-chatty'), /line 1999\nEND\n$/));
    const log = await rt.logs('rt-chatty');
    assert.ok(Buffer.byteLength(log) <= 4096, `log is ${Buffer.byteLength(log)} bytes`);
    assert.ok(Buffer.byteLength(log) > 3000, `log ${Buffer.byteLength(log)} bytes`);
    assert.doesNotMatch(log, /line 0\n/);
    // a smaller budget on read: the newest bytes, starting at a line
    const tail = await rt.logs('rt-chatty', { maxBytes: 100 });
    assert.ok(Buffer.byteLength(tail) <= 100, tail);
    assert.match(tail, /^line \d+\n[\s\S]*line 1999\nEND\n$/);
    await assert.rejects(rt.logs('rt-none'), (e) => kind(e) === 'not_found');
  });

  test('remove: SIGTERM, then SIGKILL after the grace period for a process that ignores TERM', async () => {
    const dir = tempDir('rt-proc-');
    const rt = await open(dir, { stopGraceSeconds: 3 });
    const termed = join(dir, 'stubborn.term');
    // the trap notes each TERM and carries on; sh only forks the sleep once the trap is set
    const info = await rt.deploy({
      name: 'rt-stubborn',
      image: '',
      command: ['/bin/sh', '-c', `trap 'echo TERM >> ${termed}' TERM; sleep 100 & wait; sleep 100`],
    });
    await eventually(async () => (await groupPids(info.pid!)).length === 2, 10_000, 'sh and its sleep in one group (trap installed)');
    const t0 = Date.now();
    await rt.remove('rt-stubborn');
    const took = Date.now() - t0;
    assert.match(readFileSync(termed, 'utf8'), /^TERM\n/, 'SIGTERM came first');
    // a lower bound only: it cannot be done before the grace period unless it skipped it
    assert.ok(took >= 2900, `removed after ${took} ms, before the 3 s grace period`);
    assert.equal(alive(info.pid!), false);
    // the forked sleep, in the same process group, is gone too
    await settle(async () => assert.deepEqual(await groupPids(info.pid!), []), 3000);

    // two removes at once share one stop
    await rt.deploy({ name: 'rt-twice', image: '', command: ['sleep', '100'] });
    const removed: InstanceChange[] = [];
    const unwatch = rt.watch((c) => c.state === 'removed' && removed.push(c));
    assert.deepEqual(await Promise.all([rt.remove('rt-twice'), rt.remove('rt-twice')]), [{ imageRemoved: false }, { imageRemoved: false }]);
    unwatch();
    assert.equal(removed.length, 1);

    // A process that honours TERM is not waited for the grace period: with a 10-minute grace,
    // waiting for it would miss this one-minute deadline by far (no wall-clock bound on speed).
    const patient = await open(tempDir('rt-proc-'), { stopGraceSeconds: 600 });
    const polite = await patient.deploy({ name: 'rt-polite', image: '', command: ['sleep', '100'] });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      patient.remove('rt-polite'),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('remove waited for the grace period')), 60_000))),
    ]).finally(() => clearTimeout(timer));
    assert.equal(alive(polite.pid!), false);
  });

  test('stats of a busy process: cpu, rss, io', async () => {
    const rt = await open(tempDir('rt-proc-'));
    await rt.deploy({ name: 'rt-busy', image: '', command: ['/bin/sh', '-c', 'while :; do :; done'] });
    await rt.deploy({ name: 'rt-idle', image: '', command: ['sleep', '30'] });
    // On a shared, loaded machine one sample may catch the loop starved; a few tries settle it.
    const busy = await eventually(async () => {
      const s = await rt.stats('rt-busy');
      assert.ok(s.cpuPercent > 10, `cpu ${s.cpuPercent}`);
      return s;
    }, 30_000);
    assert.ok(busy.memUsageBytes > 100_000, `rss ${busy.memUsageBytes}`);
    assert.ok(busy.memLimitBytes > busy.memUsageBytes, `limit ${busy.memLimitBytes}`);
    assert.equal(busy.netRxBytes, 0);
    const idle = await rt.stats('rt-idle');
    assert.ok(idle.cpuPercent < busy.cpuPercent, `idle cpu ${idle.cpuPercent} vs busy ${busy.cpuPercent}`);
    // a second call measures since the first sample (how fast it answers is bench/runtime-sample.ts's business)
    const again = await rt.stats('rt-busy');
    assert.ok(again.ts > busy.ts, 'a new sample');
    assert.ok(again.cpuPercent > 1, `cpu ${again.cpuPercent}`);
    await rt.remove('rt-busy');

    await rt.deploy({
      name: 'rt-writer',
      image: '',
      command: ['/bin/sh', '-c', 'dd if=/dev/zero of=big bs=64k count=64 conv=fsync 2>/dev/null; sleep 30'],
    });
    await settle(async () => assert.ok((await rt.stats('rt-writer')).blkWriteBytes >= 4 * 1024 * 1024, 'written bytes'));
  });

  test('after a restart of the runtime, persisted instances are started again; finished ones are not', async () => {
    const dir = tempDir('rt-proc-');
    const a = await open(dir);
    const first = await a.deploy({ name: 'rt-keep', image: 'svc:1', command: ['sleep', '60'], labels: { mel: 'm1' } });
    await a.deploy({ name: 'rt-done', image: '', command: ['true'] });
    await settle(async () => assert.equal((await a.get('rt-done'))?.state, 'exited'));
    await a.close();
    assert.equal(alive(first.pid!), false, 'children die with the runtime');
    const table = JSON.parse(readFileSync(join(dir, 'instances.rt-proc.json'), 'utf8')) as { instances: unknown[] };
    assert.equal(table.instances.length, 2);

    const b = await open(dir);
    const list = await b.list();
    assert.deepEqual(
      list.map((i) => [i.name, i.state]),
      [
        ['rt-done', 'exited'],
        ['rt-keep', 'running'],
      ],
    );
    const kept = list.find((i) => i.name === 'rt-keep')!;
    assert.equal(kept.id, first.id);
    assert.equal(kept.labels.mel, 'm1');
    assert.notEqual(kept.pid, first.pid);
    assert.equal(await b.hasImage('svc:1'), true);
    assert.equal(await b.hasImage('svc:2'), false);
  });

  test('an agent killed with SIGKILL leaves no orphan: the next open stops it before restarting', async () => {
    const dir = tempDir('rt-proc-');
    const script = `
      import { ProcessRuntime } from ${JSON.stringify(join(ROOT, 'src/runtime/process.ts'))};
      const rt = await ProcessRuntime.open({ nodeId: 'rt-proc', dir: ${JSON.stringify(dir)} });
      const i = await rt.deploy({ name: 'rt-orphan', image: '', command: ['sleep', '120'] });
      await new Promise((r) => setTimeout(r, 300));
      console.log('PID ' + i.pid);
      setInterval(() => {}, 1000);
    `;
    const agent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await eventually(() => Number(/PID (\d+)/.exec(out)?.[1]) || undefined, 20_000, 'child pid');
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
    assert.equal(alive(pid), true, 'a SIGKILLed agent cannot stop its children');
    const rt = await open(dir);
    await settle(() => assert.equal(alive(pid), false));
    const list = await rt.list();
    assert.equal(list.length, 1);
    assert.equal(list[0]!.state, 'running');
    assert.notEqual(list[0]!.pid, pid);
  });

  test('createRuntime("process") keeps its table under the data dir', async () => {
    const dataDir = tempDir('rt-proc-');
    const rt = await createRuntime('process', { nodeId: 'rt-factory', dataDir, stopGraceSeconds: 1 });
    assert.equal(rt.driver, 'process');
    await rt.deploy({ name: 'rt-f', image: '', command: ['sleep', '10'] });
    assert.ok(existsSync(join(dataDir, 'process-runtime', 'instances.rt-factory.json')), 'table file');
    await rt.close();
    await assert.rejects(createRuntime('vm', { nodeId: 'x', dataDir }), (e) => kind(e) === 'invalid');
  });
});
