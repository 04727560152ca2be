// DockerRuntime against the real engine (scripts/test-docker.sh). Every container and node id
// here starts with "rt-", and the file removes only what it created.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { LABEL_NAME, LABEL_NODE, type InstanceChange } from '../../../src/runtime/types.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { freePort, eventually, settle } from '../../../testing/proc.js';
import { removeContainers } from '../../../testing/containers.js';

const uid = randomBytes(3).toString('hex');
const NODE = `rt-node-${uid}`;
const docker = new Docker();
const rt = new DockerRuntime({ nodeId: NODE, stopGraceSeconds: 1 });
const n = (s: string) => `rt-${uid}-${s}`;

async function cleanup(): Promise<void> {
  await removeContainers(docker, { name: [`rt-${uid}-`] }, { v: true });
}

async function body(url: string): Promise<string> {
  const r = await fetch(url);
  return r.text();
}

function kind(e: unknown): string {
  return e instanceof OsmoError ? e.kind : `not an OsmoError: ${String(e)}`;
}

describe('DockerRuntime', () => {
  after(async () => {
    await rt.close();
    await cleanup();
  });

  test('DOCKER_HOST in unix:// form is honoured by the default client', async () => {
    assert.match(process.env.DOCKER_HOST ?? '', /^unix:\/\//);
    const modem = (docker as unknown as { modem: { socketPath?: string } }).modem;
    assert.equal(modem.socketPath, process.env.DOCKER_HOST!.slice('unix://'.length));
    assert.equal(await rt.hasImage('osmo-test/httpd:1'), true);
    assert.equal(await rt.hasImage(`rt-none/${uid}:1`), false);
  });

  test('deploy httpd with "80/tcp": null publishes a free port on 127.0.0.1', async () => {
    const info = await rt.deploy({ name: n('web'), image: 'osmo-test/httpd:1', ports: { '80/tcp': null } });
    assert.equal(info.state, 'running');
    assert.equal(info.driver, 'docker');
    assert.equal(info.labels[LABEL_NODE], NODE);
    assert.equal(info.labels[LABEL_NAME], n('web'));
    const p = info.ports.find((x) => x.containerPort === 80);
    assert.ok(p && p.hostPort > 0, JSON.stringify(info.ports));
    assert.equal(p.hostIp, '127.0.0.1');
    await settle(async () => assert.match(await body(`http://127.0.0.1:${p.hostPort}/`), /osmo test page/));
  });

  test('a fixed host port, bare "80" key meaning tcp', async () => {
    const port = await freePort();
    const info = await rt.deploy({ name: n('fixed'), image: 'osmo-test/httpd:1', ports: { '80': port } });
    assert.deepEqual(
      info.ports.map((p) => [p.containerPort, p.protocol, p.hostPort]),
      [[80, 'tcp', port]],
    );
    await settle(async () => assert.match(await body(`http://127.0.0.1:${port}/`), /osmo test page/));
    // The same fixed port again is a conflict, and leaves no stray container behind.
    await assert.rejects(rt.deploy({ name: n('fixed2'), image: 'osmo-test/httpd:1', ports: { '80/tcp': port } }), (e) => {
      assert.equal(kind(e), 'conflict');
      return true;
    });
    assert.equal(await rt.get(n('fixed2')), undefined);
    assert.equal((await docker.listContainers({ all: true, filters: { name: [n('fixed2')] } })).length, 0);
  });

  test('a taken name is a conflict, whoever owns the container', async () => {
    await assert.rejects(rt.deploy({ name: n('web'), image: 'osmo-test/sleeper:1' }), (e) => {
      assert.equal(kind(e), 'conflict');
      assert.match((e as Error).message, /already taken/);
      return true;
    });
    const other = new DockerRuntime({ nodeId: `${NODE}-other` });
    await assert.rejects(other.deploy({ name: n('web'), image: 'osmo-test/sleeper:1' }), (e) => kind(e) === 'conflict');
  });

  test('bind volume read-only: httpd serves the mounted host dir, and cannot write to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-vol-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'hello.txt'), `bound ${uid}\n`);
    chmodSync(join(dir, 'hello.txt'), 0o644);
    const info = await rt.deploy({
      name: n('vol'),
      image: 'osmo-test/httpd:1',
      command: ['/bin/httpd', '-f', '-p', '80', '-h', '/data'],
      ports: { '80/tcp': null },
      volumes: { [dir]: { bind: '/data', mode: 'ro' } },
    });
    const port = info.ports[0]!.hostPort;
    await settle(async () => assert.equal(await body(`http://127.0.0.1:${port}/hello.txt`), `bound ${uid}\n`));
    assert.deepEqual(info.command, ['/bin/httpd', '-f', '-p', '80', '-h', '/data']);
    const w = await rt.deploy({
      name: n('volw'),
      image: 'osmo-test/busybox:1',
      command: ['/bin/sh', '-c', 'echo x > /data/new.txt'],
      volumes: { [dir]: { bind: '/data', mode: 'ro' } },
    });
    await settle(async () => {
      const i = await rt.get(w.name);
      assert.equal(i?.state, 'exited');
      assert.notEqual(i?.exitCode, 0);
    });
    await rt.remove(n('vol'), { removeImage: false });
    await rt.remove(n('volw'), { removeImage: false });
    rmSync(dir, { recursive: true, force: true });
  });

  test('named volume keeps data between two containers', async () => {
    const vol = `rt-${uid}-data`;
    try {
      const a = await rt.deploy({
        name: n('nv1'),
        image: 'osmo-test/busybox:1',
        command: ['/bin/sh', '-c', `echo ${uid} > /v/f`],
        volumes: { [vol]: { bind: '/v', mode: 'rw' } },
      });
      await settle(async () => assert.equal((await rt.get(a.name))?.exitCode, 0));
      const b = await rt.deploy({
        name: n('nv2'),
        image: 'osmo-test/busybox:1',
        command: ['/bin/sh', '-c', `test "$(cat /v/f)" = ${uid}`],
        volumes: { [vol]: { bind: '/v', mode: 'ro' } },
      });
      await settle(async () => assert.equal((await rt.get(b.name))?.exitCode, 0));
      await rt.remove(a.name, { removeImage: false });
      await rt.remove(b.name, { removeImage: false });
    } finally {
      await docker
        .getVolume(vol)
        .remove()
        .catch(() => {});
    }
  });

  test('bad specs are invalid, with the field named', async () => {
    const cases: Array<[Parameters<DockerRuntime['deploy']>[0], RegExp]> = [
      [{ name: 'x', image: 'osmo-test/sleeper:1' }, /name/],
      [{ name: n('bad1'), image: 'osmo-test/sleeper:1', ports: { '80/xyz': null } }, /ports/],
      [{ name: n('bad2'), image: 'osmo-test/sleeper:1', ports: { '80': 70000 } }, /ports/],
      [{ name: n('bad3'), image: 'osmo-test/sleeper:1', volumes: { 'rel/path': { bind: '/x', mode: 'rw' } } }, /volumes/],
      [{ name: n('bad4'), image: 'osmo-test/sleeper:1', volumes: { '/tmp': { bind: 'x', mode: 'rw' } } }, /volumes/],
      [{ name: n('bad5'), image: '' }, /image/],
    ];
    for (const [spec, re] of cases) {
      await assert.rejects(rt.deploy(spec), (e) => {
        assert.equal(kind(e), 'invalid', JSON.stringify(spec));
        assert.match((e as Error).message, re);
        return true;
      });
    }
  });

  test('image kept while another container uses it, removed after the last one', async () => {
    const tag = `rt-tmp/sleeper:${uid}`;
    await docker.getImage('osmo-test/sleeper:1').tag({ repo: 'rt-tmp/sleeper', tag: uid });
    try {
      await rt.deploy({ name: n('img1'), image: tag });
      await rt.deploy({ name: n('img2'), image: tag });
      assert.deepEqual(await rt.remove(n('img1'), { image: tag }), { imageRemoved: false });
      assert.equal(await rt.hasImage(tag), true);
      assert.deepEqual(await rt.remove(n('img2')), { imageRemoved: true });
      assert.equal(await rt.hasImage(tag), false);
      // The shared test image behind the tag is untouched.
      assert.equal(await rt.hasImage('osmo-test/sleeper:1'), true);
    } finally {
      await docker
        .getImage(tag)
        .remove()
        .catch(() => {});
    }
  });

  test('env, resources and extra labels reach the engine; node labels cannot be forged', async () => {
    const info = await rt.deploy({
      name: n('cfg'),
      image: 'osmo-test/sleeper:1',
      env: { GREETING: 'hello world', EMPTY: '' },
      resources: { cpus: 0.25, memoryBytes: 32 * 1024 * 1024 },
      labels: { 'io.osmo.mel': 'm-1', [LABEL_NODE]: 'someone-else' },
    });
    assert.equal(info.labels[LABEL_NODE], NODE);
    assert.equal(info.labels['io.osmo.mel'], 'm-1');
    const c = await docker.getContainer(info.id).inspect();
    assert.ok(c.Config.Env.includes('GREETING=hello world') && c.Config.Env.includes('EMPTY='), c.Config.Env.join(' '));
    assert.equal(c.HostConfig.NanoCpus, 250_000_000);
    assert.equal(c.HostConfig.Memory, 32 * 1024 * 1024);
    assert.equal(c.HostConfig.Privileged, false);
    assert.equal(c.HostConfig.RestartPolicy?.Name, 'no');
    const s = await rt.stats(n('cfg'));
    assert.equal(s.memLimitBytes, 32 * 1024 * 1024);
    await rt.remove(n('cfg'), { removeImage: false });
  });

  test('privileged: runs privileged where the engine allows it, else fails cleanly, leaving nothing', async () => {
    // This engine may run inside a sandbox where runc cannot grant every capability. Ask the
    // engine directly first; the runtime must then give that same answer, whole.
    const probe = await docker.createContainer({ name: n('priv-probe'), Image: 'osmo-test/sleeper:1', HostConfig: { Privileged: true } });
    const allowed = await probe.start().then(
      () => true,
      () => false,
    );
    await probe.remove({ force: true });
    if (allowed) {
      const info = await rt.deploy({ name: n('priv'), image: 'osmo-test/sleeper:1', privileged: true });
      assert.equal((await docker.getContainer(info.id).inspect()).HostConfig.Privileged, true);
      await rt.remove(n('priv'), { removeImage: false });
    } else {
      await assert.rejects(rt.deploy({ name: n('priv'), image: 'osmo-test/sleeper:1', privileged: true }), (e) => {
        assert.ok(e instanceof OsmoError && e.kind === 'forbidden', String(e));
        assert.match(e.message, new RegExp(`start of container "${n('priv')}" failed`));
        return true;
      });
      assert.equal((await docker.listContainers({ all: true, filters: { name: [n('priv')] } })).length, 0);
    }
  });

  test('concurrent deploys of one name: exactly one wins, the other is a conflict', async () => {
    const results = await Promise.allSettled([1, 2, 3].map(() => rt.deploy({ name: n('race'), image: 'osmo-test/sleeper:1' })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal(kind(r.reason), 'conflict');
    await rt.remove(n('race'), { removeImage: false });
  });

  test('an exited container is listed with its exit code; stats of it is a conflict', async () => {
    await rt.deploy({ name: n('exit3'), image: 'osmo-test/busybox:1', command: ['/bin/sh', '-c', 'exit 3'] });
    await settle(async () => {
      const i = await rt.get(n('exit3'));
      assert.equal(i?.state, 'exited');
      assert.equal(i?.exitCode, 3);
    });
    await assert.rejects(rt.stats(n('exit3')), (e) => kind(e) === 'conflict');
    assert.deepEqual(await rt.remove(n('exit3'), { removeImage: false }), { imageRemoved: false });
  });

  test('stats right after a container stopped is a conflict, not zeroes', async () => {
    await rt.deploy({ name: n('brief'), image: 'osmo-test/sleeper:1', command: ['/bin/sleep', '2'] });
    assert.ok(
      (await rt.list()).some((i) => i.name === n('brief') && i.state === 'running'),
      'listed as running',
    );
    await docker.getContainer(n('brief')).wait();
    await assert.rejects(rt.stats(n('brief')), (e) => kind(e) === 'conflict');
    await rt.remove(n('brief'), { removeImage: false });
    await assert.rejects(rt.stats(n('brief')), (e) => kind(e) === 'not_found');
  });

  test('an id or id prefix is not a name', async () => {
    const info = await rt.get(n('web'));
    assert.ok(info, 'web is deployed');
    assert.equal(await rt.get(info.id), undefined);
    assert.equal(await rt.get(info.id.slice(0, 12)), undefined);
    await assert.rejects(rt.remove(info.id.slice(0, 12)), (e) => kind(e) === 'not_found');
  });

  test('logs: stdout and stderr of the container, newest bytes', async () => {
    await rt.deploy({
      name: n('logs'),
      image: 'osmo-test/busybox:1',
      command: ['/bin/sh', '-c', 'echo to-out; echo to-err >&2; i=0; while [ $i -lt 300 ]; do echo "n $i"; i=$((i+1)); done; sleep 30'],
    });
    await settle(async () => {
      const log = await rt.logs(n('logs'));
      // both streams, demultiplexed (the engine keeps no order between them)
      assert.match(log, /^to-out$/m);
      assert.match(log, /^to-err$/m);
      assert.match(log, /^n 299$/m);
      // eslint-disable-next-line no-control-regex -- the control bytes are what must be absent (demuxed frame headers)
      assert.doesNotMatch(log, /[\x00-\x08]/);
    });
    const tail = await rt.logs(n('logs'), { maxBytes: 50 });
    assert.ok(Buffer.byteLength(tail) <= 50, tail);
    assert.match(tail, /^n 299$/m);
    await assert.rejects(rt.logs(n('nope')), (e) => kind(e) === 'not_found');
    await rt.remove(n('logs'), { removeImage: false });
  });

  test('remove of an unknown name is not_found', async () => {
    await assert.rejects(rt.remove(n('nope')), (e) => kind(e) === 'not_found');
  });

  test('guest stats of a busy container: cpu > 10 %, memory and net counters present', async () => {
    await rt.deploy({ name: n('burn'), image: 'osmo-test/burn:1' });
    // On a shared, loaded machine one sample may catch the loop starved; a few tries settle it.
    const s = await eventually(async () => {
      const x = await rt.stats(n('burn'));
      assert.ok(x.cpuPercent > 10, `cpu ${x.cpuPercent}`);
      return x;
    }, 30_000);
    assert.equal(s.name, n('burn'));
    assert.ok(s.memUsageBytes > 0, `mem ${s.memUsageBytes}`);
    assert.ok(s.memLimitBytes >= s.memUsageBytes, `limit ${s.memLimitBytes}`);
    assert.equal(typeof s.netRxBytes, 'number');
    assert.equal(typeof s.blkReadBytes, 'number');
    await rt.remove(n('burn'), { removeImage: false });
  });

  test('net rx/tx count real traffic', async () => {
    const info = await rt.deploy({ name: n('net'), image: 'osmo-test/httpd:1', ports: { '80/tcp': null } });
    const port = info.ports[0]!.hostPort;
    await settle(async () => assert.match(await body(`http://127.0.0.1:${port}/`), /osmo/));
    const before = await rt.stats(n('net'));
    for (let i = 0; i < 20; i++) await body(`http://127.0.0.1:${port}/`);
    // stats() answers with the engine's newest reading (taken about once a second): wait for one after the traffic
    await eventually(async () => {
      const after = await rt.stats(n('net'));
      assert.ok(after.netTxBytes > before.netTxBytes, `tx ${before.netTxBytes} -> ${after.netTxBytes}`);
      assert.ok(after.netRxBytes > before.netRxBytes, `rx ${before.netRxBytes} -> ${after.netRxBytes}`);
      return true;
    }, 30_000);
  });
});

describe('DockerRuntime: nodes sharing one engine', () => {
  const a = new DockerRuntime({ nodeId: `${NODE}-a`, stopGraceSeconds: 1 });
  const b = new DockerRuntime({ nodeId: `${NODE}-b`, stopGraceSeconds: 1 });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
    await cleanup();
  });

  test("two node ids don't see or touch each other's containers", async () => {
    await a.deploy({ name: n('a1'), image: 'osmo-test/sleeper:1' });
    await b.deploy({ name: n('b1'), image: 'osmo-test/sleeper:1' });
    assert.deepEqual(
      (await a.list()).map((i) => i.name),
      [n('a1')],
    );
    assert.deepEqual(
      (await b.list()).map((i) => i.name),
      [n('b1')],
    );
    assert.equal(await a.get(n('b1')), undefined);
    await assert.rejects(a.remove(n('b1')), (e) => kind(e) === 'not_found');
    await assert.rejects(a.stats(n('b1')), (e) => kind(e) === 'not_found');
    assert.equal((await b.get(n('b1')))?.state, 'running');
  });

  test('a fresh runtime with the same node id adopts what the previous one started', async () => {
    const again = new DockerRuntime({ nodeId: `${NODE}-a`, stopGraceSeconds: 1 });
    const listed = await again.list();
    assert.deepEqual(
      listed.map((i) => [i.name, i.state]),
      [[n('a1'), 'running']],
    );
    const before = (await docker.listContainers({ all: true, filters: { name: [n('a1')] } })).length;
    assert.equal(before, 1);
    await again.remove(n('a1'), { removeImage: false });
    assert.deepEqual(await a.list(), []);
  });

  test('an OOM-killed container is failed, in watch() and in get()', async () => {
    const seen: InstanceChange[] = [];
    const stop = a.watch((c) => seen.push(c));
    try {
      // no wait for the stream: watch() asks the engine for events since the second it was called
      await a.deploy({
        name: n('oom'),
        image: 'osmo-test/busybox:1',
        command: ['/bin/sh', '-c', 'x=$(head -c 60000000 /dev/zero | tr "\\0" a); echo ${#x}'],
        resources: { memoryBytes: 8 * 1024 * 1024 },
      });
      await settle(() => {
        const last = seen.filter((c) => c.name === n('oom')).at(-1);
        assert.equal(last?.state, 'failed', JSON.stringify(seen));
        assert.match(last?.reason ?? '', /out of memory/);
        assert.equal(last?.info?.exitCode, 137);
      }, 20_000);
      assert.equal((await a.get(n('oom')))?.state, 'failed');
      await a.remove(n('oom'), { removeImage: false });
    } finally {
      stop();
    }
  });

  test('watch() reports a container dying, and its removal', async () => {
    const seen: InstanceChange[] = [];
    const stop = a.watch((c) => seen.push(c));
    try {
      await a.deploy({ name: n('die'), image: 'osmo-test/sleeper:1', command: ['/bin/sleep', '1'] });
      await settle(() => {
        assert.ok(
          seen.some((c) => c.name === n('die') && c.state === 'running'),
          JSON.stringify(seen),
        );
        assert.ok(
          seen.some((c) => c.name === n('die') && c.state === 'exited'),
          JSON.stringify(seen),
        );
      }, 15_000);
      await a.remove(n('die'), { removeImage: false });
      await settle(() =>
        assert.ok(
          seen.some((c) => c.name === n('die') && c.state === 'removed'),
          JSON.stringify(seen),
        ),
      );
      // b's node never hears of a's containers
      assert.ok(
        seen.every((c) => c.name.startsWith(`rt-${uid}`)),
        JSON.stringify(seen),
      );
    } finally {
      stop();
    }
  });
});

describe('DockerRuntime: pulls', () => {
  const rt2 = new DockerRuntime({ nodeId: `${NODE}-pull` });
  test('pull of an image no registry can give is a clear error naming the image', async () => {
    const image = `127.0.0.1:1/rt-none/${uid}:1`;
    await assert.rejects(rt2.deploy({ name: n('pull'), image }), (e) => {
      assert.ok(['unavailable', 'not_found'].includes(kind(e)), kind(e));
      assert.ok((e as Error).message.includes(image), (e as Error).message);
      return true;
    });
    assert.equal(await rt2.get(n('pull')), undefined);
  });
});
