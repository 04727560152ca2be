import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { COLLECTOR_ID, parseEntity, Pipe, SENSOR_ID, type ResourceEntity } from '../../../src/monitoring/index.js';
import { A, cpuEwmaLogSensor, M, P, world } from './world.js';

describe('pipe built from a validated sensor', () => {
  const { reg, ctx } = world();

  test("the seed's CPU → EWMA → log/udp sensor delivers the EWMA of the samples to both publishers", () => {
    const s = parseEntity(reg, cpuEwmaLogSensor(), ctx) as ResourceEntity;
    const got: Record<string, number[]> = {};
    const pipe = new Pipe(reg, s, s.links, (p) => (v) => (got[p.stage.mixin.term] ??= []).push(v));
    assert.deepEqual(
      pipe.inputs.map((i) => [i.collector.id, i.metric, i.channel]),
      [['c1', 'cpu', 'cpu']],
    );
    assert.deepEqual(
      pipe.publishers.map((p) => [p.stage.mixin.term, p.channel, p.type]),
      [
        ['log', 'smooth', 'number'],
        ['udp', 'smooth', 'number'],
      ],
    );
    const h = pipe.inputs[0]!.handle;
    const xs = [50, 100, 0, 25];
    let v = NaN;
    const expected = xs.map((x, i) => (v = i === 0 ? x : (x + 4 * v) / 5));
    xs.forEach((x, i) => pipe.push(h, x, i * 1000));
    assert.deepEqual(got.log, expected);
    assert.deepEqual(got.udp, expected);
  });

  test('metric → ewma → threshold → publisher emits only state changes; raw values can fan out too', () => {
    const s = parseEntity(
      reg,
      {
        kind: SENSOR_ID,
        id: 'alarm',
        mixins: [A('ewma'), A('threshold'), P('webhook'), P('stream')],
        attributes: {
          'occi.sensor.period': 1,
          'osmo.aggregator.ewma.gain': 1,
          'osmo.aggregator.ewma.instream': 'lat',
          'osmo.aggregator.ewma.outstream': 'smooth',
          'osmo.aggregator.threshold.high': 100,
          'osmo.aggregator.threshold.low': 50,
          'osmo.aggregator.threshold.instream': 'smooth',
          'osmo.aggregator.threshold.outstream': 'alarm',
          'osmo.publisher.webhook.url': 'http://127.0.0.1:1/hook',
          'osmo.publisher.webhook.input': 'alarm',
          'osmo.publisher.stream.input': 'lat',
        },
        links: [
          {
            kind: COLLECTOR_ID,
            id: 'probe',
            mixins: [M('http-probe')],
            attributes: { 'occi.collector.period': 1, 'osmo.metric.http-probe.latency': 'lat' },
            target: { location: '/occi/compute/web-1' },
          },
        ],
      },
      ctx,
    ) as ResourceEntity;
    const alarms: [number, number][] = [];
    const raw: number[] = [];
    const pipe = new Pipe(reg, s, s.links, (p) => (p.stage.mixin.term === 'webhook' ? (v, t) => alarms.push([v, t]) : (v) => raw.push(v)));
    assert.equal(pipe.publishers.find((p) => p.stage.mixin.term === 'webhook')!.type, 'state');
    // ewma with gain 1 halves the distance each sample: 0, 100, 150, 175, 87.5, 43.75, 21.875
    const xs = [0, 200, 200, 200, 0, 0, 0];
    xs.forEach((x, i) => pipe.push(pipe.inputs[0]!.handle, x, i));
    assert.deepEqual(alarms, [
      [1, 1],
      [0, 5],
    ]);
    assert.deepEqual(raw, xs);
  });

  test('tick closes windows on time, feeding what follows', () => {
    const s = parseEntity(
      reg,
      {
        kind: SENSOR_ID,
        id: 'w',
        mixins: [A('max'), P('metrics')],
        attributes: {
          'occi.sensor.period': 10,
          'osmo.aggregator.max.period': 10,
          'osmo.aggregator.max.instream': 'm',
          'osmo.aggregator.max.outstream': 'peak',
          'osmo.publisher.metrics.name': 'peak_mem',
          'osmo.publisher.metrics.input': 'peak',
        },
        links: [
          {
            kind: COLLECTOR_ID,
            id: 'c',
            mixins: [M('mem')],
            attributes: { 'occi.collector.period': 1, 'osmo.metric.mem.out': 'm' },
            target: { location: '/occi/compute/node-1' },
          },
        ],
      },
      ctx,
    ) as ResourceEntity;
    const out: [number, number][] = [];
    const pipe = new Pipe(reg, s, s.links, () => (v, t) => out.push([v, t]));
    for (const [x, t] of [
      [3, 0],
      [9, 4000],
      [4, 8000],
    ] as const)
      pipe.push(pipe.inputs[0]!.handle, x, t);
    pipe.tick(9_000);
    assert.deepEqual(out, []);
    pipe.tick(10_000);
    assert.deepEqual(out, [[9, 10_000]]);
  });

  test('a wrongly wired sensor builds no pipe', () => {
    const s = parseEntity(reg, { ...cpuEwmaLogSensor(), id: 'bad' }, ctx) as ResourceEntity;
    s.attributes['osmo.publisher.udp.input'] = 'nowhere';
    assert.throws(() => new Pipe(reg, s, s.links, () => () => {}), /channel "nowhere" read by sensor bad: udp has no producer/);
  });
});
