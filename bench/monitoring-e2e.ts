// End-to-end latency of a deployed OCCI sensor (issue 10): a sample taken on the agent →
// the value out of the core's UDP publisher. Real `osmo core` and `osmo agent` processes;
// the sensor measures the node's host cpu every PERIOD s → ewma → udp to this process.
// Latency = arrival of the datagram − the sample's timestamp (stamped by the agent when it
// published the sample; one machine, one clock). Baseline in the same run: the same samples
// arriving on the core's event stream (GET /api/v1/events?type=sample), i.e. the agent →
// core delivery alone; the difference is the pipe, the publisher and the socket.
// Usage: node --import tsx bench/monitoring-e2e.ts   (env SAMPLES=60 PERIOD=1)
import { createSocket } from 'node:dgram';
import { loadavg } from 'node:os';
import { spawnAgent, spawnCore } from '../testing/cluster.js';
import { CoreClient } from '../src/client/index.js';
import { eventually } from '../testing/proc.js';

const SAMPLES = Number(process.env.SAMPLES ?? 60);
const PERIOD = Number(process.env.PERIOD ?? 1);
const NODE = 'bench-occi-e2e';
const M = 'http://osmo/occi/monitoring/';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

const load0 = loadavg()[0]!;
const core = await spawnCore();
const agent = await spawnAgent(core, NODE, 'edge', 'bench');
const udp = createSocket('udp4');
const viaUdp: number[] = [];
const viaStream: number[] = [];
udp.on('message', (m) => {
  const v = JSON.parse(m.toString()) as { ts: number };
  viaUdp.push(Date.now() - v.ts);
});
await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
const ac = new AbortController();
try {
  const client = new CoreClient({ base: core.url, token: core.token });
  await eventually(async () => (await client.nodes()).some((n) => n.id === NODE && n.status === 'ready'), 30_000, 'node ready');
  void client.follow(
    { type: 'sample', node: NODE },
    (e) => {
      const d = e.data as { metric?: string; source?: string };
      if (d.metric === 'cpu' && d.source === 'host') viaStream.push(Date.now() - e.ts);
    },
    ac.signal,
  );
  const body = {
    kind: 'http://schemas.ogf.org/occi/monitoring#sensor',
    id: 'bench-e2e',
    mixins: [`${M}aggregator#ewma`, `${M}publisher#udp`],
    attributes: {
      'occi.sensor.period': PERIOD,
      'osmo.aggregator.ewma.gain': 4,
      'osmo.aggregator.ewma.instream': 'cpu',
      'osmo.aggregator.ewma.outstream': 'smooth',
      'osmo.publisher.udp.udpAddr': `127.0.0.1:${udp.address().port}`,
      'osmo.publisher.udp.input': 'smooth',
    },
    links: [
      {
        kind: 'http://schemas.ogf.org/occi/monitoring#collector',
        id: 'bench-e2e-cpu',
        mixins: [`${M}metric#cpu`],
        attributes: { 'occi.collector.period': PERIOD, 'osmo.metric.cpu.out': 'cpu' },
        target: { location: `/occi/compute/node.${NODE}` },
      },
    ],
  };
  const post = async (path: string, b: unknown) => {
    const r = await client.http.send('POST', path, b);
    if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  };
  await post('/occi/sensor/', body);
  await post('/occi/sensor/bench-e2e?action=start', { action: 'http://schemas.ogf.org/occi/monitoring/sensor/action#start' });
  // the first few include the deployment itself: not counted
  await eventually(() => viaUdp.length >= 3, 60_000, 'first datagrams');
  viaUdp.length = 0;
  viaStream.length = 0;
  await eventually(() => viaUdp.length >= SAMPLES, (SAMPLES * PERIOD + 60) * 1000, `${SAMPLES} datagrams`);
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(0)} | ${pct(xs, 99).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`;
  console.log(`load average at start ${load0.toFixed(1)}; period ${PERIOD} s`);
  console.log('| path | samples | p50 ms | p99 ms | max ms |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(row('agent sample → core UDP publisher → datagram', viaUdp));
  console.log(row('baseline: agent sample → core event stream', viaStream));
} finally {
  ac.abort();
  udp.close();
  await agent.proc.stop();
  await core.proc.stop();
}
