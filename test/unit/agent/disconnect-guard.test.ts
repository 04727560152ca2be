// disconnect.stopAfter on the agent: the guard over MockRuntime (testing/mock-runtime.ts, a
// fake driver) and a link whose state the test sets. The same with real containers and a
// real cut link: test/e2e/reliability/partition.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PubSub } from '../../../src/bus/pubsub.js';
import type { AgentEventBody } from '../../../src/bus/events.js';
import { DeployService } from '../../../src/agent/deploy/service.js';
import { DisconnectGuard } from '../../../src/agent/deploy/disconnect-guard.js';
import { LABEL_STOP_AFTER } from '../../../src/runtime/types.js';
import { MockRuntime } from '../../../testing/mock-runtime.js';

async function setup() {
  const rt = new MockRuntime();
  const bus = new PubSub<AgentEventBody>();
  const seen: AgentEventBody[] = [];
  bus.subscribe('*', (e) => seen.push(e));
  const deploy = new DeployService(rt, bus, { allowPrivileged: false, allowHostVolumes: false });
  await deploy.deploy({ name: 'once', image: 'x', labels: { [LABEL_STOP_AFTER]: '3000' } });
  await deploy.deploy({ name: 'free', image: 'x' });
  let now = 100_000;
  const link = { lastContact: now, cutOff: false };
  const guard = new DisconnectGuard({ deploy, link, now: () => now });
  return { rt, seen, link, guard, advance: (ms: number) => (now += ms) };
}

test('while the core answers, nothing is stopped however old the last contact', async () => {
  const { rt, guard, advance } = await setup();
  advance(60_000);
  assert.deepEqual(await guard.check(), []);
  assert.deepEqual([...rt.instances.keys()].sort(), ['free', 'once']);
});

test('cut off shorter than stopAfter: everything keeps running', async () => {
  const { rt, link, guard, advance } = await setup();
  link.cutOff = true;
  advance(2999);
  assert.deepEqual(await guard.check(), []);
  assert.deepEqual([...rt.instances.keys()].sort(), ['free', 'once']);
});

test('cut off longer than stopAfter: only the labelled instance is removed, with the reason on its event', async () => {
  const { rt, seen, link, guard, advance } = await setup();
  link.cutOff = true;
  advance(3001);
  assert.deepEqual(await guard.check(), ['once']);
  assert.deepEqual([...rt.instances.keys()], ['free']);
  const ev = seen.find((e) => e.type === 'instance' && e.name === 'once' && e.state === 'removed');
  assert.ok(ev && ev.type === 'instance' && /stopAfter/.test(ev.reason ?? ''), JSON.stringify(seen));
  assert.equal(guard.stopped, 1);
  // a second look finds nothing more to do
  assert.deepEqual(await guard.check(), []);
});
