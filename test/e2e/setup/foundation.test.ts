import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../../testing/proc.js';
import { PubSub } from '../../../src/bus/pubsub.js';
import { AgentEvent } from '../../../src/bus/events.js';

test('bin/osmo prints its version', () => {
  const out = execFileSync(process.execPath, [join(ROOT, 'bin/osmo.js'), '--version'], {
    encoding: 'utf8',
    env: { ...process.env, OSMO_FROM_SOURCE: '1' },
  });
  assert.match(out.trim(), /^\d+\.\d+\.\d+$/);
});

test('the test engine is real: docker answers on DOCKER_HOST', () => {
  assert.ok(process.env.DOCKER_HOST, 'scripts/test.sh must export DOCKER_HOST');
  const v = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' });
  assert.match(v.trim(), /^\d+\./);
});

test('pubsub delivers per channel and to wildcard, isolating a throwing subscriber', () => {
  const bus = new PubSub<number>();
  const got: string[] = [];
  bus.subscribe('a', (m, c) => got.push(`${c}:${m}`));
  bus.subscribe('*', () => {
    throw new Error('boom');
  });
  bus.subscribe('*', (m, c) => got.push(`*${c}:${m}`));
  bus.publish('a', 1);
  bus.publish('b', 2);
  assert.deepEqual(got, ['a:1', '*a:1', '*b:2']);
});

test('agent events are validated by their schema', () => {
  const ok = AgentEvent.safeParse({
    seq: 1,
    node: 'n1',
    ts: 1,
    type: 'sample',
    source: 'host',
    target: 'host',
    metric: 'cpu',
    fields: { total: { value: 3, unit: 'percent' } },
  });
  assert.equal(ok.success, true);
  const bad = AgentEvent.safeParse({
    seq: -1,
    node: 'n1',
    ts: 1,
    type: 'sample',
    source: 'moon',
    target: 'host',
    metric: 'cpu',
    fields: {},
  });
  assert.equal(bad.success, false);
});
