import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  COLLECTOR_ID,
  filterCategories,
  filterEntities,
  filterFromHeaders,
  filterFromQuery,
  mergeFilters,
  parseEntity,
  renderMixin,
  SENSOR_ID,
  typeId,
  type Entity,
} from '../../../src/monitoring/index.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { schemaErrors } from './schema.js';
import { A, cpuEwmaLogSensor, world } from './world.js';

describe('query interface and collection filters', () => {
  const { reg, ctx } = world();
  const s1 = parseEntity(reg, cpuEwmaLogSensor(), ctx);
  const s2 = parseEntity(
    reg,
    cpuEwmaLogSensor({
      id: 's2',
      title: 'db latency',
      mixins: [A('ewma'), 'http://osmo/occi/monitoring/publisher#log', 'http://osmo/occi/monitoring/publisher#udp'],
    }),
    ctx,
  );
  s2.attributes['occi.sensor.period'] = 30;
  const all: Entity[] = [s1, s2];

  test('?category= selects related categories: the kind, its actions, mixins that apply to it', () => {
    const ids = filterCategories(reg, reg.all(), filterFromQuery({ category: COLLECTOR_ID })).map(typeId);
    assert.ok(
      ids.includes(COLLECTOR_ID) &&
        ids.includes('http://schemas.ogf.org/occi/monitoring#metric') &&
        ids.includes('http://osmo/occi/monitoring/metric#cpu'),
    );
    assert.ok(!ids.includes(SENSOR_ID) && !ids.includes('http://osmo/occi/monitoring/aggregator#ewma'));
    const resources = filterCategories(reg, reg.all(), filterFromQuery({ category: 'http://schemas.ogf.org/occi/core#resource' })).map(
      typeId,
    );
    assert.ok(
      resources.includes(SENSOR_ID) &&
        resources.includes('http://schemas.ogf.org/occi/infrastructure#compute') &&
        !resources.includes(COLLECTOR_ID),
    );
  });

  test('?q= matches an attribute value exactly (name=value) or free text', () => {
    assert.deepEqual(
      filterEntities(reg, all, filterFromQuery({ q: 'occi.sensor.period=30' })).map((e) => e.id),
      ['s2'],
    );
    assert.deepEqual(
      filterEntities(reg, all, filterFromQuery({ q: 'occi.core.title="web CPU"' })).map((e) => e.id),
      ['s1'],
    );
    assert.deepEqual(
      filterEntities(reg, all, filterFromQuery({ q: 'LATENCY' })).map((e) => e.id),
      ['s2'],
    );
    assert.deepEqual(
      filterEntities(reg, all, filterFromQuery({ category: SENSOR_ID, q: ['occi.sensor.period=5', 'web'] })).map((e) => e.id),
      ['s1'],
    );
    assert.deepEqual(filterEntities(reg, all, filterFromQuery({ category: A('rate') })), []);
    assert.equal(filterEntities(reg, all, filterFromQuery({})).length, 2);
  });

  test('the text rendering request headers filter the same way', () => {
    const f = filterFromHeaders({
      category: 'sensor; scheme="http://schemas.ogf.org/occi/monitoring#"; class="kind"',
      'x-occi-attribute': 'occi.sensor.period=30, occi.core.title="db latency"',
    });
    assert.deepEqual(f.categories, [SENSOR_ID]);
    assert.deepEqual(
      filterEntities(reg, all, mergeFilters(f, filterFromQuery({}))).map((e) => e.id),
      ['s2'],
    );
  });

  test('malformed filters are refused naming the parameter', () => {
    assert.throws(
      () => filterFromQuery({ category: 'sensor' }),
      (e: unknown) => e instanceof OsmoError && e.kind === 'invalid' && e.details?.field === 'category',
    );
    assert.throws(() => filterFromHeaders({ Category: 'sensor' }), /header Category: "sensor" lacks a term or a quoted scheme/);
    assert.throws(() => filterFromHeaders({ 'X-OCCI-Attribute': 'novalue' }), /not name=value/);
  });
});

describe('user mixins (conformance profile 2)', () => {
  test('a user defines a tag, tags a sensor with it, filters by it, and removes it', () => {
    const { reg, ctx } = world();
    const m = reg.addUserMixin({ term: 'prod', scheme: 'http://example.org/tags#', title: 'production', location: '/occi/tags/prod/' });
    assert.deepEqual(schemaErrors('mixin', renderMixin(m)), []);
    assert.equal(reg.atLocation('/occi/tags/prod/'), m);
    const s = parseEntity(
      reg,
      cpuEwmaLogSensor({
        mixins: [
          A('ewma'),
          'http://osmo/occi/monitoring/publisher#log',
          'http://osmo/occi/monitoring/publisher#udp',
          'http://example.org/tags#prod',
        ],
      }),
      ctx,
    );
    assert.deepEqual(
      filterEntities(reg, [s], filterFromQuery({ category: 'http://example.org/tags#prod' })).map((e) => e.id),
      ['s1'],
    );
    reg.removeUserMixin('http://example.org/tags#prod');
    assert.equal(reg.mixin('http://example.org/tags#prod'), undefined);
    assert.equal(reg.atLocation('/occi/tags/prod/'), undefined);
  });

  test('bad or clashing user mixins are refused naming the field', () => {
    const { reg } = world();
    const kindOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof OsmoError ? `${e.kind}: ${e.message}` : String(e);
      }
      return 'accepted';
    };
    assert.match(
      kindOf(() => reg.addUserMixin({ term: 'x', scheme: 'no-hash', location: '/occi/x/' })),
      /^invalid: user mixin: scheme:/,
    );
    assert.match(
      kindOf(() => reg.addUserMixin({ term: 'x y', scheme: 'http://e/t#', location: '/occi/x/' })),
      /^invalid: user mixin: term:/,
    );
    assert.match(
      kindOf(() => reg.addUserMixin({ term: 'x', scheme: 'http://e/t#', location: '/elsewhere/x/' })),
      /^invalid: user mixin: location must be under \/occi\//,
    );
    assert.match(
      kindOf(() => reg.addUserMixin({ term: 'x', scheme: 'http://e/t#', location: '/occi/x/', attributes: { a: { type: 'string' } } })),
      /^invalid: .*cannot define attributes/,
    );
    assert.match(
      kindOf(() => reg.addUserMixin({ term: 'sensor', scheme: 'http://schemas.ogf.org/occi/monitoring#', location: '/occi/x/' })),
      /^conflict: category .* already exists/,
    );
    assert.match(
      kindOf(() => reg.addUserMixin({ term: 'x', scheme: 'http://e/t#', location: '/occi/sensor/' })),
      /^conflict: location \/occi\/sensor\/ is already bound/,
    );
    assert.match(
      kindOf(() => reg.addUserMixin({ term: 'x', scheme: 'http://e/t#', location: '/occi/x/', applies: ['http://e/t#nokind'] })),
      /^invalid: user mixin: applies: unknown kind/,
    );
    assert.match(
      kindOf(() => reg.removeUserMixin('http://osmo/occi/monitoring/aggregator#ewma')),
      /^invalid: .*defined by the provider/,
    );
    assert.match(
      kindOf(() => reg.removeUserMixin('http://e/t#none')),
      /^not_found: /,
    );
  });
});
