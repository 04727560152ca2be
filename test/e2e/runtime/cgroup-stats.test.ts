// Guest stats read from cgroup files (src/runtime/cgroup-stats.ts) against the engine's own
// stats of the same container, on the real engine (scripts/test-docker.sh), which runs on this
// host. Containers here are named "light-cg-<uid>-…" and removed by this file.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { CgroupStats } from '../../../src/runtime/cgroup-stats.js';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { eventually, settle } from '../../../testing/proc.js';

const uid = randomBytes(3).toString('hex');
const NODE = `light-cg-node-${uid}`;
const n = (s: string) => `light-cg-${uid}-${s}`;
const docker = new Docker();

describe('guest stats from cgroup files', () => {
  const direct = new DockerRuntime({ nodeId: NODE, stopGraceSeconds: 1, guestStats: 'auto' });
  const engine = new DockerRuntime({ nodeId: NODE, stopGraceSeconds: 1, guestStats: 'engine' });
  const cg = new CgroupStats();
  let web: { id: string; pid: number; startedAt: number; port: number };

  before(async () => {
    const info = await direct.deploy({
      name: n('web'),
      image: 'osmo-test/httpd:1',
      ports: { '80/tcp': null },
      resources: { memoryBytes: 48 * 1024 * 1024 },
    });
    const c = await docker.getContainer(info.id).inspect();
    web = { id: c.Id, pid: c.State.Pid, startedAt: Date.parse(c.State.StartedAt), port: info.ports[0]!.hostPort };
    await settle(async () => assert.equal((await fetch(`http://127.0.0.1:${web.port}/`)).status, 200));
  });

  after(async () => {
    cg.close();
    await Promise.all([direct.close(), engine.close()]);
    const mine = await docker.listContainers({ all: true, filters: { name: [`light-cg-${uid}-`] } });
    await Promise.all(
      mine.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => {}),
      ),
    );
  });

  test('this host runs the engine: the files of its container are found and read', () => {
    assert.ok(cg.available(), 'cgroup hierarchies mounted');
    const r = cg.read(web.id, web.pid, web.startedAt);
    assert.ok(r, 'a reading from the cgroup files');
    assert.equal(r.live, true);
    assert.equal(r.memLimitBytes, 48 * 1024 * 1024);
    assert.ok(r.memUsageBytes > 0 && r.memUsageBytes <= r.memLimitBytes, `mem ${r.memUsageBytes}`);
    assert.ok(r.netRxBytes > 0 && r.netTxBytes > 0, `net ${r.netRxBytes}/${r.netTxBytes} after a request`);
    assert.ok(r.cpuPercent >= 0, `cpu ${r.cpuPercent}`);
  });

  test("a pid that is not the container's (another host's, another namespace's) is refused, not misread", () => {
    const fresh = new CgroupStats();
    try {
      assert.equal(fresh.read(`${web.id.slice(0, 60)}beef`, web.pid, web.startedAt), undefined);
      assert.equal(fresh.read(web.id, process.pid, web.startedAt), undefined);
    } finally {
      fresh.close();
    }
  });

  test("the runtime's stats agree with the engine's: limit and memory, and traffic counted by both", async () => {
    const before = await direct.stats(n('web'));
    for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${web.port}/`)).text();
    const mine = await direct.stats(n('web'));
    // read on the call, not on the engine's clock: the traffic is there at once
    assert.ok(mine.netTxBytes > before.netTxBytes, `tx ${before.netTxBytes} -> ${mine.netTxBytes}`);
    assert.ok(mine.netRxBytes > before.netRxBytes, `rx ${before.netRxBytes} -> ${mine.netRxBytes}`);
    // the engine reads the same counters about once a second: wait until it has seen the traffic
    const theirs = await eventually(async () => {
      const s = await engine.stats(n('web'));
      assert.ok(s.netTxBytes >= mine.netTxBytes, `engine tx ${s.netTxBytes} < ${mine.netTxBytes}`);
      return s;
    }, 30_000);
    const now = await direct.stats(n('web'));
    assert.equal(now.netTxBytes, theirs.netTxBytes);
    assert.equal(now.netRxBytes, theirs.netRxBytes);
    assert.equal(now.memLimitBytes, theirs.memLimitBytes);
    // memory moves a little between the two reads; same order of magnitude is what matters
    assert.ok(Math.abs(now.memUsageBytes - theirs.memUsageBytes) < 8 * 1024 * 1024, `mem ${now.memUsageBytes} vs ${theirs.memUsageBytes}`);
  });

  test('a busy container: cpu % of one core over the tick, as the engine computes it', async () => {
    await direct.deploy({ name: n('burn'), image: 'osmo-test/burn:1', resources: { cpus: 0.5 } });
    // On a shared, loaded machine one sample may catch the loop starved; a few tries settle it.
    await eventually(async () => {
      await new Promise((r) => setTimeout(r, 500));
      const s = await direct.stats(n('burn'));
      assert.ok(s.cpuPercent > 10 && s.cpuPercent < 80, `cpu ${s.cpuPercent} (limited to 50 %)`);
      return true;
    }, 30_000);
  });

  test('a stopped container: its files are gone and the runtime says so, as with the engine', async () => {
    await direct.deploy({ name: n('brief'), image: 'osmo-test/sleeper:1', command: ['/bin/sleep', '3'] });
    assert.ok(await direct.stats(n('brief')), 'read while running');
    await docker.getContainer(n('brief')).wait();
    await assert.rejects(direct.stats(n('brief')), (e) => (e as { kind?: string }).kind === 'conflict');
  });
});
