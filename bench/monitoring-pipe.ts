// Pipe throughput (issue 10): samples/s through metric → ewma → threshold → publisher with
// 1,000 sensors, target ≥ 100,000 samples/s on one core. Baseline in the same run: a naive
// pipe of the same stages that allocates a message per hop and looks consumers up by
// channel name in a Map (the way an event-emitter pipeline is usually first written).
// Run: node --import tsx bench/monitoring-pipe.ts   (SENSORS=1000 SAMPLES_PER_SENSOR=2000)
import { loadavg } from 'node:os';
import {
  COLLECTOR_ID,
  COMPUTE_ID,
  OSMO_AGGREGATOR,
  OSMO_METRIC,
  OSMO_PUBLISHER,
  parseEntity,
  Pipe,
  Registry,
  SENSOR_ID,
  type ResourceEntity,
} from '../src/monitoring/index.js';

const SENSORS = Number(process.env.SENSORS ?? 1000);
const PER = Number(process.env.SAMPLES_PER_SENSOR ?? 2000);
const GAIN = 4,
  HIGH = 80,
  LOW = 60;

const reg = new Registry('/occi');
let n = 0;
const ctx = { resolve: (l: string) => (l.startsWith('/occi/compute/') ? { kind: COMPUTE_ID } : undefined), newId: () => `id${++n}` };
const sensors = Array.from(
  { length: SENSORS },
  (_, i) =>
    parseEntity(
      reg,
      {
        kind: SENSOR_ID,
        id: `s${i}`,
        mixins: [OSMO_AGGREGATOR + 'ewma', OSMO_AGGREGATOR + 'threshold', OSMO_PUBLISHER + 'udp'],
        attributes: {
          'occi.sensor.period': 1,
          'osmo.aggregator.ewma.gain': GAIN,
          'osmo.aggregator.ewma.instream': 'cpu',
          'osmo.aggregator.ewma.outstream': 'smooth',
          'osmo.aggregator.threshold.high': HIGH,
          'osmo.aggregator.threshold.low': LOW,
          'osmo.aggregator.threshold.instream': 'smooth',
          'osmo.aggregator.threshold.outstream': 'alarm',
          'osmo.publisher.udp.udpAddr': '127.0.0.1:9',
          'osmo.publisher.udp.input': 'alarm',
        },
        links: [
          {
            kind: COLLECTOR_ID,
            id: `c${i}`,
            mixins: [OSMO_METRIC + 'cpu'],
            attributes: { 'occi.collector.period': 1, 'osmo.metric.cpu.out': 'cpu' },
            target: { location: `/occi/compute/n${i}` },
          },
        ],
      },
      ctx,
    ) as ResourceEntity,
);

// Samples precomputed (a square wave with noise per sensor) so neither run pays for generating them.
const xs = new Float64Array(SENSORS * PER);
for (let k = 0; k < xs.length; k++) {
  const s = k % SENSORS,
    step = Math.floor(k / SENSORS);
  xs[k] = (Math.floor((step + s) / 50) % 2) * 70 + 15 + ((k * 2654435761) % 1000) / 100;
}

function osmoPipe(): { ms: number; cpuMs: number; out: number } {
  let out = 0;
  const pipes = sensors.map(
    (s) =>
      new Pipe(reg, s, s.links, () => () => {
        out++;
      }),
  );
  const handles = Int32Array.from(pipes.map((p) => p.inputs[0]!.handle));
  const c0 = process.cpuUsage(),
    t0 = performance.now();
  for (let k = 0; k < xs.length; k++) {
    const s = k % SENSORS;
    pipes[s]!.push(handles[s]!, xs[k]!, k);
  }
  const ms = performance.now() - t0,
    c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, out };
}

interface Msg {
  sensor: number;
  channel: string;
  value: number;
  time: number;
}
function naivePipe(): { ms: number; cpuMs: number; out: number } {
  let out = 0;
  const routes = new Map<string, ((m: Msg) => void)[]>();
  const on = (key: string, f: (m: Msg) => void) => (routes.get(key) ?? routes.set(key, []).get(key)!).push(f);
  const emit = (m: Msg) => {
    for (const f of routes.get(`${m.sensor}/${m.channel}`) ?? []) f(m);
  };
  for (let s = 0; s < SENSORS; s++) {
    const st = { v: NaN, primed: false, alarm: 0 };
    on(`${s}/cpu`, (m) => {
      st.v = st.primed ? (m.value + GAIN * st.v) / (GAIN + 1) : m.value;
      st.primed = true;
      emit({ ...m, channel: 'smooth', value: st.v });
    });
    on(`${s}/smooth`, (m) => {
      if (st.alarm === 0 ? m.value >= HIGH : m.value <= LOW) {
        st.alarm = 1 - st.alarm;
        emit({ ...m, channel: 'alarm', value: st.alarm });
      }
    });
    on(`${s}/alarm`, () => {
      out++;
    });
  }
  const c0 = process.cpuUsage(),
    t0 = performance.now();
  for (let k = 0; k < xs.length; k++) emit({ sensor: k % SENSORS, channel: 'cpu', value: xs[k]!, time: k });
  const ms = performance.now() - t0,
    c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, out };
}

console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on this machine while measuring`,
);
console.log(`${SENSORS} sensors, ${PER} samples each (${xs.length.toLocaleString('en')} samples), metric → ewma → threshold → publisher`);
const rate = (r: { ms: number; cpuMs: number }) =>
  `${Math.round(xs.length / (r.ms / 1000)).toLocaleString('en')} samples/s wall, ${Math.round(xs.length / (r.cpuMs / 1000)).toLocaleString('en')} samples/s cpu`;
naivePipe();
osmoPipe(); // warm-up: let the JIT settle before the measured rounds
const rounds = [0, 1, 2].map(() => ({ osmo: osmoPipe(), naive: naivePipe() }));
const med = <T>(a: T[], key: (x: T) => number) => [...a].sort((p, q) => key(p) - key(q))[1]!;
const o = med(
    rounds.map((r) => r.osmo),
    (r) => r.ms,
  ),
  b = med(
    rounds.map((r) => r.naive),
    (r) => r.ms,
  );
if (o.out !== b.out) throw new Error(`the two pipes disagree: ${o.out} vs ${b.out} alarms published`);
console.log(`  osmo pipe   ${rate(o)} (median of 3), ${o.out.toLocaleString('en')} state changes published`);
console.log(`  naive pipe  ${rate(b)} (baseline, same run)`);
console.log(`  ratio osmo / naive = ${(b.ms / o.ms).toFixed(2)} (wall)`);
const ok = xs.length / (o.cpuMs / 1000) >= 100_000;
console.log(`  target ≥ 100,000 samples/s: ${ok ? 'met' : 'MISSED'} (cpu)`);
process.exitCode = ok ? 0 : 1;
