// Edge sensors (`osmo.sensor.placement=edge`) with a real core, a real agent and a real httpd
// container: the sensor's pipe runs as an `osmo sensor-edge` process the agent starts next to
// its target, not in the core. The test receives the pipe's UDP datagrams, checks the EWMA
// arithmetic on the raw samples its log publisher wrote in the agent's data dir, kills the
// core and sees the datagrams keep coming, and stops the container to see tcp-reachable say
// "unreachable".
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { AgentApi } from '../../../src/client/index.js';
import { api, cleanupNodes, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';
import { eventually } from '../../../testing/proc.js';
import { COLLECTOR, M, occiClient, SENSOR, START, UdpInbox, type Value } from '../../../testing/occi.js';

const NODE = 'edge-mon-n1';
const MEL = 'edge-mon-web';

/** the parent pid of a process, from /proc */
const ppidOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);

describe('edge sensors: the pipe runs next to its target, on a real agent', { timeout: 300_000 }, () => {
  let core: CoreProc;
  let agent: AgentProc;
  let agentApi: AgentApi;
  let instance: { id: string; name: string };
  const udp = new UdpInbox();

  const { occi, active } = occiClient(() => core);
  const edgeLog = (file: string): Value[] => {
    const path = join(agent.dataDir, 'sensors', file);
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Value);
  };

  before(async () => {
    cleanupNodes([NODE]);
    await udp.open();
    core = await spawnCore();
    agent = await spawnAgent(core, NODE, 'edge', 'edge-d1');
    agentApi = new AgentApi({ base: agent.url, token: core.token });
    const r = await api(core, 'POST', '/api/v1/mels', { name: MEL, image: 'osmo-test/httpd:1', replicas: 1, ports: { '80/tcp': null } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    instance = await eventually(
      async () => (await instances(core, MEL)).find((i) => i.state === 'running'),
      60_000,
      'the httpd instance running',
    );
  });

  after(async () => {
    udp.socket.close();
    await api(core, 'DELETE', `/api/v1/mels/${MEL}`).catch(() => undefined);
    await eventually(async () => (await instances(core, MEL).catch(() => [])).length === 0, 60_000, 'the MEL gone').catch(() => undefined);
    await agent?.proc.stop();
    await core?.proc.stop();
    cleanupNodes([NODE]);
  });

  test('an edge sensor that needs the core (a stream publisher) is refused with a 400 naming the placement', async () => {
    const r = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'edge-bad',
      mixins: [`${M}publisher#stream`],
      attributes: {
        'occi.sensor.period': 1,
        'osmo.sensor.placement': 'edge',
        'osmo.publisher.stream.input': 'x',
        'osmo.sensor.dangling': true,
      },
    });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /osmo\.sensor\.placement/);
    assert.match(r.text, /stream/);
    assert.equal((await occi('GET', '/occi/sensor/edge-bad')).status, 404);
  });

  test('http-probe → ewma → udp at the edge: a child process of the agent, the EWMA formula on the raw samples, and it runs on without the core', async () => {
    const gain = 2;
    const c = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'edge-latency',
      mixins: [`${M}aggregator#ewma`, `${M}publisher#udp`, `${M}publisher#log`],
      attributes: {
        'occi.sensor.period': 1,
        'osmo.sensor.placement': 'edge',
        'osmo.aggregator.ewma.gain': gain,
        'osmo.aggregator.ewma.instream': 'lat',
        'osmo.aggregator.ewma.outstream': 'smooth',
        'osmo.publisher.udp.udpAddr': `127.0.0.1:${udp.port}`,
        'osmo.publisher.udp.input': 'smooth',
        'osmo.publisher.log.filename': 'edge-latency.jsonl',
        'osmo.publisher.log.input': 'lat',
      },
      links: [
        {
          kind: COLLECTOR,
          id: 'edge-latency-probe',
          mixins: [`${M}metric#http-probe`],
          attributes: { 'occi.collector.period': 1, 'osmo.metric.http-probe.latency': 'lat', 'osmo.metric.http-probe.port': 80 },
          target: { location: `/occi/compute/instance.${instance.id}` },
        },
      ],
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await occi('POST', '/occi/sensor/edge-latency?action=start', START)).status, 200);
    const a = await active('edge-latency');
    assert.match(a['osmo.sensor.state.message']!, new RegExp(`the pipe runs on node ${NODE} \\(pid \\d+`));

    // the agent runs it: an `osmo sensor-edge` child of the agent process
    const [s] = await agentApi.sensors();
    assert.equal(s?.id, 'edge-latency');
    assert.equal(s?.state, 'running');
    const pid = s.pid!;
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '), /sensor-edge/);
    assert.equal(ppidOf(pid), agent.proc.child.pid);

    await eventually(() => udp.of('edge-latency').length >= 5, 60_000, 'five ewma datagrams from the edge');
    // the log publisher ran on the agent too: its file is in the agent's data dir, not the core's
    assert.equal(existsSync(join(core.dataDir, 'sensors', 'edge-latency.jsonl')), false);
    const raw = edgeLog('edge-latency.jsonl');
    let v = NaN;
    const expected = new Map<number, number>();
    for (const [i, r] of raw.entries()) {
      v = i === 0 ? (r.value as number) : ((r.value as number) + gain * v) / (gain + 1);
      expected.set(r.ts, v);
    }
    for (const d of udp.of('edge-latency')) {
      const want = expected.get(d.ts);
      assert.ok(want !== undefined, `datagram at ${d.ts} has no raw sample in the edge log`);
      assert.ok(Math.abs((d.value as number) - want) <= 1e-9 * Math.max(1, want), `ewma ${d.value} != ${want}`);
    }

    // the values reach the core's live stream too (what `osmo sensor tail` shows), through the agent's events
    const streamed = await sseValues(`${core.url}/api/v1/sensors/edge-latency/stream?publisher=udp`, 3);
    for (const x of streamed) assert.equal(x.channel, 'smooth');
    await eventually(
      () => streamed.every((x) => udp.of('edge-latency').some((d) => d.value === x.value)),
      30_000,
      'every streamed value is one the edge sent by UDP',
    );

    // no core: the pipe at the edge goes on
    await core.proc.stop('SIGKILL');
    const before = udp.of('edge-latency').length;
    await eventually(() => udp.of('edge-latency').length >= before + 3, 30_000, 'datagrams while the core is down');
    assert.ok(alive(pid), 'the same edge process');
    // the core back: the sensor is active again, the process was not restarted
    core = await spawnCore(core.dataDir, core.port);
    await active('edge-latency');
    assert.equal((await agentApi.sensors())[0]?.pid, pid);
  });

  test('tcp-reachable of the container → threshold → udp: stopping the container turns the alarm off', async () => {
    const c = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'edge-reach',
      mixins: [`${M}aggregator#threshold`, `${M}publisher#udp`],
      attributes: {
        'occi.sensor.period': 1,
        'osmo.sensor.placement': 'edge',
        'osmo.aggregator.threshold.high': 1,
        'osmo.aggregator.threshold.low': 0,
        'osmo.aggregator.threshold.instream': 'up',
        'osmo.aggregator.threshold.outstream': 'alarm',
        'osmo.publisher.udp.udpAddr': `127.0.0.1:${udp.port}`,
        'osmo.publisher.udp.input': 'alarm',
      },
      links: [
        {
          kind: COLLECTOR,
          id: 'edge-reach-dial',
          mixins: [`${M}metric#tcp-reachable`],
          attributes: {
            'occi.collector.period': 0.5,
            'osmo.metric.tcp-reachable.port': 80,
            'osmo.metric.tcp-reachable.maxdelay': 500,
            'osmo.metric.tcp-reachable.out': 'up',
          },
          target: { location: `/occi/compute/instance.${instance.id}` },
        },
      ],
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await occi('POST', '/occi/sensor/edge-reach?action=start', START)).status, 200);
    await active('edge-reach');
    const alarms = () => udp.of('edge-reach').map((d) => d.value);
    await eventually(() => alarms()[0] === 1, 30_000, 'reachable: alarm state 1');
    // stop the container behind osmo's back (the engine, not the API): the dial fails
    const docker = new Docker();
    const [ct] = await docker.listContainers({ filters: { name: [instance.name] } });
    assert.ok(ct, `container ${instance.name}`);
    await docker.getContainer(ct.Id).stop({ t: 0 });
    await eventually(() => alarms().includes(0), 30_000, 'unreachable: alarm state 0');
    assert.deepEqual(alarms().slice(0, 2), [1, 0]);
  });

  test('deleting edge sensors ends their processes and takes their probes off the agent', async () => {
    const pids = (await agentApi.sensors()).map((s) => s.pid).filter((p): p is number => p !== null);
    assert.ok(pids.length >= 1, 'edge processes before');
    for (const id of ['edge-latency', 'edge-reach']) assert.equal((await occi('DELETE', `/occi/sensor/${id}`)).status, 200);
    await eventually(async () => (await agentApi.sensors()).length === 0, 30_000, 'no edge sensors on the agent');
    await eventually(async () => (await agentApi.probes()).length === 0, 30_000, 'no probes on the agent');
    await eventually(() => pids.every((p) => !alive(p)), 10_000, 'the edge processes ended');
  });
});

/** The first `n` `value` events of a server-sent event stream. */
async function sseValues(url: string, n: number): Promise<Array<{ channel: string; publisher: string; value: number | boolean }>> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 60_000);
  const out: Array<{ channel: string; publisher: string; value: number | boolean }> = [];
  try {
    const r = await fetch(url, { signal: ac.signal });
    assert.equal(r.status, 200);
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const data = /^data: (.*)$/m.exec(block);
        if (/^event: value$/m.test(block) && data) out.push(JSON.parse(data[1]!) as (typeof out)[number]);
        if (out.length >= n) return out;
      }
    }
    throw new Error(`the stream ended after ${out.length} values`);
  } finally {
    clearTimeout(t);
    ac.abort();
  }
}
