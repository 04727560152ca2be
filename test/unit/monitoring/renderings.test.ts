import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  COLLECTOR_ID,
  COMPUTE_ID,
  filterCategories,
  filterFromQuery,
  parseEntity,
  renderAction,
  renderEntityCollection,
  renderKind,
  renderLink,
  renderLinkCollection,
  renderMixin,
  renderQueryInterface,
  renderResource,
  renderResourceCollection,
  SENSOR_ID,
  textCategories,
  textEntity,
  textLocations,
  toHeaders,
  toPlainBody,
  type LinkEntity,
  type ResourceEntity,
  OSMO_INFRA,
} from '../../../src/monitoring/index.js';
import { schemaErrors } from './schema.js';
import { cpuEwmaLogSensor, world } from './world.js';

const valid = (def: Parameters<typeof schemaErrors>[0], v: unknown) => assert.deepEqual(schemaErrors(def, v), [], JSON.stringify(v));

describe('OCCI JSON renderings validate against the GFD.226 schema', () => {
  const { reg, ctx } = world();
  const sensor = parseEntity(reg, cpuEwmaLogSensor(), ctx) as ResourceEntity;
  const collector = sensor.links[0]!;
  const compute: ResourceEntity = {
    class: 'resource',
    kind: COMPUTE_ID,
    id: 'web-1',
    mixins: [OSMO_INFRA + 'osmo'],
    links: [],
    title: 'web-1',
    attributes: {
      'occi.compute.hostname': 'web-1',
      'occi.compute.cores': 2,
      'occi.compute.memory': 1.5,
      'occi.compute.state': 'active',
      'osmo.compute.role': 'instance',
      'osmo.compute.mel': 'web',
    },
  };

  test('every kind, mixin and action, alone and as collections', () => {
    for (const k of reg.kinds()) valid('kind', renderKind(k));
    for (const m of reg.mixins()) valid('mixin', renderMixin(m));
    for (const a of reg.actions()) valid('action', renderAction(a));
    valid('kind_collection', { kinds: reg.kinds().map(renderKind) });
    valid('mixin_collection', { mixins: reg.mixins().map(renderMixin) });
    valid('action_collection', { actions: reg.actions().map(renderAction) });
  });

  test('the query interface, whole and filtered, is a valid model listing the monitoring categories with their attributes', () => {
    const qi = renderQueryInterface(reg.all());
    valid('model', qi);
    const sensorKind = qi.kinds.find((k) => k.term === 'sensor' && k.scheme === 'http://schemas.ogf.org/occi/monitoring#');
    assert.ok(sensorKind);
    const attrs = sensorKind.attributes as Record<string, { required: boolean; type: string }>;
    assert.deepEqual([attrs['occi.sensor.period']?.required, attrs['occi.sensor.period']?.type], [true, 'number']);
    for (const t of ['timebase', 'timestart', 'timestop', 'granularity', 'accuracy'])
      assert.equal(attrs[`occi.sensor.${t}`]?.required, false, t);
    assert.deepEqual(sensorKind.actions, [
      'http://schemas.ogf.org/occi/monitoring/sensor/action#start',
      'http://schemas.ogf.org/occi/monitoring/sensor/action#stop',
    ]);
    const collectorKind = qi.kinds.find((k) => k.term === 'collector')!;
    assert.equal((collectorKind.attributes as Record<string, { required: boolean }>)['occi.collector.period']?.required, true);
    for (const tag of ['metric', 'aggregator', 'publisher'])
      assert.ok(
        qi.mixins.some((m) => m.term === tag && m.scheme === 'http://schemas.ogf.org/occi/monitoring#'),
        tag,
      );
    const ewma = qi.mixins.find((m) => m.term === 'ewma')!;
    assert.deepEqual(ewma.depends, ['http://schemas.ogf.org/occi/monitoring#aggregator']);
    assert.deepEqual(Object.keys(ewma.attributes as object).sort(), [
      'osmo.aggregator.ewma.gain',
      'osmo.aggregator.ewma.instream',
      'osmo.aggregator.ewma.outstream',
    ]);
    const filtered = renderQueryInterface(filterCategories(reg, reg.all(), filterFromQuery({ category: SENSOR_ID })));
    valid('model', filtered);
    assert.deepEqual(
      filtered.kinds.map((k) => k.term),
      ['sensor'],
    );
    assert.deepEqual(
      filtered.actions.map((a) => a.term).sort((x, y) => String(x).localeCompare(String(y))),
      ['start', 'stop'],
    );
    assert.ok(filtered.mixins.some((m) => m.term === 'aggregator') && !filtered.mixins.some((m) => m.term === 'metric'));
  });

  test('a sensor with its collector, the collector alone, a compute resource, and collections', () => {
    const r = renderResource(reg, sensor);
    valid('resource', r);
    assert.equal((r.links as unknown[]).length, 1);
    valid('link', renderLink(reg, collector));
    valid('resource', renderResource(reg, compute));
    valid('resource_collection', renderResourceCollection(reg, [sensor, compute]));
    valid('link_collection', renderLinkCollection(reg, [collector]));
    valid('resource_collection', renderResourceCollection(reg, []));
    valid('model', renderEntityCollection(reg, [sensor, collector]));
  });

  test('a round trip: what osmo renders, osmo parses back to the same entity', () => {
    const again = parseEntity(reg, renderResource(reg, sensor), ctx);
    assert.deepEqual(again, sensor);
  });

  test('the validator is not a rubber stamp: broken renderings fail', () => {
    assert.notDeepEqual(schemaErrors('resource', { ...renderResource(reg, sensor), kind: 3 }), []);
    assert.notDeepEqual(schemaErrors('link', { ...renderLink(reg, collector), source: {} }), []);
    assert.notDeepEqual(schemaErrors('mixin', { term: 'x', scheme: 'y#' }), []);
  });
});

