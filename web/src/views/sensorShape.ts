// A sensor rendering (OCCI JSON) read as the pipeline the dashboard draws: collectors
// (metric on a target) → aggregators → publishers, each stage with the channels it reads
// and writes. Which attributes are channels comes from the query interface (osmo describes
// them as "input channel …" / "output channel …"), so new providers draw without code here.
import type { OcciCategory, OcciResource } from '../api/occiTypes.js';

export type ChannelDirections = Map<string, 'in' | 'out'>;

/** attribute name → in/out, from the query interface's mixins */
export function channelDirections(mixins: readonly OcciCategory[]): ChannelDirections {
  const out: ChannelDirections = new Map();
  for (const m of mixins)
    for (const [name, a] of Object.entries(m.attributes ?? {})) {
      const d = a.description ?? '';
      if (d.startsWith('input channel')) out.set(name, 'in');
      else if (d.startsWith('output channel')) out.set(name, 'out');
    }
  return out;
}

export interface Stage {
  role: 'metric' | 'aggregator' | 'publisher' | 'other';
  /** the provider mixin's term: cpu, ewma, udp … */
  term: string;
  /** where a collector measures (a compute location), for metric stages */
  target?: string;
  collector?: string;
  inputs: string[];
  outputs: string[];
  /** the stage's other attributes, short names (gain: 4, udpAddr: host:port …) */
  settings: Record<string, unknown>;
}

export interface SensorShape {
  id: string;
  state: string;
  message: string | undefined;
  period: number | undefined;
  started: boolean;
  stages: Stage[];
}

const ROLE = /^http:\/\/osmo\/occi\/monitoring\/(metric|aggregator|publisher)#(.+)$/;

function stageOf(mixin: string, attrs: Record<string, unknown>, dirs: ChannelDirections): Stage | undefined {
  const m = ROLE.exec(mixin);
  if (!m) return undefined;
  const role = m[1] as Stage['role'];
  const term = m[2]!;
  const prefix = `osmo.${role}.${term}.`;
  const stage: Stage = { role, term, inputs: [], outputs: [], settings: {} };
  for (const [name, value] of Object.entries(attrs)) {
    if (!name.startsWith(prefix)) continue;
    const dir = dirs.get(name);
    if (dir === 'in') stage.inputs.push(String(value));
    else if (dir === 'out') stage.outputs.push(String(value));
    else stage.settings[name.slice(prefix.length)] = value;
  }
  return stage;
}

/** Aggregators in data-flow order: each after those writing what it reads (cycles keep their order). */
function flowOrder(aggs: Stage[]): Stage[] {
  const left = [...aggs];
  const out: Stage[] = [];
  while (left.length) {
    const i = left.findIndex((a) => !left.some((b) => b !== a && b.outputs.some((c) => a.inputs.includes(c))));
    out.push(...left.splice(i < 0 ? 0 : i, 1));
  }
  return out;
}

export function sensorShape(s: OcciResource, dirs: ChannelDirections): SensorShape {
  const attrs = s.attributes ?? {};
  const stages: Stage[] = [];
  for (const l of s.links ?? []) {
    for (const mx of l.mixins ?? []) {
      const st = stageOf(mx, l.attributes ?? {}, dirs);
      if (st) stages.push({ ...st, target: l.target.location, collector: l.id });
    }
  }
  const own = (s.mixins ?? []).map((mx) => stageOf(mx, attrs, dirs)).filter((x): x is Stage => x !== undefined);
  stages.push(...own.filter((x) => x.role === 'metric'), ...flowOrder(own.filter((x) => x.role === 'aggregator')));
  stages.push(...own.filter((x) => x.role !== 'metric' && x.role !== 'aggregator'));
  const period = attrs['occi.sensor.period'];
  return {
    id: s.id,
    state: String(attrs['osmo.sensor.state'] ?? 'inactive'),
    message: attrs['osmo.sensor.state.message'] === undefined ? undefined : String(attrs['osmo.sensor.state.message']),
    period: typeof period === 'number' ? period : undefined,
    // a started sensor offers stop, a stopped one start (GFD.223: the actions available now)
    started: (s.actions ?? []).some((a) => a.endsWith('#stop')),
    stages,
  };
}

/** Sensor templates for the create form: the seed's scenarios with a target filled in. */
export function sensorFromTemplate(
  template: 'cpu-ewma' | 'http-latency',
  o: { id: string; target: string; period: number; gain: number; port?: number },
): OcciResource {
  const agg = 'http://osmo/occi/monitoring/aggregator#ewma';
  const pub = 'http://osmo/occi/monitoring/publisher#stream';
  const attributes = {
    'occi.sensor.period': o.period,
    'osmo.aggregator.ewma.gain': o.gain,
    'osmo.aggregator.ewma.instream': 'raw',
    'osmo.aggregator.ewma.outstream': 'smooth',
    'osmo.publisher.stream.input': 'smooth',
  };
  const collector =
    template === 'cpu-ewma'
      ? {
          mixins: ['http://osmo/occi/monitoring/metric#cpu'],
          attributes: { 'occi.collector.period': o.period, 'osmo.metric.cpu.out': 'raw' },
        }
      : {
          mixins: ['http://osmo/occi/monitoring/metric#http-probe'],
          attributes: {
            'occi.collector.period': o.period,
            'osmo.metric.http-probe.port': o.port ?? 80,
            'osmo.metric.http-probe.latency': 'raw',
          },
        };
  return {
    kind: 'http://schemas.ogf.org/occi/monitoring#sensor',
    id: o.id,
    mixins: [agg, pub],
    attributes,
    links: [{ kind: 'http://schemas.ogf.org/occi/monitoring#collector', id: `${o.id}-1`, ...collector, target: { location: o.target } }],
  };
}
