// The NATS JetStream bus end to end: real nats-server processes (one, or a three-node
// cluster), a real `osmo core --bus` and real `osmo agent --bus` processes, real containers.
//  - a bus-only agent (no REST port at all) is deployed to, scaled and undeployed through the
//    core, and refuses commands without its command token;
//  - every event an agent produced reaches the core's log exactly once (counted by seq
//    against the agent's own --events-file) across a core killed and restarted, and across
//    the NATS server leading the stream killed and brought back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { agentArgs } from '../../../testing/agent-args.js';
import { api, cleanupNodes, containersOf, instances, spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { natsHealthy, startNats, type NatsCluster } from '../../../testing/nats.js';
import { eventually, freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from '../../../testing/proc.js';

const RUN = Math.random().toString(36).slice(2, 7);
const id = (s: string) => `nb-${RUN}-${s}`;

interface BusAgent {
  id: string;
  proc: OsmoProcess;
  dataDir: string;
  eventsFile: string;
  /** the REST API on loopback (undefined: --no-listen) */
  url?: string;
}

async function spawnBusAgent(core: CoreProc, bus: string, node: string, listen: boolean): Promise<BusAgent> {
  const dataDir = tempDir(`osmo-${node}-`);
  const eventsFile = join(dataDir, 'events.jsonl');
  const port = listen ? await freePort() : 0;
  const proc = spawnOsmo(
    agentArgs({ id: node, dataDir, bus, token: core.token, ...(listen ? { port } : {}), extra: ['--events-file', eventsFile] }),
  );
  const url = listen ? `http://127.0.0.1:${port}` : undefined;
  if (url) await waitForHttp(`${url}/healthz`, 30_000);
  return { id: node, proc, dataDir, eventsFile, ...(url ? { url } : {}) };
}

interface NodeView {
  id: string;
  status: string;
  address: string;
}
async function nodeReady(core: CoreProc, node: string): Promise<NodeView> {
  return eventually(
    async () => {
      const n = ((await api(core, 'GET', '/api/v1/nodes')).json.nodes as NodeView[]).find((x) => x.id === node);
      return n?.status === 'ready' ? n : undefined;
    },
    30_000,
    `${node} ready`,
  );
}

/** seqs of the events the agent produced that the core keeps in its log (not samples, not probes) */
function producedSeqs(a: BusAgent): number[] {
  return readFileSync(a.eventsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { seq: number; type: string })
    .filter((e) => e.type !== 'sample' && e.type !== 'probe')
    .map((e) => e.seq);
}

async function loggedSeqs(core: CoreProc, node: string): Promise<number[]> {
  const r = await api(core, 'GET', `/api/v1/events?follow=false&node=${node}&limit=10000`);
  return (r.json.events as Array<{ origin: string; seq: number | null }>).filter((e) => e.origin === node).map((e) => e.seq!);
}

/**
 * Every produced event in the core's log, each once. The agent's file is read again on each
 * look: the core itself makes the agent produce events too (it puts the load monitors).
 */
async function assertExactlyOnce(core: CoreProc, a: BusAgent, atLeast: number): Promise<void> {
  let last = { missing: [] as number[], extra: [] as number[] };
  const seen = await eventually(
    async () => {
      const want = producedSeqs(a);
      const got = await loggedSeqs(core, a.id);
      const have = new Set(got);
      const wanted = new Set(want);
      last = { missing: want.filter((x) => !have.has(x)), extra: got.filter((x) => !wanted.has(x)) };
      return last.missing.length === 0 && last.extra.length === 0 ? { want, got } : undefined;
    },
    60_000,
    `the events of ${a.id} in the core's log`,
  ).catch((e: unknown) => {
    throw new Error(
      `${(e as Error).message}; missing seqs: ${last.missing.slice(0, 20).join(',')}; not produced: ${last.extra.slice(0, 20).join(',')}`,
    );
  });
  assert.ok(seen.want.length >= atLeast, `the agent produced ${seen.want.length} events, expected at least ${atLeast}`);
  assert.equal(seen.got.length, new Set(seen.got).size, 'no event is logged twice');
}

/** Produces `n` logged events on the agent (monitor re-timings through its local REST API). */
async function produce(a: BusAgent, token: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${a.url}/api/v1/monitor/cpu`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ time: 30 + (i % 2), source: 'host' }),
    });
    assert.equal(r.status, 200, await r.text());
  }
}

/** Takes `n` messages on the core's durable consumer and never acknowledges them. */
async function holdMessages(nats: NatsCluster, n: number): Promise<number> {
  const nc = await connect({ servers: nats.url.split(',').map((u) => u.replace('nats://', '')) });
  try {
    const c = await jetstream(nc).consumers.get('OSMO_EVENTS', 'osmo-core');
    let got = 0;
    for await (const _m of await c.fetch({ max_messages: n, expires: 5000 })) got++;
    return got;
  } finally {
    await nc.close();
  }
}

/** Memory samples every second (guest-free: host), stored in the samples table rather than the log. */
async function startSamples(a: BusAgent, token: string): Promise<void> {
  const r = await fetch(`${a.url}/api/v1/monitor/mem`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ time: 1, source: 'host' }),
  });
  assert.equal(r.status, 200, await r.text());
}

/** The samples table holds one row per produced memory sample (per field): none lost, none twice. */
async function assertSamplesOnce(core: CoreProc, a: BusAgent): Promise<void> {
  const read = () =>
    readFileSync(a.eventsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; metric?: string; ts: number; fields?: Record<string, unknown> })
      .filter((e) => e.type === 'sample' && e.metric === 'mem');
  // a fast run may end before the once-a-second monitor sampled three times
  const samples = await eventually(() => (read().length >= 3 ? read() : undefined), 30_000, 'three memory samples by the agent');
  const field = Object.keys(samples[0]!.fields!)[0]!;
  const want = samples.filter((e) => field in e.fields!).length;
  const from = Math.min(...samples.map((e) => e.ts));
  const to = Math.max(...samples.map((e) => e.ts)) + 1;
  const counted = async () => {
    const r = await api(
      core,
      'GET',
      `/api/v1/metrics?node=${a.id}&metric=mem&target=host&field=${encodeURIComponent(field)}&from=${from}&to=${to}&step=3600000`,
    );
    const series = r.json.series as Array<{ points: Array<{ n: number }> }>;
    return series.flatMap((s) => s.points).reduce((t, p) => t + p.n, 0);
  };
  await eventually(async () => (await counted()) >= want, 60_000, `${want} memory samples of ${a.id} stored`);
  assert.equal(await counted(), want, 'each sample stored once');
}

describe('NATS bus: a bus-only agent managed through the core', { timeout: 240_000 }, () => {
  let nats: NatsCluster;
  let core: CoreProc;
  let agent: BusAgent;
  const A = id('only');

  before(async () => {
    cleanupNodes([A]);
    nats = await startNats(1);
    core = await spawnCore(tempDir('osmo-nb-core-'), undefined, ['--bus', nats.url]);
    agent = await spawnBusAgent(core, nats.url, A, false);
  });
  after(async () => {
    await agent?.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes([A]);
    await nats?.stop();
  });

  test('registers over the bus with no REST port; deploy, scale, logs and undeploy go over request/reply', async () => {
    const n = await nodeReady(core, A);
    assert.equal(n.address, `nats://${A}`);
    await eventually(() => /on the bus only \(no REST port/.test(agent.proc.output()), 10_000, 'the agent says it has no REST port');

    const mel = id('web');
    const r = await api(core, 'POST', '/api/v1/mels', { name: mel, image: 'osmo-test/httpd:1', replicas: 2 });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await eventually(
      async () =>
        (await instances(core, mel)).filter((i) => i.state === 'running').length === 2 &&
        containersOf(mel).filter((c) => c.running && c.node === A).length === 2,
      60_000,
      '2 running on the bus-only node',
    );
    await api(core, 'POST', `/api/v1/mels/${mel}/scale`, { replicas: 3 });
    const three = await eventually(
      async () => {
        const l = (await instances(core, mel)).filter((i) => i.state === 'running');
        return l.length === 3 && containersOf(mel).filter((c) => c.running).length === 3 ? l : undefined;
      },
      60_000,
      '3 running',
    );
    const logs = await api(core, 'GET', `/api/v1/instances/${three[0]!.id}/logs`);
    assert.equal(logs.status, 200, JSON.stringify(logs.json));
    assert.equal(typeof logs.json.logs, 'string');

    assert.equal((await api(core, 'DELETE', `/api/v1/mels/${mel}`)).status < 300, true);
    await eventually(async () => containersOf(mel).length === 0 && (await instances(core, mel)).length === 0, 60_000, 'undeployed');
    // the instance events of all this reached the core through the stream, each once
    await assertExactlyOnce(core, agent, 6);
  });

  test('refuses commands without the command token, calls beyond the agent API, and a node speaking for another', async () => {
    const nc = await connect({ servers: nats.url.split(',').map((u) => u.replace('nats://', '')) });
    try {
      const ask = async (subject: string, req: unknown) => {
        const m = await nc.request(subject, JSON.stringify(req), { timeout: 10_000 });
        return JSON.parse(new TextDecoder().decode(m.data)) as { status: number; text: string };
      };
      const list = { method: 'GET', path: '/api/v1/deploy' };
      assert.equal((await ask(`osmo.cmd.${A}`, list)).status, 403);
      assert.equal((await ask(`osmo.cmd.${A}`, { ...list, authorization: 'Bearer not-the-token' })).status, 403);
      assert.equal((await ask(`osmo.cmd.${A}`, { method: 'GET', path: '/api/v1/events', authorization: 'Bearer x' })).status, 404);
      assert.equal((await ask(`osmo.cmd.${A}`, { nonsense: true })).status, 400);
      // a register on another node's subject, and one without a valid token
      const reg = {
        id: id('other'),
        address: `nats://${id('other')}`,
        layer: 'edge',
        domain: 'd',
        capacity: { cpus: 1, memoryBytes: 1e9 },
      };
      const body = { ...reg, drivers: ['docker'], version: '0' };
      assert.equal(
        (await ask(`osmo.agent.${A}`, { method: 'POST', path: '/api/v1/agent/register', authorization: `Bearer ${core.token}`, body }))
          .status,
        403,
      );
      assert.equal(
        (await ask(`osmo.agent.${id('other')}`, { method: 'POST', path: '/api/v1/agent/register', authorization: 'Bearer nope', body }))
          .status,
        401,
      );
      assert.equal(
        (await ask(`osmo.agent.${A}`, { method: 'GET', path: '/api/v1/nodes', authorization: `Bearer ${core.token}` })).status,
        404,
      );
    } finally {
      await nc.close();
    }
    const nodes = (await api(core, 'GET', '/api/v1/nodes')).json.nodes as NodeView[];
    assert.ok(!nodes.some((n) => n.id === id('other')), 'nothing registered for the other node');
  });
});

