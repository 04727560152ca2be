// The agent's deploy and monitor services over MockRuntime (testing/mock-runtime.ts): what they
// publish on the bus, the policy check, the in-flight guard, the stats cache, guest sampling.
// No engine here; the same services against real Docker are covered in test/e2e/agent/.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PubSub } from '../../../src/bus/pubsub.js';
import type { AgentEventBody } from '../../../src/bus/events.js';
import { DeployService } from '../../../src/agent/deploy/service.js';
import { MonitorService } from '../../../src/agent/monitor/service.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { MockRuntime } from '../../../testing/mock-runtime.js';
import { eventually } from '../../../testing/proc.js';

function setup(policy = { allowPrivileged: false, allowHostVolumes: false }) {
  const rt = new MockRuntime({ pull: [{ image: 'x', status: 'Downloading', id: 'l1', current: 1, total: 2 }] });
  const bus = new PubSub<AgentEventBody>();
  const seen: Array<{ channel: string; e: AgentEventBody }> = [];
  bus.subscribe('*', (e, channel) => seen.push({ channel, e }));
  return { rt, bus, seen, deploy: new DeployService(rt, bus, policy) };
}

const kind = (e: unknown) => (e instanceof OsmoError ? e.kind : String(e));
const stats = {
  cpuPercent: 12.5,
  memUsageBytes: 1000,
  memLimitBytes: 4000,
  netRxBytes: 10,
  netTxBytes: 20,
  blkReadBytes: 0,
  blkWriteBytes: 0,
};