describe('text renderings (GFD.229)', () => {
  const { reg, ctx } = world();
  const sensor = parseEntity(reg, cpuEwmaLogSensor(), ctx) as ResourceEntity;

  test('a sensor renders its categories, collector link, action links and attributes', () => {
    const body = toPlainBody(textEntity(reg, sensor));
    const lines = body.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'Category: sensor; scheme="http://schemas.ogf.org/occi/monitoring#"; class="kind"; title="Sensor: processes and publishes what its collectors measure"; rel="http://schemas.ogf.org/occi/core#resource"; location="/occi/sensor/"; attributes="occi.sensor.period{required} occi.sensor.timebase occi.sensor.timestart occi.sensor.timestop occi.sensor.granularity occi.sensor.accuracy osmo.sensor.state{immutable} osmo.sensor.state.message{immutable} osmo.sensor.dangling osmo.sensor.placement"; actions="http://schemas.ogf.org/occi/monitoring/sensor/action#start http://schemas.ogf.org/occi/monitoring/sensor/action#stop"',
    );
    assert.ok(lines.some((l) => l.startsWith('Category: ewma; scheme="http://osmo/occi/monitoring/aggregator#"; class="mixin"')));
    assert.ok(
      lines.includes(
        `Link: </occi/compute/web-1>; rel="${COMPUTE_ID}"; self="/occi/collector/c1"; category="${COLLECTOR_ID} http://osmo/occi/monitoring/metric#cpu http://schemas.ogf.org/occi/monitoring#metric"; occi.core.id="c1"; occi.collector.period=1; osmo.metric.cpu.out="cpu"`,
      ),
      body,
    );
    assert.ok(lines.includes('Link: </occi/sensor/s1?action=start>; rel="http://schemas.ogf.org/occi/monitoring/sensor/action#start"'));
    assert.ok(lines.includes('X-OCCI-Attribute: occi.core.id="s1"'));
    assert.ok(lines.includes('X-OCCI-Attribute: occi.core.title="web CPU"'));
    assert.ok(lines.includes('X-OCCI-Attribute: occi.sensor.period=5'));
    assert.ok(lines.includes('X-OCCI-Attribute: osmo.sensor.dangling=false'));
  });

  test('a collector renders source and target; text/occi joins repeated fields with commas', () => {
    const h = toHeaders(textEntity(reg, sensor.links[0] as LinkEntity));
    assert.match(
      h['X-OCCI-Attribute']!,
      /^occi\.core\.id="c1", occi\.core\.source="\/occi\/sensor\/s1", occi\.core\.source\.kind="http:\/\/schemas\.ogf\.org\/occi\/monitoring#sensor", occi\.core\.target="\/occi\/compute\/web-1"/,
    );
    assert.equal(h.Category!.match(/class="/g)?.length, 3, 'collector kind, the cpu mixin and the metric tag');
  });

  test('quotes and backslashes in values are escaped; collections are X-OCCI-Location lines', () => {
    const tricky = parseEntity(reg, cpuEwmaLogSensor({ id: 's2', title: 'say "hi" \\ bye', links: [] }), ctx);
    assert.ok(toPlainBody(textEntity(reg, tricky)).includes('X-OCCI-Attribute: occi.core.title="say \\"hi\\" \\\\ bye"'));
    assert.equal(
      toPlainBody(textLocations(['/occi/sensor/s1', '/occi/sensor/s2'])),
      'X-OCCI-Location: /occi/sensor/s1\nX-OCCI-Location: /occi/sensor/s2\n',
    );
    assert.equal(
      toPlainBody(textCategories([reg.action('http://schemas.ogf.org/occi/monitoring/sensor/action#stop')!])),
      'Category: stop; scheme="http://schemas.ogf.org/occi/monitoring/sensor/action#"; class="action"; title="Stop the sensor: tear its collectors and pipe down, keep the definition"\n',
    );
  });
});