describe('NATS bus: events exactly once across a core and a NATS server killed', { timeout: 300_000 }, () => {
  let nats: NatsCluster;
  let core: CoreProc;
  let agent: BusAgent;
  const A = id('ev');

  before(async () => {
    nats = await startNats(1);
    core = await spawnCore(tempDir('osmo-nb-core-'), undefined, ['--bus', nats.url]);
    agent = await spawnBusAgent(core, nats.url, A, true);
    await nodeReady(core, A);
    await startSamples(agent, core.token);
  });
  after(async () => {
    await agent?.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes([A]);
    await nats?.stop();
  });

  test('kill -9 of the core while events flow: the restarted core resumes its durable consumer, nothing lost or doubled', async () => {
    const flowing = produce(agent, core.token, 300);
    await eventually(async () => (await loggedSeqs(core, A)).length >= 50, 30_000, 'events arriving');
    await core.proc.stop('SIGKILL');
    await flowing;
    // produced while no core reads: they wait in the stream
    await produce(agent, core.token, 100);
    // a core killed while it held messages it had taken and not acknowledged (JetStream would
    // redeliver them only after ack_wait, behind newer ones): made certain here by taking a few
    // on the core's durable consumer and dropping them
    const held = await holdMessages(nats, 3);
    assert.equal(held, 3, 'messages waiting for the core');
    core = await spawnCore(core.dataDir, core.port, ['--bus', nats.url]);
    await produce(agent, core.token, 100);
    await assertExactlyOnce(core, agent, 500);
    await assertSamplesOnce(core, agent);
    // clients of the lost server moved to another within the heartbeat's margin
    const statuses = (await api(core, 'GET', `/api/v1/events?follow=false&type=node&node=${A}`)).json.events as Array<{
      data: { status?: string };
    }>;
    assert.ok(!statuses.some((e) => e.data.status === 'down'), `the node never went down: ${JSON.stringify(statuses.map((e) => e.data))}`);
  });

  test('the NATS server killed and restarted: the agent keeps its events in the outbox and delivers them after', async () => {
    const before = producedSeqs(agent).length;
    await nats.nodes[0]!.kill();
    await produce(agent, core.token, 100);
    await nats.nodes[0]!.start();
    await produce(agent, core.token, 50);
    await assertExactlyOnce(core, agent, before + 150);
    await assertSamplesOnce(core, agent);
  });
});

