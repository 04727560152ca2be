// The friendly sensor YAML of `osmo sensor create -f` and its OCCI JSON: channel aliases,
// collector ids, targets, and refusals naming the field. The examples must parse and wire.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSensorFile, SensorFile, sensorToOcci } from '../../../src/cli/commands/sensor.js';
import { checkWiring, parseEntity, Registry, type ResourceEntity } from '../../../src/monitoring/index.js';
import { ROOT } from '../../../testing/proc.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OCCI renderings the server validated, read freely
type Occi = any;

const lookup = async (kind: string, name: string) => `/occi/compute/instance.${kind}-${name}`;

test('aliases in/out become the OCCI channel attributes; collectors get <name>-<n> ids and compute targets', async () => {
  const f = SensorFile.parse({
    name: 's1',
    period: 2,
    aggregators: { ewma: { gain: 2, in: 'raw', out: 'smooth' } },
    publishers: { udp: { udpAddr: '127.0.0.1:9999', in: 'smooth' } },
    collectors: [
      { target: 'node/n1', metric: 'cpu', period: 1, out: 'raw' },
      { name: 'p', target: 'mel/web', metric: 'http-probe', period: 1, latency: 'lat', port: 80 },
    ],
    dangling: true,
  });
  const o = (await sensorToOcci(f, lookup)) as Occi;
  assert.deepEqual(o.mixins, ['http://osmo/occi/monitoring/aggregator#ewma', 'http://osmo/occi/monitoring/publisher#udp']);
  assert.equal(o.attributes['osmo.aggregator.ewma.instream'], 'raw');
  assert.equal(o.attributes['osmo.aggregator.ewma.outstream'], 'smooth');
  assert.equal(o.attributes['osmo.publisher.udp.input'], 'smooth');
  assert.equal(o.attributes['osmo.sensor.dangling'], true);
  assert.deepEqual(
    o.links.map((l: Occi) => [l.id, l.target.location, l.attributes['occi.collector.period']]),
    [
      ['s1-1', '/occi/compute/node.n1', 1],
      ['p', '/occi/compute/instance.mel-web', 1],
    ],
  );
  assert.equal(o.links[1].attributes['osmo.metric.http-probe.latency'], 'lat');
  assert.equal(o.links[0].attributes['osmo.metric.cpu.out'], 'raw');
});

test('refusals name the field', () => {
  const bad = (doc: unknown) => {
    const r = SensorFile.safeParse(doc);
    assert.equal(r.success, false);
    return r.error?.issues[0]?.path.join('.');
  };
  assert.equal(bad({ period: 1 }), 'name');
  assert.equal(bad({ name: 'x', period: -1 }), 'period');
  assert.equal(bad({ name: 'x', period: 1, collectors: [{ target: 'vm/1', metric: 'cpu', period: 1 }] }), 'collectors.0.target');
  assert.equal(bad({ name: 'x', period: 1, extra: 1 }), '');
});

test('every example in examples/monitoring parses and is well wired', async () => {
  const dir = join(ROOT, 'examples/monitoring');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 3);
  const reg = new Registry('/occi');
  for (const file of files) {
    const body = (await sensorToOcci(readSensorFile(join(dir, file)), lookup)) as Occi;
    const ctx = { resolve: () => ({ kind: 'http://schemas.ogf.org/occi/infrastructure#compute' }), newId: () => 'x' };
    const s = parseEntity(reg, body, ctx) as ResourceEntity;
    assert.doesNotThrow(() => checkWiring(reg, s, s.links), file);
  }
});
