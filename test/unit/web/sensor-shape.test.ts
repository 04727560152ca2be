// The dashboard's reading of a sensor: the pipeline in data-flow order with channels from
// the query interface, state and actions; the create-form templates pass the server's own
// parser and wiring check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelDirections, sensorFromTemplate, sensorShape } from '../../../web/src/views/sensorShape.js';
import type { OcciCategory, OcciResource } from '../../../web/src/api/occiTypes.js';

const mixins: OcciCategory[] = [
  {
    term: 'ewma',
    scheme: 'http://osmo/occi/monitoring/aggregator#',
    attributes: {
      'osmo.aggregator.ewma.gain': { type: 'number' },
      'osmo.aggregator.ewma.instream': { description: 'input channel (number)' },
      'osmo.aggregator.ewma.outstream': { description: 'output channel (number)' },
    },
  },
  {
    term: 'threshold',
    scheme: 'http://osmo/occi/monitoring/aggregator#',
    attributes: {
      'osmo.aggregator.threshold.high': {},
      'osmo.aggregator.threshold.instream': { description: 'input channel (number | boolean)' },
      'osmo.aggregator.threshold.outstream': { description: 'output channel (state)' },
    },
  },
  {
    term: 'udp',
    scheme: 'http://osmo/occi/monitoring/publisher#',
    attributes: { 'osmo.publisher.udp.input': { description: 'input channel (any)' } },
  },
  {
    term: 'cpu',
    scheme: 'http://osmo/occi/monitoring/metric#',
    attributes: { 'osmo.metric.cpu.out': { description: 'output channel (number)' } },
  },
];

const sensor: OcciResource = {
  kind: 'http://schemas.ogf.org/occi/monitoring#sensor',
  id: 's1',
  // listed out of flow order on purpose: threshold reads what ewma writes
  mixins: [
    'http://osmo/occi/monitoring/publisher#udp',
    'http://osmo/occi/monitoring/aggregator#threshold',
    'http://osmo/occi/monitoring/aggregator#ewma',
  ],
  attributes: {
    'occi.sensor.period': 2,
    'osmo.sensor.state': 'active',
    'osmo.sensor.state.message': 'measuring',
    'osmo.aggregator.ewma.gain': 4,
    'osmo.aggregator.ewma.instream': 'raw',
    'osmo.aggregator.ewma.outstream': 'smooth',
    'osmo.aggregator.threshold.high': 0.8,
    'osmo.aggregator.threshold.instream': 'smooth',
    'osmo.aggregator.threshold.outstream': 'alarm',
    'osmo.publisher.udp.input': 'alarm',
  },
  actions: ['http://schemas.ogf.org/occi/monitoring/sensor/action#stop'],
  links: [
    {
      kind: 'http://schemas.ogf.org/occi/monitoring#collector',
      id: 's1-1',
      mixins: ['http://osmo/occi/monitoring/metric#cpu'],
      attributes: { 'occi.collector.period': 1, 'osmo.metric.cpu.out': 'raw' },
      target: { location: '/occi/compute/node.local' },
    },
  ],
};

test('a sensor reads as collector → aggregators in flow order → publisher, channels on each stage', () => {
  const shape = sensorShape(sensor, channelDirections(mixins));
  assert.equal(shape.state, 'active');
  assert.equal(shape.message, 'measuring');
  assert.equal(shape.period, 2);
  assert.equal(shape.started, true, 'it offers stop, so it runs');
  assert.deepEqual(
    shape.stages.map((s) => [s.role, s.term, s.inputs, s.outputs]),
    [
      ['metric', 'cpu', [], ['raw']],
      ['aggregator', 'ewma', ['raw'], ['smooth']],
      ['aggregator', 'threshold', ['smooth'], ['alarm']],
      ['publisher', 'udp', ['alarm'], []],
    ],
  );
  assert.equal(shape.stages[0]!.target, '/occi/compute/node.local');
  assert.deepEqual(shape.stages[1]!.settings, { gain: 4 });
  assert.deepEqual(shape.stages[2]!.settings, { high: 0.8 });
});

test('a sensor without state or actions is inactive and not started', () => {
  const shape = sensorShape({ kind: sensor.kind, id: 'bare' }, new Map());
  assert.equal(shape.state, 'inactive');
  assert.equal(shape.started, false);
  assert.deepEqual(shape.stages, []);
});

test('the form templates wire raw → ewma → stream on the chosen target', () => {
  for (const t of ['cpu-ewma', 'http-latency'] as const) {
    const s = sensorFromTemplate(t, { id: 'x', target: '/occi/compute/instance.1', period: 1, gain: 4, port: 8080 });
    const shape = sensorShape({ ...s, actions: [] }, channelDirections([...mixins, ...templateMixins]));
    assert.deepEqual(
      shape.stages.map((st) => [st.role, st.inputs, st.outputs]),
      [
        ['metric', [], ['raw']],
        ['aggregator', ['raw'], ['smooth']],
        ['publisher', ['smooth'], []],
      ],
      t,
    );
  }
});

const templateMixins: OcciCategory[] = [
  {
    term: 'stream',
    scheme: 'http://osmo/occi/monitoring/publisher#',
    attributes: { 'osmo.publisher.stream.input': { description: 'input channel (any)' } },
  },
  {
    term: 'http-probe',
    scheme: 'http://osmo/occi/monitoring/metric#',
    attributes: { 'osmo.metric.http-probe.latency': { description: 'output channel (number)' }, 'osmo.metric.http-probe.port': {} },
  },
];