describe('NATS bus: a three-server JetStream cluster loses the stream leader', { timeout: 300_000 }, () => {
  let nats: NatsCluster;
  let core: CoreProc;
  let agent: BusAgent;
  const A = id('r3');

  before(async () => {
    nats = await startNats(3);
    core = await spawnCore(tempDir('osmo-nb-core-'), undefined, ['--bus', nats.url]);
    agent = await spawnBusAgent(core, nats.url, A, true);
    await nodeReady(core, A);
    await startSamples(agent, core.token);
  });
  after(async () => {
    await agent?.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes([A]);
    await nats?.stop();
  });

  test('R3 stream; its leader killed and brought back while events flow: nothing lost or doubled', async () => {
    const nc = await connect({ servers: nats.url.split(',').map((u) => u.replace('nats://', '')) });
    let leader: string | undefined;
    try {
      const jsm = await jetstreamManager(nc);
      const info = await eventually(async () => jsm.streams.info('OSMO_EVENTS'), 30_000, 'the core made the stream');
      assert.equal(info.config.num_replicas, 3);
      leader = info.cluster?.leader;
    } finally {
      await nc.close();
    }
    const victim = nats.nodes.find((n) => n.name === leader);
    assert.ok(victim, `the stream has a leader among ${nats.nodes.map((n) => n.name).join(',')}: ${leader}`);

    await produce(agent, core.token, 100);
    const flowing = produce(agent, core.token, 200);
    await victim.kill();
    await flowing;
    await produce(agent, core.token, 100);
    await victim.start();
    await natsHealthy(victim);
    await produce(agent, core.token, 100);
    await assertExactlyOnce(core, agent, 500);
    await assertSamplesOnce(core, agent);
    // clients of the lost server moved to another within the heartbeat's margin
    const statuses = (await api(core, 'GET', `/api/v1/events?follow=false&type=node&node=${A}`)).json.events as Array<{
      data: { status?: string };
    }>;
    assert.ok(!statuses.some((e) => e.data.status === 'down'), `the node never went down: ${JSON.stringify(statuses.map((e) => e.data))}`);
  });
});

