import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { checkWiring, COLLECTOR_ID, parseEntity, SENSOR_ID, type ResourceEntity } from '../../../src/monitoring/index.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { A, M, P, world } from './world.js';

const { reg, ctx } = world();

/** A sensor from its mixins/attributes and collectors given as [metric mixins, attributes]. */
function sensor(mixins: string[], attributes: Record<string, unknown>, collectors: [string[], Record<string, unknown>][]): ResourceEntity {
  return parseEntity(
    reg,
    {
      kind: SENSOR_ID,
      id: 's',
      mixins,
      attributes: { 'occi.sensor.period': 1, ...attributes },
      links: collectors.map(([mx, at], i) => ({
        kind: COLLECTOR_ID,
        id: `c${i}`,
        mixins: mx,
        attributes: { 'occi.collector.period': 1, ...at },
        target: { location: '/occi/compute/web-1' },
      })),
    },
    ctx,
  ) as ResourceEntity;
}
const wire = (s: ResourceEntity) => checkWiring(reg, s, s.links);

const refuses = (f: () => unknown, re: RegExp, channel?: string) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof OsmoError && e.kind === 'invalid', String(e));
    assert.match(e.message, re);
    if (channel !== undefined) assert.equal(e.details?.channel, channel);
    return true;
  });

const cpu = (out: string): [string[], Record<string, unknown>] => [[M('cpu')], { 'osmo.metric.cpu.out': out }];
const ewma = (i: string, o: string) => ({
  'osmo.aggregator.ewma.gain': 2,
  'osmo.aggregator.ewma.instream': i,
  'osmo.aggregator.ewma.outstream': o,
});
const thr = (i: string, o: string) => ({
  'osmo.aggregator.threshold.high': 80,
  'osmo.aggregator.threshold.low': 60,
  'osmo.aggregator.threshold.instream': i,
  'osmo.aggregator.threshold.outstream': o,
});
const udp = (i: string) => ({ 'osmo.publisher.udp.udpAddr': '127.0.0.1:9', 'osmo.publisher.udp.input': i });
const log = (i: string) => ({ 'osmo.publisher.log.filename': '/tmp/x.jsonl', 'osmo.publisher.log.input': i });

describe('wiring checker', () => {
  test('metric → ewma → threshold → publisher resolves, aggregators in channel order', () => {
    const s = sensor(
      [A('threshold'), A('ewma'), P('udp'), P('log')],
      { ...ewma('raw', 'smooth'), ...thr('smooth', 'alarm'), ...udp('alarm'), ...log('smooth') },
      [cpu('raw')],
    );
    const w = wire(s);
    assert.deepEqual(
      w.order.map((i) => w.stages[i]!.mixin.term),
      ['ewma', 'threshold'],
    );
    assert.deepEqual([...w.consumers.get('smooth')!].map((i) => w.stages[i]!.mixin.term).sort(), ['log', 'threshold']);
  });

  test('an input nobody produces is named', () => {
    refuses(
      () => wire(sensor([A('ewma'), P('udp')], { ...ewma('raw', 'smooth'), ...udp('smooth') }, [cpu('rwa')])),
      /channel "raw" read by sensor s: ewma has no producer/,
      'raw',
    );
  });

  test('two producers of one channel are named', () => {
    refuses(
      () => wire(sensor([P('udp')], udp('cpu'), [cpu('cpu'), cpu('cpu')])),
      /channel "cpu" has two producers: collector c0: cpu and collector c1: cpu/,
      'cpu',
    );
  });

  test('an incompatible type is named: a threshold state cannot feed an ewma', () => {
    refuses(
      () =>
        wire(
          sensor([A('threshold'), A('ewma'), P('udp')], { ...thr('raw', 'alarm'), ...ewma('alarm', 'smooth'), ...udp('smooth') }, [
            cpu('raw'),
          ]),
        ),
      /channel "alarm": sensor s: threshold produces state but sensor s: ewma \(osmo\.aggregator\.ewma\.instream\) accepts number/,
      'alarm',
    );
    refuses(
      () =>
        wire(
          sensor([A('rate'), P('udp')], { 'osmo.aggregator.rate.instream': 'up', 'osmo.aggregator.rate.outstream': 'r', ...udp('r') }, [
            [[M('instance-state')], { 'osmo.metric.instance-state.out': 'up' }],
          ]),
        ),
      /channel "up": collector c0: instance-state produces boolean but sensor s: rate/,
      'up',
    );
  });

  test('a cycle is named', () => {
    refuses(
      () =>
        wire(
          sensor(
            [A('ewma'), A('rate'), P('udp')],
            { ...ewma('a', 'b'), 'osmo.aggregator.rate.instream': 'b', 'osmo.aggregator.rate.outstream': 'a', ...udp('b') },
            [],
          ),
        ),
      /channels "b", "a" form a cycle through sensor s: ewma, sensor s: rate/,
      'b',
    );
  });

  test('a dangling output is refused unless the sensor allows it', () => {
    const mk = (dangling: boolean) =>
      sensor([A('ewma'), P('udp')], { ...ewma('raw', 'smooth'), ...udp('raw'), 'osmo.sensor.dangling': dangling }, [cpu('raw')]);
    refuses(() => wire(mk(false)), /channel "smooth" produced by sensor s: ewma is read by nobody/, 'smooth');
    assert.ok(wire(mk(true)).producer.has('smooth'));
  });

  test('parameters and channel names are checked, naming the attribute', () => {
    assert.throws(
      () =>
        wire(
          sensor([A('threshold'), P('udp')], { ...thr('raw', 'alarm'), 'osmo.aggregator.threshold.low': 90, ...udp('alarm') }, [
            cpu('raw'),
          ]),
        ),
      /threshold\.low \(90\) must not exceed osmo\.aggregator\.threshold\.high \(80\)/,
    );
    assert.throws(() => wire(sensor([P('udp')], udp('has space'), [cpu('has space')])), /osmo\.metric\.cpu\.out: channel name "has space"/);
    assert.throws(
      () => wire(sensor([P('udp')], udp('x'), [[[M('http-probe')], {}]])),
      /collector c0: http-probe: set at least one output channel/,
    );
  });

  test('a sensor stored before its collectors may skip the producer check', () => {
    const s = sensor([A('ewma'), P('udp')], { ...ewma('raw', 'smooth'), ...udp('smooth') }, []);
    refuses(() => checkWiring(reg, s, []), /channel "raw" .* has no producer/, 'raw');
    assert.equal(checkWiring(reg, s, [], { requireProducers: false }).order.length, 1);
  });
});
