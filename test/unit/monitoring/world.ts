// A small world for the monitoring tests: a registry, two compute resources to target and
// builders for the seed's sensors. Plain data; nothing is faked (the pure core does no I/O).
import {
  OSMO_AGGREGATOR,
  OSMO_METRIC,
  OSMO_PUBLISHER,
  COLLECTOR_ID,
  COMPUTE_ID,
  Registry,
  SENSOR_ID,
  type ParseContext,
} from '../../../src/monitoring/index.js';

export const M = (t: string) => OSMO_METRIC + t;
export const A = (t: string) => OSMO_AGGREGATOR + t;
export const P = (t: string) => OSMO_PUBLISHER + t;

export function world(): { reg: Registry; ctx: ParseContext; entities: Map<string, string> } {
  const reg = new Registry('/occi');
  const entities = new Map<string, string>([
    ['/occi/compute/node-1', COMPUTE_ID],
    ['/occi/compute/web-1', COMPUTE_ID],
  ]);
  let n = 0;
  const ctx: ParseContext = {
    resolve: (location) => {
      const kind = entities.get(location);
      return kind ? { kind } : undefined;
    },
    newId: () => `gen-${++n}`,
  };
  return { reg, ctx, entities };
}

/** The seed's first scenario: CPU load of a service, EWMA, then a log file (and UDP). */
export function cpuEwmaLogSensor(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: SENSOR_ID,
    id: 's1',
    title: 'web CPU',
    mixins: [A('ewma'), P('log'), P('udp')],
    attributes: {
      'occi.sensor.period': 5,
      'osmo.aggregator.ewma.gain': 4,
      'osmo.aggregator.ewma.instream': 'cpu',
      'osmo.aggregator.ewma.outstream': 'smooth',
      'osmo.publisher.log.filename': '/tmp/web-cpu.jsonl',
      'osmo.publisher.log.input': 'smooth',
      'osmo.publisher.udp.udpAddr': '127.0.0.1:9999',
      'osmo.publisher.udp.input': 'smooth',
    },
    links: [
      {
        kind: COLLECTOR_ID,
        id: 'c1',
        mixins: [M('cpu')],
        attributes: { 'occi.collector.period': 1, 'osmo.metric.cpu.out': 'cpu' },
        target: { location: '/occi/compute/web-1', kind: COMPUTE_ID },
      },
    ],
    ...extra,
  };
}
