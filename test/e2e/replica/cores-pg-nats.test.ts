// Two cores on one PostgreSQL and one NATS (real processes, real agents, real containers),
// both serving the API: the follower forwards to the leader. Three agents: two on HTTP
// given both core URLs (`--core A,B`), one bus-only (`--no-listen`, no URL at all).
//  - deploy, scale and migrate work through either core;
//  - kill -9 of the leader while a MEL of 20 replicas is being placed: the other core
//    leads (its start event follows the kill in the store's event log), exactly 20 containers of
//    that MEL exist in the engine, no MEL is lost, the agents stay ready (the HTTP ones moved
//    to the other URL by themselves);
//  - the old leader started again follows.
// What test/e2e/store and test/e2e/bus already cover is not repeated here: PostgreSQL restarted
// (core-pg), the store copy (store-cli-pg), a NATS server killed (nats), the lease on its own
// (leader-pg), two cores without the bus (cores-pg).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentArgs } from '../../../testing/agent-args.js';
import { api, cleanupNodes, containersOf, instances, reconcileRoundsPass, spawnAgent, type CoreProc } from '../../../testing/cluster.js';
import { startNats, type NatsCluster } from '../../../testing/nats.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { copyClusterSecrets, coreRole, replicaCoreArgs } from '../../../testing/replica-cores.js';
import { eventually, freePort, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';

const RUN = Math.random().toString(36).slice(2, 7);
const id = (s: string) => `replica-${RUN}-${s}`;
const NODES = [id('h1'), id('h2'), id('bus')];
const WEB = id('web');
const MANY = id('many');

let pgServer: TestPostgres;
let nats: NatsCluster;
let store: string;
const procs: OsmoProcess[] = [];

before(async () => {
  [pgServer, nats] = await Promise.all([startPostgres(), startNats(1)]);
  store = await pgServer.database('replica_cores');
});
after(async () => {
  for (const p of procs.reverse()) await p.stop('SIGKILL');
  cleanupNodes(NODES);
  await nats?.stop();
  await pgServer?.stop();
});

interface Core {
  proc: OsmoProcess;
  url: string;
  port: number;
  dataDir: string;
}

function startCore(dataDir: string, port: number): Core {
  const proc = spawnOsmo(replicaCoreArgs({ port, dataDir, store, bus: nats.url }));
  procs.push(proc);
  return { proc, url: `http://127.0.0.1:${port}`, port, dataDir };
}

const role = (c: Core) => coreRole(c.url);

async function running(core: Core, mel: string): Promise<number> {
  return (await instances(core, mel)).filter((i) => i.state === 'running').length;
}

interface CoreEvent {
  ts: number;
  type: string;
  data: { action?: string; url?: string; term?: number };
}

test('two cores on PostgreSQL + NATS: either serves; kill -9 of the leader mid-deployment: the other leads, 20 instances, nothing lost; the old leader follows', async (t) => {
  const [pa, pb] = [await freePort(), await freePort()];
  const dirA = tempDir('osmo-replica-a-');
  const dirB = tempDir('osmo-replica-b-');
  const a = startCore(dirA, pa);
  await eventually(async () => (await role(a)) === 'leader', 60_000, 'core A leads');
  // one join token and command key for the cores (docs/production.md "Several cores")
  copyClusterSecrets(dirA, dirB);
  const b = startCore(dirB, pb);
  await eventually(async () => (await role(b)) === 'follower', 60_000, 'core B follows');

  const token = readFileSync(join(dirA, 'join-token'), 'utf8').trim();
  const both = { url: `${a.url},${b.url}`, token } as CoreProc;
  const h1 = await spawnAgent(both, NODES[0]!, 'edge', 'replica', [], undefined);
  const h2 = await spawnAgent(both, NODES[1]!, 'edge', 'replica', [], undefined);
  procs.push(h1.proc, h2.proc);
  const busAgent = spawnOsmo(
    agentArgs({ id: NODES[2]!, layer: 'edge', domain: 'replica', dataDir: tempDir('osmo-replica-bus-'), bus: nats.url, token }),
  );
  procs.push(busAgent);
  const readyNodes = async (c: Core) => {
    const nodes = (await api(c, 'GET', '/api/v1/nodes')).json.nodes as Array<{ id: string; status: string }> | undefined;
    return (nodes ?? []).filter((n) => NODES.includes(n.id) && n.status === 'ready').length;
  };
  await eventually(async () => (await readyNodes(b)) === 3, 60_000, 'three agents ready, seen through the follower');

  // the follower authorizes on the route it matched before forwarding (answered by itself,
  // not marked as forwarded) and passes the caller's credential on
  const noToken = await fetch(`${b.url}/api/v1/tokens`);
  assert.equal(noToken.status, 401, 'an admin route without a token');
  assert.equal(noToken.headers.get('x-osmo-via'), null);
  const wrongNode = await fetch(`${b.url}/api/v1/agent/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer osmon_000000000000_nope' },
    body: JSON.stringify({ id: NODES[0] }),
  });
  assert.equal(wrongNode.status, 401, 'the agent protocol with an unknown credential');
  assert.equal(wrongNode.headers.get('x-osmo-via'), null);
  const withToken = await fetch(`${b.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(withToken.status, 200);
  assert.match(withToken.headers.get('x-osmo-via') ?? '', /^follower /);

  // deploy through the follower, scale through the leader, migrate through the follower
  const created = await api(b, 'POST', '/api/v1/mels', { name: WEB, image: 'osmo-test/sleeper:1', replicas: 2 });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  await eventually(async () => (await running(a, WEB)) === 2, 60_000, 'two web instances running');
  const scaled = await api(a, 'POST', `/api/v1/mels/${WEB}/scale`, { replicas: 3 });
  assert.equal(scaled.status, 200, JSON.stringify(scaled.json));
  await eventually(async () => (await running(b, WEB)) === 3, 60_000, 'three web instances running');
  const one = (await instances(b, WEB)).find((i) => i.state === 'running')!;
  const target = NODES.find((n) => n !== one.node)!;
  const moved = await api(b, 'POST', `/api/v1/instances/${one.id}/migrate`, { node: target });
  assert.equal(moved.status, 200, JSON.stringify(moved.json));
  assert.equal(moved.json.to, target);
  await eventually(async () => containersOf(WEB).filter((c) => c.running).length === 3, 60_000, 'three web containers after the move');

  // a deployment of 20, and the leader killed while it is being placed
  const many = await api(b, 'POST', '/api/v1/mels', { name: MANY, image: 'osmo-test/sleeper:1', replicas: 20 });
  assert.equal(many.status, 201, JSON.stringify(many.json));
  // at once: the leader is placing them and telling the agents to start them
  const killedAt = Date.now();
  a.proc.child.kill('SIGKILL');
  await a.proc.exit(10_000).catch(() => undefined);

  // the CLI given both URLs, while the lead moves: one answer, no error
  const cli = spawnOsmo(['nodes', '--json', '--core', `${a.url},${b.url}`, '--token', token]);
  assert.equal(await cli.exit(60_000), 0, cli.output());
  for (const n of NODES) assert.ok(cli.output().includes(n), cli.output());
  await eventually(async () => (await role(b)) === 'leader', 60_000, 'core B leads');
  const starts = ((await api(b, 'GET', '/api/v1/events?type=core&follow=false')).json.events as CoreEvent[]).filter(
    (e) => e.data.action === 'start',
  );
  const bStart = starts.filter((e) => e.data.url === b.url).at(-1);
  assert.ok(bStart, `core B's start event: ${JSON.stringify(starts)}`);
  const lead = (await api(b, 'GET', '/api/v1/system/cores')).json as { leader: { holder: string; term: number; since: number } };
  assert.equal(lead.leader.term, 2);
  assert.match(lead.leader.holder, new RegExp(`@127\\.0\\.0\\.1:${pb}$`));
  // the order: A killed, then B took the lease, then B served (its start event)
  assert.ok(lead.leader.since > killedAt, 'B took the lease after A was killed');
  assert.ok(bStart.ts >= lead.leader.since, 'B served once it held the lease');
  assert.ok(
    starts.some((e) => e.data.url === a.url && e.ts < killedAt),
    'A had led before',
  );
  const placedAfter = containersOf(MANY).length;
  t.diagnostic(
    `kill -9 → B holds the lease ${lead.leader.since - killedAt} ms, → B serves ${bStart.ts - killedAt} ms; ${placedAfter}/20 containers then`,
  );

  await eventually(async () => containersOf(MANY).filter((c) => c.running).length === 20, 120_000, '20 running');
  const core2 = { url: b.url };
  await reconcileRoundsPass(core2, 2);
  const engine = containersOf(MANY);
  assert.equal(engine.length, 20, `exactly 20 containers of ${MANY}: ${JSON.stringify(engine)}`);
  assert.equal(new Set(engine.map((c) => c.name)).size, 20);
  assert.equal(await running(b, MANY), 20);
  assert.ok(
    engine.some((c) => c.node === NODES[2]),
    'the bus-only agent got some of them (commands over NATS from the new leader)',
  );
  const mels = ((await api(b, 'GET', '/api/v1/mels')).json.mels as Array<{ name: string; replicas: number }>).filter((m) =>
    [WEB, MANY].includes(m.name),
  );
  assert.deepEqual(
    mels.map((m) => [m.name, m.replicas]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    [
      [MANY, 20],
      [WEB, 3],
    ],
  );
  assert.equal(containersOf(WEB).filter((c) => c.running).length, 3);
  assert.equal(await readyNodes(b), 3, 'every agent ready: the HTTP ones moved to B by themselves');

  // the old leader, started again, follows and serves through the new leader
  const again = startCore(dirA, pa);
  await eventually(async () => (await role(again)) === 'follower', 60_000, 'the old leader comes back as a follower');
  const cores = (await api(again, 'GET', '/api/v1/system/cores')).json as { leader: { holder: string; term: number } };
  assert.match(cores.leader.holder, new RegExp(`@127\\.0\\.0\\.1:${pb}$`));
  assert.equal(cores.leader.term, 2);
  const scaledDown = await api(again, 'POST', `/api/v1/mels/${MANY}/scale`, { replicas: 0 });
  assert.equal(scaledDown.status, 200, 'a write through the returned follower');
  await eventually(async () => containersOf(MANY).length === 0, 60_000, 'scaled to 0 through the returned core');
});
