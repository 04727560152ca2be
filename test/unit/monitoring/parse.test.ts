import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyPartialUpdate,
  COLLECTOR_ID,
  COMPUTE_ID,
  parseActionInvocation,
  parseEntity,
  SENSOR_ID,
  type LinkEntity,
  type ResourceEntity,
} from '../../../src/monitoring/index.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { A, cpuEwmaLogSensor, M, P, world } from './world.js';

const refuses = (f: () => unknown, re: RegExp, details?: Record<string, unknown>) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof OsmoError, String(e));
    assert.equal(e.kind, 'invalid');
    assert.match(e.message, re);
    if (details)
      for (const [k, v] of Object.entries(details)) assert.equal(e.details?.[k], v, `details.${k} in ${JSON.stringify(e.details)}`);
    return true;
  });

const attrs = (extra: Record<string, unknown>, drop: string[] = []) => {
  const s = cpuEwmaLogSensor();
  const a = { ...(s.attributes as Record<string, unknown>), ...extra };
  for (const d of drop) delete a[d];
  return { ...s, attributes: a };
};

describe('parsing incoming OCCI JSON entities', () => {
  const { reg, ctx, entities } = world();

  test('the seed sensor parses; defaults are filled and tag mixins the providers depend on are associated', () => {
    const s = parseEntity(reg, cpuEwmaLogSensor(), ctx) as ResourceEntity;
    assert.equal(s.attributes['osmo.sensor.placement'], 'core');
    assert.equal(s.attributes['osmo.sensor.state'], 'inactive');
    assert.ok(
      s.mixins.includes('http://schemas.ogf.org/occi/monitoring#aggregator') &&
        s.mixins.includes('http://schemas.ogf.org/occi/monitoring#publisher'),
    );
    assert.deepEqual(s.links[0]!.source, { location: '/occi/sensor/s1', kind: SENSOR_ID });
  });

  test('a missing required attribute is named', () => {
    refuses(() => parseEntity(reg, attrs({}, ['occi.sensor.period']), ctx), /occi\.sensor\.period is required/, {
      attribute: 'occi.sensor.period',
    });
    refuses(() => parseEntity(reg, attrs({}, ['osmo.aggregator.ewma.gain']), ctx), /osmo\.aggregator\.ewma\.gain is required/, {
      attribute: 'osmo.aggregator.ewma.gain',
    });
    const noPeriod = cpuEwmaLogSensor();
    (noPeriod.links as { attributes: Record<string, unknown> }[])[0]!.attributes = { 'osmo.metric.cpu.out': 'cpu' };
    refuses(() => parseEntity(reg, noPeriod, ctx), /^links\.0\.attributes: occi\.collector\.period is required/, {
      attribute: 'occi.collector.period',
    });
  });

  test('a wrong type or an out-of-range value is named', () => {
    refuses(() => parseEntity(reg, attrs({ 'occi.sensor.period': '5' }), ctx), /occi\.sensor\.period must be of type number, got string/, {
      attribute: 'occi.sensor.period',
    });
    refuses(() => parseEntity(reg, attrs({ 'occi.sensor.period': -1 }), ctx), /occi\.sensor\.period must be ≥ 0/);
    refuses(() => parseEntity(reg, attrs({ 'osmo.sensor.placement': 'moon' }), ctx), /osmo\.sensor\.placement must be one of core, edge/);
    refuses(() => parseEntity(reg, attrs({ 'osmo.sensor.dangling': 'yes' }), ctx), /osmo\.sensor\.dangling must be of type boolean/);
  });

  test('unknown kinds, mixins and attributes are named', () => {
    refuses(
      () => parseEntity(reg, { ...cpuEwmaLogSensor(), kind: 'http://example.org/occi#gadget' }, ctx),
      /kind: unknown kind http:\/\/example\.org\/occi#gadget/,
      { category: 'http://example.org/occi#gadget' },
    );
    refuses(
      () => parseEntity(reg, { ...cpuEwmaLogSensor(), mixins: [A('ewma'), A('median')] }, ctx),
      /mixins: unknown mixin http:\/\/osmo\/occi\/monitoring\/aggregator#median/,
    );
    refuses(() => parseEntity(reg, attrs({ 'occi.sensor.perod': 5 }), ctx), /occi\.sensor\.perod is not an attribute/, {
      attribute: 'occi.sensor.perod',
    });
    refuses(() => parseEntity(reg, { ...cpuEwmaLogSensor(), colour: 'red' }, ctx), /unknown member\(s\) colour/);
  });

  test('a mixin that does not apply to the kind is named', () => {
    refuses(
      () => parseEntity(reg, { ...cpuEwmaLogSensor(), mixins: [M('cpu')] }, ctx),
      /mixin http:\/\/osmo\/occi\/monitoring\/metric#cpu does not apply to kind http:\/\/schemas\.ogf\.org\/occi\/monitoring#sensor/,
    );
    const aggOnCollector = cpuEwmaLogSensor();
    (aggOnCollector.links as { mixins: string[] }[])[0]!.mixins = [M('cpu'), P('udp')];
    refuses(
      () => parseEntity(reg, aggOnCollector, ctx),
      /links\.0\.mixins: mixin http:\/\/osmo\/occi\/monitoring\/publisher#udp does not apply/,
    );
  });

  test('a collector whose source is not a sensor is refused', () => {
    const link = {
      kind: COLLECTOR_ID,
      id: 'c9',
      mixins: [M('cpu')],
      attributes: { 'occi.collector.period': 1, 'osmo.metric.cpu.out': 'x' },
      source: { location: '/occi/compute/node-1' },
      target: { location: '/occi/compute/web-1' },
    };
    refuses(
      () => parseEntity(reg, link, ctx),
      /source: a collector's source must be a sensor, \/occi\/compute\/node-1 is http:\/\/schemas\.ogf\.org\/occi\/infrastructure#compute/,
      { field: 'source' },
    );
    refuses(() => parseEntity(reg, { ...link, source: { location: '/occi/sensor/nope' } }, ctx), /source: nothing at \/occi\/sensor\/nope/);
    entities.set('/occi/sensor/s1', SENSOR_ID);
    const ok = parseEntity(reg, { ...link, source: { location: '/occi/sensor/s1' } }, ctx) as LinkEntity;
    assert.equal(ok.source.kind, SENSOR_ID);
    refuses(
      () => parseEntity(reg, { ...link, source: { location: '/occi/sensor/s1' }, target: { location: '/occi/sensor/s1' } }, ctx),
      /target: a collector's target is the monitored resource, not a sensor/,
    );
    refuses(
      () => parseEntity(reg, { ...link, source: { location: '/occi/sensor/s1', kind: COMPUTE_ID } }, ctx),
      /source: \/occi\/sensor\/s1 is a .*sensor, not a .*compute/,
    );
  });

  test('broken shapes: not an object, no kind, abstract or read-only kinds, a PUT id that disagrees', () => {
    refuses(() => parseEntity(reg, 'sensor', ctx), /^body: /);
    refuses(() => parseEntity(reg, [], ctx), /^body: /);
    refuses(() => parseEntity(reg, { id: 'x' }, ctx), /^kind: /, { field: 'kind' });
    refuses(() => parseEntity(reg, { kind: 'http://schemas.ogf.org/occi/core#resource', id: 'x' }, ctx), /abstract/);
    refuses(() => parseEntity(reg, { kind: COMPUTE_ID, id: 'x', attributes: { 'occi.compute.state': 'active' } }, ctx), /read-only/);
    refuses(() => parseEntity(reg, cpuEwmaLogSensor(), ctx, 'other'), /id: "s1" differs from the id in the location \(other\)/);
    refuses(() => parseEntity(reg, { ...cpuEwmaLogSensor(), id: '../etc' }, ctx), /^id: /);
    refuses(() => parseEntity(reg, { ...cpuEwmaLogSensor(), mixins: [A('ewma'), A('ewma')] }, ctx), /listed twice/);
  });

  test('partial update merges attributes and refuses immutable ones', () => {
    const s = parseEntity(reg, cpuEwmaLogSensor(), ctx);
    const u = applyPartialUpdate(reg, s, { attributes: { 'osmo.aggregator.ewma.gain': 9 } }, ctx);
    assert.equal(u.attributes['osmo.aggregator.ewma.gain'], 9);
    assert.equal(u.attributes['occi.sensor.period'], 5);
    refuses(() => applyPartialUpdate(reg, s, { attributes: { 'osmo.sensor.state': 'active' } }, ctx), /osmo\.sensor\.state is immutable/, {
      attribute: 'osmo.sensor.state',
    });
    refuses(() => applyPartialUpdate(reg, s, { kind: COLLECTOR_ID }, ctx), /kind of an entity cannot change/);
    refuses(
      () => applyPartialUpdate(reg, s, { attributes: { 'occi.sensor.period': null } }, ctx),
      /occi\.sensor\.period must be of type number, got null/,
    );
  });

  test('action invocations: known, offered by the kind, matching ?action=', () => {
    const s = parseEntity(reg, cpuEwmaLogSensor(), ctx);
    const start = 'http://schemas.ogf.org/occi/monitoring/sensor/action#start';
    assert.deepEqual(parseActionInvocation(reg, s, 'start', { action: start }), { action: start, attributes: {} });
    refuses(() => parseActionInvocation(reg, s, 'stop', { action: start }), /does not match \?action=stop/);
    refuses(
      () => parseActionInvocation(reg, s, 'start', { action: 'http://schemas.ogf.org/occi/infrastructure/compute/action#start' }),
      /unknown action/,
    );
    refuses(
      () => parseActionInvocation(reg, s, 'start', { action: start, attributes: { force: true } }),
      /force is not an attribute of action/,
    );
  });
});

describe('parsing never fails with anything but a named 400', () => {
  const { reg, ctx } = world();
  const onlyInvalid = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof OsmoError && e.kind === 'invalid' && e.message.length > 0;
    }
    return true;
  };

  test('arbitrary JSON values', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyInvalid(() => parseEntity(reg, v, ctx))),
      { numRuns: 500 },
    );
  });

  test('the seed sensor with one member or attribute replaced by arbitrary JSON', async () => {
    const fc = (await import('fast-check')).default;
    const base = cpuEwmaLogSensor();
    const keys: string[][] = [
      ...Object.keys(base).map((k) => [k]),
      ...Object.keys(base.attributes as object).map((k) => ['attributes', k]),
      ['links', '0', 'target'],
      ['links', '0', 'attributes'],
      ['links', '0', 'mixins'],
      ['links', '0', 'attributes', 'osmo.metric.cpu.out'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (path, v) => {
        const body: Record<string, unknown> = structuredClone(base);
        let at: Record<string, unknown> = body;
        for (const p of path.slice(0, -1)) at = at[p] as Record<string, unknown>;
        at[path.at(-1)!] = v;
        return onlyInvalid(() => parseEntity(reg, body, ctx));
      }),
      { numRuns: 1000 },
    );
  });
});