describe('NATS bus: credentials and bad flags', { timeout: 120_000 }, () => {
  let nats: NatsCluster;
  before(async () => {
    nats = await startNats(1, { args: ['--user', 'osmo', '--pass', 'bus-secret'] });
  });
  after(async () => {
    await nats?.stop();
  });

  const withCreds = (pass: string) => nats.url.replace('nats://', `nats://osmo:${pass}@`);

  test('the core connects with the user and password in --bus; wrong ones stop it with the reason, not a hang', async () => {
    const core = await spawnCore(tempDir('osmo-nb-core-'), undefined, ['--bus', withCreds('bus-secret')]);
    try {
      const bad = spawnOsmo([
        'core',
        '--listen',
        `127.0.0.1:${await freePort()}`,
        '--data-dir',
        tempDir('osmo-nb-core-'),
        '--bus',
        withCreds('wrong'),
      ]);
      assert.equal(await bad.exit(30_000), 1);
      assert.match(bad.output(), /Authorization Violation/i);
      assert.doesNotMatch(bad.output(), /wrong/, 'the password is not echoed');
      const agent = spawnOsmo([
        'agent',
        '--no-listen',
        '--node-id',
        id('cred'),
        '--data-dir',
        tempDir('osmo-nb-'),
        '--bus',
        withCreds('wrong'),
        '--token',
        core.token,
      ]);
      assert.equal(await agent.exit(30_000), 1);
      assert.match(agent.output(), /Authorization Violation/i);
    } finally {
      await core.proc.stop('SIGKILL');
    }
  });

  test('bad flag combinations are refused with the reason', async () => {
    for (const [args, why] of [
      [['agent', '--no-listen'], /--no-listen needs --bus/],
      [['agent', '--bus', 'nats://127.0.0.1:1', '--core', 'http://127.0.0.1:1'], /--bus and --core: give one/],
      [['agent', '--bus', 'http://127.0.0.1:4222'], /must be nats:\/\/ or tls:\/\//],
      [['core', '--bus', 'nats://h/x', '--listen', '127.0.0.1:0'], /must not have a path/],
      [['core', '--bus-replicas', '9'], /--bus-replicas must be 1 to 5/],
    ] as const) {
      const p = spawnOsmo([...args, '--data-dir', tempDir('osmo-nb-')]);
      assert.notEqual(await p.exit(30_000), 0, args.join(' '));
      assert.match(p.output(), why, args.join(' '));
    }
  });
});

describe('NATS bus: per-node permissions (docs/security.md)', { timeout: 180_000 }, () => {
  let nats: NatsCluster;
  let core: CoreProc;
  let agent: BusAgent;
  const A = id('perm');
  const B = id('perm-other');

  before(async () => {
    cleanupNodes([A]);
    const dir = tempDir('osmo-nb-conf-');
    const conf = join(dir, 'nats.conf');
    // the configuration docs/security.md gives an operator, for the core's user and one node's
    writeFileSync(
      conf,
      `authorization {
  users = [
    { user: osmo-core, password: core-secret, permissions: {
        publish: { allow: ["osmo.cmd.>", "$JS.API.>", "$JS.ACK.OSMO_EVENTS.>"] }
        subscribe: { allow: ["osmo.agent.>", "_INBOX.>"] }
        allow_responses: true
    } }
    { user: ${A}, password: node-secret, permissions: {
        publish: { allow: ["osmo.events.${A}", "osmo.agent.${A}"] }
        subscribe: { allow: ["osmo.cmd.${A}", "_INBOX.${A}.>"] }
        allow_responses: true
    } }
  ]
}
`,
    );
    nats = await startNats(1, { args: ['-c', conf] });
    const as = (user: string, pass: string) => nats.url.replace('nats://', `nats://${user}:${pass}@`);
    core = await spawnCore(tempDir('osmo-nb-core-'), undefined, ['--bus', as('osmo-core', 'core-secret')]);
    agent = await spawnBusAgent(core, as(A, 'node-secret'), A, true);
    await nodeReady(core, A);
  });
  after(async () => {
    await agent?.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes([A]);
    await nats?.stop();
  });

  test("a node's user works on its own subjects and cannot publish, ask or listen as another node", async () => {
    // the core commands it under its restricted user (deploy, then remove)
    const mel = id('perm-web');
    assert.equal((await api(core, 'POST', '/api/v1/mels', { name: mel, image: 'osmo-test/sleeper:1', replicas: 1 })).status, 201);
    await eventually(async () => containersOf(mel).filter((c) => c.running && c.node === A).length === 1, 60_000, 'deployed');
    await api(core, 'DELETE', `/api/v1/mels/${mel}`);
    await eventually(() => containersOf(mel).length === 0, 60_000, 'removed');
    await produce(agent, core.token, 20);
    await assertExactlyOnce(core, agent, 20);
    // a client holding the node's password, trying the other node's subjects
    const nc = await connect({
      servers: nats.url.split(',').map((u) => u.replace('nats://', '')),
      user: A,
      pass: 'node-secret',
      inboxPrefix: `_INBOX.${A}`,
    });
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String((s as { error?: unknown }).error));
    })();
    try {
      nc.publish(
        `osmo.events.${B}`,
        JSON.stringify([{ type: 'monitor', seq: 1, node: B, ts: Date.now(), metric: 'cpu', source: 'host', action: 'started' }]),
      );
      await assert.rejects(nc.request(`osmo.agent.${B}`, '{}', { timeout: 3000 }), "a request on another node's subject gets nowhere");
      nc.subscribe(`osmo.cmd.${B}`);
      nc.subscribe('osmo.agent.>');
      await nc.flush();
      await eventually(
        () => errors.filter((e) => /Permissions Violation/i.test(e)).length >= 4 && errors,
        10_000,
        'four permission violations',
      );
      assert.ok(
        errors.some((e) => e.includes(`osmo.events.${B}`)),
        errors.join('\n'),
      );
      assert.ok(
        errors.some((e) => e.includes(`osmo.cmd.${B}`)),
        errors.join('\n'),
      );
    } finally {
      await nc.close();
    }
    const nodes = (await api(core, 'GET', '/api/v1/nodes')).json.nodes as NodeView[];
    assert.ok(!nodes.some((n) => n.id === B), 'nothing reached the core as the other node');
  });
});
