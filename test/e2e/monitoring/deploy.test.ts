// Automated deployment of OCCI sensors with a real core and agent (child processes) and a
// real httpd container: started sensors make the agent measure (an http probe of the
// instance, the instance's cpu, the node's memory, a TCP dial), the core runs the pipe and
// its publishers write a JSON lines file and send UDP datagrams that this test receives.
// The arithmetic is checked against the raw samples the log publisher wrote; deleting the
// sensors gives the agent back exactly the monitors it had; a restarted core resumes them.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgentApi } from '../../../src/client/index.js';
import { api, cleanupNodes, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';
import { eventually, freePort, ROOT, spawnOsmo, tempDir } from '../../../testing/proc.js';
import { COLLECTOR, M, occiClient, SENSOR, START, UdpInbox, type Value } from '../../../testing/occi.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OCCI renderings the server validated, read freely
type Occi = any;

const NODE = 'occi2-mon-n1';
const MEL = 'occi2-mon-web';

describe('OCCI sensors deployed on a real agent', { timeout: 300_000 }, () => {
  let core: CoreProc;
  let agent: AgentProc;
  let agentApi: AgentApi;
  let instance: { id: string; name: string };
  let monitorsBefore: unknown;
  const udp = new UdpInbox();
  let tcpServer: Server | undefined;
  let tcpPort = 0;

  const { occi, stateOf, active } = occiClient(() => core);
  const logLines = (file: string): Value[] => {
    const path = join(core.dataDir, 'sensors', file);
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Value);
  };
  const comparable = (ms: Array<{ metric: string; source: string; period: number; holders: string[] }>) =>
    ms
      .map(({ metric, source, period, holders }) => ({ metric, source, period, holders }))
      .sort((a, b) => (a.metric + a.source).localeCompare(b.metric + b.source));
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((c) => c.end());
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
    });

  before(async () => {
    cleanupNodes([NODE]);
    await udp.open();
    core = await spawnCore();
    agent = await spawnAgent(core, NODE, 'edge', 'occi2-d1');
    agentApi = new AgentApi({ base: agent.url, token: core.token });
    const r = await api(core, 'POST', '/api/v1/mels', { name: MEL, image: 'osmo-test/httpd:1', replicas: 1, ports: { '80/tcp': null } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    instance = await eventually(
      async () => (await instances(core, MEL)).find((i) => i.state === 'running'),
      60_000,
      'the httpd instance running',
    );
    // the policy engine's own monitors (guest cpu/mem) are the baseline the sensors must leave as they were
    monitorsBefore = comparable(
      await eventually(
        async () => {
          const ms = await agentApi.monitors();
          return ms.some((m) => m.metric === 'cpu' && m.source === 'guest') ? ms : undefined;
        },
        30_000,
        "the policy engine's guest monitors",
      ),
    );
    tcpPort = await freePort();
    tcpServer = await listen(tcpPort);
  });

  after(async () => {
    tcpServer?.close();
    udp.socket.close();
    await agent?.proc.stop();
    await core?.proc.stop();
    cleanupNodes([NODE]);
  });

  test('http-probe of the httpd instance → ewma → udp: the datagrams follow the formula on the raw samples the log publisher wrote', async () => {
    const gain = 3;
    const c = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'occi2-web-latency',
      mixins: [`${M}aggregator#ewma`, `${M}publisher#udp`, `${M}publisher#log`],
      attributes: {
        'occi.sensor.period': 1,
        'osmo.aggregator.ewma.gain': gain,
        'osmo.aggregator.ewma.instream': 'lat',
        'osmo.aggregator.ewma.outstream': 'smooth',
        'osmo.publisher.udp.udpAddr': `127.0.0.1:${udp.port}`,
        'osmo.publisher.udp.input': 'smooth',
        'osmo.publisher.log.filename': 'occi2-web-latency.jsonl',
        'osmo.publisher.log.input': 'lat',
        'osmo.sensor.dangling': true,
      },
      links: [
        {
          kind: COLLECTOR,
          id: 'occi2-web-probe',
          mixins: [`${M}metric#http-probe`],
          attributes: { 'occi.collector.period': 1, 'osmo.metric.http-probe.latency': 'lat', 'osmo.metric.http-probe.port': 80 },
          target: { location: `/occi/compute/instance.${instance.id}` },
        },
        {
          kind: COLLECTOR,
          id: 'occi2-web-cpu',
          mixins: [`${M}metric#cpu`],
          attributes: { 'occi.collector.period': 1, 'osmo.metric.cpu.out': 'cpu' },
          target: { location: `/occi/compute/instance.${instance.id}` },
        },
        {
          kind: COLLECTOR,
          id: 'occi2-node-mem',
          mixins: [`${M}metric#mem`],
          attributes: { 'occi.collector.period': 2, 'osmo.metric.mem.out': 'mem' },
          target: { location: `/occi/compute/node.${NODE}` },
        },
      ],
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await stateOf('occi2-web-latency'))['osmo.sensor.state'], 'inactive');
    const s = await occi('POST', '/occi/sensor/occi2-web-latency?action=start', START);
    assert.equal(s.status, 200, s.text);
    const a = await active('occi2-web-latency');
    assert.match(a['osmo.sensor.state.message']!, /http probe of occi2-mon-web/);

    // the agent measures: its probe, its guest cpu (shared with the policy engine) and host mem held by "occi"
    const probes = await agentApi.probes();
    assert.deepEqual(
      probes.map((p) => [p.id, p.kind, p.target]),
      [['occi.occi2-web-probe', 'http', instance.name]],
    );
    const ms = await agentApi.monitors();
    assert.ok(ms.find((m) => m.metric === 'mem' && m.source === 'host')?.holders.includes('occi'), JSON.stringify(ms));
    assert.ok(ms.find((m) => m.metric === 'cpu' && m.source === 'guest')?.holders.includes('occi'), JSON.stringify(ms));

    await eventually(() => udp.of('occi2-web-latency').length >= 6, 60_000, 'six ewma datagrams');
    const raw = logLines('occi2-web-latency.jsonl');
    const out = udp.of('occi2-web-latency');
    assert.ok(raw.length >= out.length, `${raw.length} raw samples for ${out.length} datagrams`);
    assert.ok(
      raw.every((r) => r.channel === 'lat' && typeof r.value === 'number' && r.value > 0),
      JSON.stringify(raw.slice(0, 3)),
    );
    // v ← (x + gain·v)/(gain + 1), the first sample sets v; each datagram carries its raw sample's time
    let v = NaN;
    const expected = new Map<number, number>();
    for (const [i, r] of raw.entries()) {
      v = i === 0 ? (r.value as number) : ((r.value as number) + gain * v) / (gain + 1);
      expected.set(r.ts, v);
    }
    for (const d of out) {
      assert.equal(d.channel, 'smooth');
      const want = expected.get(d.ts);
      assert.ok(want !== undefined, `datagram at ${d.ts} has no raw sample in the log`);
      assert.ok(Math.abs((d.value as number) - want) <= 1e-9 * Math.max(1, want), `ewma ${d.value} != ${want}`);
    }
  });

  test('http-probe → sla publisher: the latency feeds a real agreement, which the SLA manager judges', async () => {
    const AG = 'occi2-sla-ag';
    assert.equal((await api(core, 'POST', '/sla-service/providers', { uuid: 'occi2-prov', name: 'occi2-prov' })).status, 201);
    const term = (name: string, constraint: string) => ({
      name,
      serviceLevelObjective: { kpitarget: { kpiName: 'ResponseTime', customServiceLevel: JSON.stringify({ constraint }) } },
    });
    const made = await api(core, 'POST', '/sla-service/agreements', {
      agreementId: AG,
      name: 'latency of the web MEL',
      context: {
        AgreementInitiator: 'occi2-client',
        AgreementResponder: 'occi2-prov',
        ServiceProvider: 'AgreementResponder',
        Service: MEL,
      },
      // both terms read the sensor's values (ms): one any answer meets, one no answer can
      terms: { allTerms: { guaranteeTerms: [term('GTAnswers', 'ResponseTime LT 60000'), term('GTImpossible', 'ResponseTime LT 0')] } },
    });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const put = (path: string) => fetch(`${core.url}/sla-service${path}`, { method: 'PUT' }).then((r) => r.status);
    assert.equal(await put(`/enforcements/${AG}/start`), 200);
    const c = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'occi2-web-sla',
      mixins: [`${M}publisher#sla`],
      attributes: {
        'occi.sensor.period': 1,
        'osmo.publisher.sla.agreement': AG,
        'osmo.publisher.sla.kpi': 'ResponseTime',
        'osmo.publisher.sla.input': 'lat',
      },
      links: [
        {
          kind: COLLECTOR,
          id: 'occi2-web-sla-probe',
          mixins: [`${M}metric#http-probe`],
          attributes: { 'occi.collector.period': 1, 'osmo.metric.http-probe.latency': 'lat', 'osmo.metric.http-probe.port': 80 },
          target: { location: `/occi/compute/instance.${instance.id}` },
        },
      ],
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await occi('POST', '/occi/sensor/occi2-web-sla?action=start', START)).status, 200);
    const st = await active('occi2-web-sla');
    assert.doesNotMatch(st['osmo.sensor.state.message'] ?? '', /not wired/);
    type Detail = { status: string; terms: { name: string; status: string; lastValue: number | null }[] };
    const detail = await eventually(
      async () => {
        const d = (await api(core, 'GET', `/sla-service/agreements/${AG}/status`)).json as unknown as Detail;
        return d.terms.every((t) => t.lastValue !== null) ? d : undefined;
      },
      60_000,
      'the sensor values reach the agreement',
    );
    const by = Object.fromEntries(detail.terms.map((t) => [t.name, t]));
    assert.equal(by.GTAnswers!.status, 'FULFILLED');
    assert.equal(by.GTImpossible!.status, 'VIOLATED');
    assert.ok(by.GTAnswers!.lastValue! > 0, `a latency in ms: ${by.GTAnswers!.lastValue}`);
    assert.equal(detail.status, 'VIOLATED');
    const vs = (await fetch(`${core.url}/sla-service/violations?agreementId=${AG}`, { headers: { accept: 'application/json' } }).then((r) =>
      r.json(),
    )) as { metric_name: string }[];
    assert.ok(vs.length >= 1 && vs.every((v) => v.metric_name === 'ResponseTime'), JSON.stringify(vs));
    assert.equal((await occi('DELETE', '/occi/sensor/occi2-web-sla')).status, 200);
    assert.equal(await put(`/enforcements/${AG}/stop`), 200);
  });

  test('instance-state → stream: the SSE stream of the sensor says the instance runs', async () => {
    const c = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'occi2-up',
      mixins: [`${M}publisher#stream`],
      attributes: { 'occi.sensor.period': 1, 'osmo.publisher.stream.input': 'running' },
      links: [
        {
          kind: COLLECTOR,
          id: 'occi2-up-state',
          mixins: [`${M}metric#instance-state`],
          attributes: { 'occi.collector.period': 1, 'osmo.metric.instance-state.out': 'running' },
          target: { location: `/occi/compute/instance.${instance.id}` },
        },
      ],
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await occi('POST', '/occi/sensor/occi2-up?action=start', START)).status, 200);
    const ac = new AbortController();
    const res = await fetch(`${core.url}/api/v1/sensors/occi2-up/stream?publisher=stream`, { signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    let text = '';
    const reader = res.body!.getReader();
    try {
      await eventually(
        async () => {
          const { value } = await reader.read();
          text += new TextDecoder().decode(value);
          return /event: value\ndata: \{"sensor":"occi2-up","channel":"running","publisher":"stream","value":true,/.test(text);
        },
        30_000,
        'a value on the stream',
      );
    } finally {
      ac.abort();
    }
    assert.equal((await fetch(`${core.url}/api/v1/sensors/nope/stream`)).status, 404);
    assert.equal((await occi('DELETE', '/occi/sensor/occi2-up')).status, 200);
  });

  test('tcp-reachable → threshold with hysteresis: one change per crossing, on the raw samples the log wrote', async () => {
    const c = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'occi2-reach',
      mixins: [`${M}aggregator#threshold`, `${M}publisher#udp`, `${M}publisher#log`],
      attributes: {
        'occi.sensor.period': 1,
        'osmo.aggregator.threshold.high': 1,
        'osmo.aggregator.threshold.low': 0,
        'osmo.aggregator.threshold.instream': 'up',
        'osmo.aggregator.threshold.outstream': 'alarm',
        'osmo.publisher.udp.udpAddr': `127.0.0.1:${udp.port}`,
        'osmo.publisher.udp.input': 'alarm',
        'osmo.publisher.log.filename': 'occi2-reach.jsonl',
        'osmo.publisher.log.input': 'up',
      },
      links: [
        {
          kind: COLLECTOR,
          id: 'occi2-reach-dial',
          mixins: [`${M}metric#tcp-reachable`],
          attributes: {
            'occi.collector.period': 0.5,
            'osmo.metric.tcp-reachable.hostname': '127.0.0.1',
            'osmo.metric.tcp-reachable.port': tcpPort,
            'osmo.metric.tcp-reachable.maxdelay': 500,
            'osmo.metric.tcp-reachable.out': 'up',
          },
          target: { location: `/occi/compute/node.${NODE}` },
        },
      ],
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await occi('POST', '/occi/sensor/occi2-reach?action=start', START)).status, 200);
    await active('occi2-reach');
    const changes = () => udp.of('occi2-reach').map((d) => d.value);
    await eventually(() => changes().length === 1, 30_000, 'reachable: alarm state 1');
    // down: close the listener; up again: listen on the same port
    tcpServer!.close();
    tcpServer = undefined;
    await eventually(() => changes().length === 2, 30_000, 'unreachable: alarm state 0');
    tcpServer = await listen(tcpPort);
    await eventually(() => changes().length === 3, 30_000, 'reachable again: alarm state 1');
    // a few more samples with nothing crossing: no more changes
    const n = logLines('occi2-reach.jsonl').length;
    await eventually(() => logLines('occi2-reach.jsonl').length >= n + 4, 30_000, 'four more raw samples');
    assert.deepEqual(changes(), [1, 0, 1]);
    // the same hysteresis applied to the raw booleans gives exactly the datagrams (values and times)
    const raw = logLines('occi2-reach.jsonl');
    let st = 0;
    const want: Array<[number, number]> = [];
    for (const r of raw) {
      const x = r.value === true ? 1 : 0;
      if (st === 0 ? x >= 1 : x <= 0) {
        st = 1 - st;
        want.push([st, r.ts]);
      }
    }
    assert.deepEqual(
      udp.of('occi2-reach').map((d) => [d.value, d.ts]),
      want,
    );
  });

  test('timebase/timestop: the sensor runs in its window, then stops measuring by itself', async () => {
    const c = await occi('POST', '/occi/sensor/', {
      kind: SENSOR,
      id: 'occi2-sched',
      mixins: [`${M}publisher#log`],
      attributes: {
        'occi.sensor.period': 1,
        'occi.sensor.timebase': Math.floor(Date.now() / 1000),
        'occi.sensor.timestart': 0,
        'occi.sensor.timestop': 8,
        'osmo.publisher.log.filename': 'occi2-sched.jsonl',
        'osmo.publisher.log.input': 'up',
      },
      links: [
        {
          kind: COLLECTOR,
          id: 'occi2-sched-dial',
          mixins: [`${M}metric#tcp-reachable`],
          attributes: {
            'occi.collector.period': 1,
            'osmo.metric.tcp-reachable.hostname': '127.0.0.1',
            'osmo.metric.tcp-reachable.port': tcpPort,
            'osmo.metric.tcp-reachable.maxdelay': 500,
            'osmo.metric.tcp-reachable.out': 'up',
          },
          target: { location: `/occi/compute/node.${NODE}` },
        },
      ],
    });
    assert.equal(c.status, 201, c.text);
    assert.equal((await occi('POST', '/occi/sensor/occi2-sched?action=start', START)).status, 200);
    await active('occi2-sched');
    assert.ok((await agentApi.probes()).some((p) => p.id === 'occi.occi2-sched-dial'));
    const done = await eventually(
      async () => {
        const a = await stateOf('occi2-sched');
        return a['osmo.sensor.state'] === 'inactive' ? a : undefined;
      },
      30_000,
      'the sensor past its timestop',
    );
    assert.match(done['osmo.sensor.state.message']!, /finished: stopped at/);
    await eventually(async () => !(await agentApi.probes()).some((p) => p.id === 'occi.occi2-sched-dial'), 30_000, 'its probe removed');
    assert.ok(logLines('occi2-sched.jsonl').length > 0, 'it measured while in its window');
    assert.equal((await occi('DELETE', '/occi/sensor/occi2-sched')).status, 200);
  });

  test('a restarted core resumes its started sensors', async () => {
    await core.proc.stop();
    const seen = udp.of('occi2-web-latency').length;
    core = await spawnCore(core.dataDir, core.port);
    await active('occi2-web-latency');
    await eventually(() => udp.of('occi2-web-latency').length >= seen + 3, 60_000, 'datagrams after the restart');
  });

  test('a restarted agent gets its probe and monitors back', async () => {
    await agent.proc.stop();
    agent = await spawnAgent(core, NODE, 'edge', 'occi2-d1', [], agent);
    agentApi = new AgentApi({ base: agent.url, token: core.token });
    await eventually(async () => (await agentApi.probes()).some((p) => p.id === 'occi.occi2-web-probe'), 60_000, 'the probe re-installed');
    await eventually(
      async () => (await agentApi.monitors()).some((m) => m.metric === 'mem' && m.source === 'host' && m.holders.includes('occi')),
      60_000,
      'the host mem monitor re-installed',
    );
    const seen = udp.of('occi2-web-latency').length;
    await eventually(() => udp.of('occi2-web-latency').length >= seen + 2, 60_000, 'datagrams after the agent restart');
    // the core may have replaced the instance meanwhile (then the sensor follows its MEL)
    instance = await eventually(async () => (await instances(core, MEL)).find((i) => i.state === 'running'), 60_000, 'a running instance');
  });

  test('osmo sensor create -f (the seed CPU/EWMA/log example), ls, tail and rm over the CLI', async () => {
    const yaml = readFileSync(join(ROOT, 'examples/monitoring/cpu-ewma-log.yaml'), 'utf8').replace('mel/web', `mel/${MEL}`);
    const file = join(tempDir('occi2-cli-'), 'sensor.yaml');
    writeFileSync(file, yaml);
    const run = async (...args: string[]) => {
      const p = spawnOsmo([...args, '--core', core.url]);
      const code = await p.exit(60_000);
      assert.equal(code, 0, p.output());
      return p.output();
    };
    const dry = JSON.parse(await run('sensor', 'create', '-f', file, '--dry-run'));
    assert.equal(dry.links[0].target.location, `/occi/compute/instance.${instance.id}`);
    assert.equal((await occi('GET', '/occi/sensor/web-cpu')).status, 404, 'a dry run sends nothing');
    assert.match(await run('sensor', 'create', '-f', file), /sensor web-cpu created and started/);
    await active('web-cpu');
    const ls = JSON.parse(await run('sensor', 'ls', '--json')) as Array<Occi>;
    assert.ok(
      ls.some((x) => x.id === 'web-cpu' && x.attributes['osmo.sensor.state'] === 'active'),
      JSON.stringify(ls),
    );
    const tail = spawnOsmo(['sensor', 'tail', 'web-cpu', '--publisher', 'stream', '--core', core.url]);
    try {
      await eventually(() => /smooth {2}stream {2}\d/.test(tail.output()), 30_000, 'a value from osmo sensor tail');
    } finally {
      await tail.stop();
    }
    await eventually(() => logLines('web-cpu.jsonl').length > 0, 30_000, 'the log publisher wrote');
    assert.match(await run('sensor', 'rm', 'web-cpu'), /deleted web-cpu/);
    assert.equal((await occi('GET', '/occi/sensor/web-cpu')).status, 404);
  });

  test('deleting the sensors lets go of every monitor they held, keeps the ones the agent had, and leaves no probes', async () => {
    for (const id of ['occi2-web-latency', 'occi2-reach']) assert.equal((await occi('DELETE', `/occi/sensor/${id}`)).status, 200);
    assert.equal((await occi('GET', '/occi/collector/')).json.links.length, 0);
    await eventually(async () => (await agentApi.probes()).length === 0, 30_000, 'no probes on the agent');
    // nothing held by the sensors is left, and every monitor the agent had before is still
    // there as it was (the policy engine may have added its own meanwhile: they are not ours)
    const before = monitorsBefore as ReturnType<typeof comparable>;
    await eventually(
      async () => {
        const now = comparable(await agentApi.monitors());
        const key = (m: (typeof now)[number]) => JSON.stringify(m);
        return now.every((m) => !m.holders.includes('occi')) && before.every((m) => now.some((n) => key(n) === key(m)));
      },
      30_000,
      `no monitor held by occi, and still ${JSON.stringify(before)}`,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}; now ${JSON.stringify(comparable(await agentApi.monitors()))}`);
    });
  });
});