describe('DeployService', () => {
  test('a deploy publishes its pull progress and one running event; the driver echoing it adds nothing', async () => {
    const { rt, seen, deploy } = setup();
    const info = await deploy.deploy({ name: 'web', image: 'x', labels: { mel: 'm' } });
    assert.equal(info.state, 'running');
    rt.emit('web', 'running'); // the engine's own start event for the same transition
    assert.deepEqual(
      seen.map((s) => s.channel),
      ['pull', 'instance'],
    );
    assert.deepEqual(seen[1]!.e, { type: 'instance', name: 'web', image: 'x', state: 'running', labels: info.labels });
    rt.emit('web', 'failed', 'out of memory'); // news: published
    assert.deepEqual(seen.at(-1)!.e, {
      type: 'instance',
      name: 'web',
      state: 'failed',
      reason: 'out of memory',
      image: 'x',
      labels: info.labels,
    });
  });

  test('the policy is checked before the driver is called', async () => {
    const { rt, deploy } = setup();
    await assert.rejects(deploy.deploy({ name: 'p', image: 'x', privileged: true }), (e) => kind(e) === 'forbidden');
    await assert.rejects(
      deploy.deploy({ name: 'v', image: 'x', volumes: { '/etc': { bind: '/x', mode: 'ro' } } }),
      (e) => kind(e) === 'forbidden',
    );
    assert.deepEqual(rt.calls, []);
  });

  test('two deploys of one name at once: the second is a conflict without reaching the driver', async () => {
    const { rt, deploy } = setup();
    const [a, b] = await Promise.allSettled([deploy.deploy({ name: 'twin', image: 'x' }), deploy.deploy({ name: 'twin', image: 'x' })]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.equal(kind(b.reason), 'conflict');
    assert.deepEqual(rt.calls, ['deploy twin']);
  });

  test('a failed deploy publishes nothing and frees the name', async () => {
    const { rt, seen, deploy } = setup();
    rt.failNextDeploy = new OsmoError('unavailable', 'engine unreachable');
    await assert.rejects(deploy.deploy({ name: 'w', image: 'x' }), (e) => kind(e) === 'unavailable');
    assert.deepEqual(
      seen.filter((s) => s.channel === 'instance'),
      [],
    );
    await deploy.deploy({ name: 'w', image: 'x' });
  });

  test('remove publishes one removed event; stats calls close together share one driver call', async () => {
    const { rt, seen, deploy } = setup();
    await deploy.deploy({ name: 'r', image: 'x' });
    rt.stats_.set('r', stats);
    const [s1, s2] = await Promise.all([deploy.stats('r'), deploy.stats('r')]);
    assert.equal(s1, s2);
    assert.equal(rt.calls.filter((c) => c === 'stats r').length, 1);
    await deploy.remove('r', 'x');
    rt.emit('r', 'removed'); // the engine's destroy event: an echo
    assert.deepEqual(
      seen.filter((s) => s.channel === 'instance').map((s) => (s.e as { state: string }).state),
      ['running', 'removed'],
    );
    await assert.rejects(deploy.remove('r'), (e) => kind(e) === 'not_found');
  });

  test('close() stops listening to the driver', async () => {
    const { rt, deploy } = setup();
    assert.equal(rt.watchers, 1);
    deploy.close();
    assert.equal(rt.watchers, 0);
  });
});

describe('MonitorService (guest source over MockRuntime)', () => {
  test('a guest cpu monitor samples every running instance; re-time and stop are published', async () => {
    const { rt, bus, seen, deploy } = setup();
    await deploy.deploy({ name: 'g1', image: 'x' });
    await deploy.deploy({ name: 'g2', image: 'x' });
    rt.stats_.set('g1', stats);
    rt.stats_.set('g2', { ...stats, cpuPercent: 50 });
    const monitors = new MonitorService(bus, deploy);
    try {
      assert.equal(await monitors.start('cpu', 'guest', 0.05), 'started');
      const samples = () =>
        seen.filter((s) => s.channel === 'sample').map((s) => s.e as { target: string; source: string; metric: string });
      await eventually(() => ['g1', 'g2'].every((t) => samples().some((x) => x.target === t)), 10_000, 'a sample of each instance');
      assert.ok(samples().every((x) => x.source === 'guest' && x.metric === 'cpu'));
      assert.equal(await monitors.start('cpu', 'guest', 0.1), 'retimed');
      assert.deepEqual(
        monitors.list().map((m) => [m.metric, m.source, m.period]),
        [['cpu', 'guest', 0.1]],
      );
      monitors.stop('cpu', 'guest');
      assert.throws(
        () => monitors.stop('cpu', 'guest'),
        (e) => kind(e) === 'not_found',
      );
      assert.deepEqual(
        seen.filter((s) => s.channel === 'monitor').map((s) => (s.e as { action: string }).action),
        ['started', 'retimed', 'stopped'],
      );
    } finally {
      monitors.close();
    }
  });
  test('holders share a monitor: it runs at the shortest period asked, and stops when the last holder lets go', async () => {
    const { bus, seen, deploy } = setup();
    const monitors = new MonitorService(bus, deploy);
    try {
      assert.equal(await monitors.start('cpu', 'guest', 5), 'started');
      assert.equal(await monitors.start('cpu', 'guest', 1, 'occi'), 'retimed');
      const row = () => monitors.list().map((m) => [m.period, m.holders]);
      assert.deepEqual(row(), [[1, ['', 'occi']]]);
      // the seed's caller re-times its own wish only; the shorter one still rules
      assert.equal(await monitors.start('cpu', 'guest', 10), 'retimed');
      assert.deepEqual(row(), [[1, ['', 'occi']]]);
      monitors.stop('cpu', 'guest', 'occi');
      assert.deepEqual(row(), [[10, ['']]]);
      assert.throws(
        () => monitors.stop('cpu', 'guest', 'occi'),
        (e) => kind(e) === 'not_found',
      );
      await monitors.start('mem', 'guest', 2, 'occi');
      monitors.stop('mem', 'guest', 'occi');
      assert.deepEqual(
        monitors.list().map((m) => m.metric),
        ['cpu'],
      );
      assert.deepEqual(
        seen
          .filter((s) => s.channel === 'monitor')
          .map((s) => (s.e as { metric: string; action: string }).metric + ' ' + (s.e as { action: string }).action),
        ['cpu started', 'cpu retimed', 'cpu retimed', 'cpu retimed', 'mem started', 'mem stopped'],
      );
    } finally {
      monitors.close();
    }
  });
  test('monitors of one period share a clock: a stalled source neither holds up the others nor catches up in a burst', async () => {
    const bus = new PubSub<AgentEventBody>();
    const count = { host: 0, guest: 0 };
    bus.subscribe('sample', (e) => {
      if (e.type === 'sample') count[e.source]++;
    });
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    // a guest source whose engine hangs until released
    const guest = {
      running: async () => ['g'],
      stats: async (name: string) => {
        await stalled;
        return { name, ts: Date.now(), ...stats };
      },
    };
    const monitors = new MonitorService(bus, guest);
    try {
      await monitors.start('cpu', 'guest', 0.02);
      await monitors.start('cpu', 'host', 0.02);
      await eventually(() => count.host >= 10, 10_000, 'host samples while the guest source hangs');
      assert.equal(count.guest, 0);
      const hostAtRelease = count.host;
      release();
      await eventually(() => count.guest >= 1, 10_000, 'the guest sample once released');
      // the ~10 ticks missed while it hung are not replayed: the one in flight and the one it
      // owed, then one per tick of the clock (the host monitor counts those ticks)
      const ticks = count.host - hostAtRelease;
      assert.ok(count.guest <= 2 + ticks, `${count.guest} guest samples after the stall, over ${ticks} ticks`);
    } finally {
      monitors.close();
    }
  });
});
