// osmo's provider mixins: what a collector can measure (metric), how a sensor processes
// values (aggregator) and where it delivers them (publisher). Each depends on the
// monitoring extension's tag for its role and carries its own attributes plus channel
// attributes, after the seed's CPUPercent{out}, EWMA{gain, instream, outstream} and
// SendUDP{udpAddr, input}. Equal channel strings connect the stages (wiring.ts).
import type { AttributeDef, MixinCategory, StageRole, ValueType } from './category.js';
import { AGGREGATOR_TAG, COLLECTOR_ID, METRIC_TAG, PUBLISHER_TAG, SENSOR_ID } from './standard.js';

/** Schemes of osmo's own mixins. `osmo` is an identifier, not a host to fetch from. */
export const OSMO_METRIC = 'http://osmo/occi/monitoring/metric#';
export const OSMO_AGGREGATOR = 'http://osmo/occi/monitoring/aggregator#';
export const OSMO_PUBLISHER = 'http://osmo/occi/monitoring/publisher#';
export const OSMO_INFRA = 'http://osmo/occi/infrastructure#';

const NUMERIC: readonly ValueType[] = ['number'];
const ANY: readonly ValueType[] = ['number', 'boolean', 'state'];

const out = (name: string, type: ValueType, required = true): AttributeDef => ({
  name,
  type: 'string',
  mutable: true,
  required,
  channel: { direction: 'out', types: [type] },
  description: `output channel (${type})`,
});
const inp = (name: string, types: readonly ValueType[]): AttributeDef => ({
  name,
  type: 'string',
  mutable: true,
  required: true,
  channel: { direction: 'in', types },
  description: `input channel (${types.join(' | ')})`,
});
const num = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'number', mutable: true, ...extra });
const str = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'string', mutable: true, ...extra });

interface ProviderSpec {
  role: StageRole;
  term: string;
  title: string;
  attributes: AttributeDef[];
}

const metric = (term: string, title: string, attributes: AttributeDef[]): ProviderSpec => ({ role: 'metric', term, title, attributes });
const aggregator = (term: string, title: string, attributes: AttributeDef[]): ProviderSpec => ({
  role: 'aggregator',
  term,
  title,
  attributes,
});
const publisher = (term: string, title: string, attributes: AttributeDef[]): ProviderSpec => ({
  role: 'publisher',
  term,
  title,
  attributes,
});

const m = (t: string) => `osmo.metric.${t}`;
const a = (t: string) => `osmo.aggregator.${t}`;
const p = (t: string) => `osmo.publisher.${t}`;

// Aggregators read `instream` and write `outstream`, the names the seed gives EWMA's.
const agg = (t: string, outType: ValueType, params: AttributeDef[], accepts: readonly ValueType[] = NUMERIC): AttributeDef[] => [
  ...params,
  inp(a(`${t}.instream`), accepts),
  out(a(`${t}.outstream`), outType),
];
const window = (t: string, title: string, extra: AttributeDef[] = []): ProviderSpec =>
  aggregator(
    t,
    title,
    agg(t, 'number', [num(a(`${t}.period`), { required: true, minimum: 0, description: 'window length, seconds' }), ...extra]),
  );

const SPECS: ProviderSpec[] = [
  metric('cpu', 'CPU use of the target, percent of one core', [out(m('cpu.out'), 'number')]),
  metric('mem', 'Memory use of the target, bytes', [out(m('mem.out'), 'number')]),
  metric('net', 'Network traffic of the target, bytes/s', [
    str(m('net.direction'), { enum: ['rx', 'tx', 'both'], default: 'both' }),
    out(m('net.out'), 'number'),
  ]),
  metric('disk', 'Block I/O of the target, bytes/s', [
    str(m('disk.direction'), { enum: ['read', 'write', 'both'], default: 'both' }),
    out(m('disk.out'), 'number'),
  ]),
  metric('http-probe', 'GET a URL of the target: latency (ms) and status code', [
    str(m('http-probe.path'), { default: '/', description: 'path on the target' }),
    num(m('http-probe.port'), { integer: true, minimum: 1, description: 'port on the target (its first published port if absent)' }),
    num(m('http-probe.timeout'), { minimum: 0, default: 5, description: 'seconds' }),
    out(m('http-probe.latency'), 'number', false),
    out(m('http-probe.status'), 'number', false),
  ]),
  metric('tcp-reachable', "Whether a TCP connection to the target opens within maxdelay (the seed's IsReachable)", [
    str(m('tcp-reachable.hostname'), { description: "host to dial (the target's address if absent)" }),
    num(m('tcp-reachable.port'), { integer: true, minimum: 1, required: true }),
    num(m('tcp-reachable.maxdelay'), { minimum: 0, required: true, description: 'milliseconds' }),
    out(m('tcp-reachable.out'), 'boolean'),
  ]),
  metric('instance-state', 'Whether the target instance runs (availability)', [out(m('instance-state.out'), 'boolean')]),

  aggregator(
    'ewma',
    'Exponentially weighted moving average: v <- (x + gain*v)/(gain + 1)',
    agg('ewma', 'number', [num(a('ewma.gain'), { required: true, minimum: 0 })]),
  ),
  window('mean', 'Mean over a window'),
  window('min', 'Minimum over a window'),
  window('max', 'Maximum over a window'),
  window('percentile', 'Percentile over a window', [
    num(a('percentile.p'), { required: true, minimum: 0, description: '0..100' }),
    num(a('percentile.capacity'), { integer: true, minimum: 1, default: 4096, description: 'samples kept per window' }),
  ]),
  aggregator(
    'rate',
    'Change per second of the input',
    agg('rate', 'number', [
      {
        name: a('rate.counter'),
        type: 'boolean',
        mutable: true,
        default: false,
        description: 'a decrease is a counter reset, not a negative rate',
      },
    ]),
  ),
  aggregator(
    'threshold',
    'Alarm with hysteresis: 1 when the input reaches high, 0 when it falls to low; emits changes only',
    agg(
      'threshold',
      'state',
      [num(a('threshold.high'), { required: true }), num(a('threshold.low'), { required: true })],
      ['number', 'boolean'],
    ),
  ),

  publisher('stream', 'Server-sent events on the core and the dashboard', [inp(p('stream.input'), ANY)]),
  publisher('webhook', 'HTTP POST of JSON per value, retried with back-off', [
    str(p('webhook.url'), { required: true }),
    inp(p('webhook.input'), ANY),
  ]),
  publisher('log', "JSON lines file (the seed's Log{filename})", [str(p('log.filename'), { required: true }), inp(p('log.input'), ANY)]),
  publisher('udp', "One JSON datagram per value (the seed's SendUDP)", [
    str(p('udp.udpAddr'), { required: true, description: 'host:port' }),
    inp(p('udp.input'), ANY),
  ]),
  publisher('metrics', "Into osmo's metrics store (charts, policy engine)", [
    str(p('metrics.name'), { required: true }),
    inp(p('metrics.input'), ANY),
  ]),
  publisher('sla', "The SLA manager's metric feed", [
    str(p('sla.agreement'), { required: true }),
    str(p('sla.kpi'), { required: true }),
    inp(p('sla.input'), ANY),
  ]),
];

const SCHEME: Record<StageRole, string> = { metric: OSMO_METRIC, aggregator: OSMO_AGGREGATOR, publisher: OSMO_PUBLISHER };
const TAG: Record<StageRole, string> = { metric: METRIC_TAG, aggregator: AGGREGATOR_TAG, publisher: PUBLISHER_TAG };
const APPLIES: Record<StageRole, string> = { metric: COLLECTOR_ID, aggregator: SENSOR_ID, publisher: SENSOR_ID };

/** A provider mixin together with the role it plays in a pipe. */
export interface ProviderMixin extends MixinCategory {
  role: StageRole;
}

/** osmo's provider mixins, under the server's OCCI root. */
export function providerMixins(root: string): ProviderMixin[] {
  const provided = SPECS.map((s): ProviderMixin => ({
    class: 'mixin',
    role: s.role,
    scheme: SCHEME[s.role],
    term: s.term,
    title: s.title,
    attributes: s.attributes,
    actions: [],
    depends: [TAG[s.role]],
    applies: [APPLIES[s.role]],
    location: `${root}/mixin/${s.role}/${s.term}/`,
  }));
  return provided;
}

/** osmo's attributes on compute resources (a node or an instance), so collectors can pick targets. */
export function osmoComputeMixin(root: string): MixinCategory {
  const ro = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({ name, type: 'string', mutable: false, ...extra });
  return {
    class: 'mixin',
    scheme: OSMO_INFRA,
    term: 'osmo',
    title: 'osmo node or instance',
    actions: [],
    depends: [],
    applies: ['http://schemas.ogf.org/occi/infrastructure#compute'],
    location: `${root}/mixin/infrastructure/osmo/`,
    attributes: [
      ro('osmo.compute.role', { enum: ['node', 'instance'], required: true }),
      ro('osmo.compute.layer'),
      ro('osmo.compute.domain'),
      ro('osmo.compute.mel'),
      ro('osmo.compute.node'),
    ],
  };
}
