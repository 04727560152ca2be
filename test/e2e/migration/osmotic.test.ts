// Osmotic migration end to end: a real core and three real agents on one Docker engine,
// guest load source (each node's instances against its declared capacity of 0.25 CPU),
// CPU-burning containers (osmo-test/burn:1) as the load. Every burner is limited to 0.05
// CPU by resources.cpus: on a shared, busy machine the limit (not the fair share) is what
// binds, so each burner weighs a steady 0.2 of its node's L whatever else runs.
//
//   mig-e1 edge/city (slot=e1)   mig-e2 edge/city (slot=e2)   mig-c1 cloud/dc
//   hog1 x2 (pinned) = 0.4       hog2 (pinned) = 0.2
//   mover x2 (0.2 each, preferLayer edge in city): placed on e1 (the others cordoned)
//
// thresholds low 0.45 / high 0.55 (L = cpu only). e1 = 0.8 -> overloaded: one mover goes
// to e2 (0.2 + 0.2 < 0.55), the next cannot (0.6) and spills over to the cloud; e1 = 0.4 is
// back under low. Then the core restarts (policies persisted), hog2 stops, e2 = 0.2 and
// the cloud mover flows back home (0.4 <= low). Finally e1 hovers at its own high.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../testing/proc.js';
import {
  api,
  cleanupNodes,
  containersOf,
  instances,
  rebalanceRoundsPass,
  spawnAgent,
  spawnCore,
  type AgentProc,
  type CoreProc,
  type Inst,
} from '../../../testing/cluster.js';

const NODES = ['mig-e1', 'mig-e2', 'mig-c1'];
let core: CoreProc;
const agents: AgentProc[] = [];

type Ev = { id: number; ts: number; type: string; node: string | null; data: Record<string, unknown> };
async function events(types: string, since = 0): Promise<Ev[]> {
  const r = await api(core, 'GET', `/api/v1/events?follow=false&type=${types}&since=${since}&limit=10000`);
  return r.json.events as Ev[];
}
const moveDecisions = (evs: Ev[]) => evs.filter((e) => e.type === 'rebalance' && e.data.decision === 'move');
/** two minutes of rebalance rounds at the 2 s period the first test sets */
const HOVER_ROUNDS = 60;
const done = (evs: Ev[]) => evs.filter((e) => e.type === 'migration' && e.data.phase === 'done');
const running = async (mel: string): Promise<Inst[]> => (await instances(core, mel)).filter((i) => i.state === 'running');
const byNode = (list: Inst[]) => list.map((i) => i.node).sort((a, b) => String(a).localeCompare(String(b)));

/** eventually(), and when it gives up, the recent decisions and instance states with the error. */
async function until<T>(check: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  try {
    return await eventually(check, ms, what);
  } catch (e) {
    const evs = await events('load,rebalance,migration,reconcile,instance-state,placement').catch(() => []);
    const list = await instances(core, 'mig-w').catch(() => []);
    const tail = evs
      .slice(-40)
      .map((x) => `${new Date(x.ts).toISOString().slice(11, 23)} ${x.type} ${x.node ?? '-'} ${JSON.stringify(x.data).slice(0, 300)}`);
    throw new Error(
      `${(e as Error).message}\ninstances: ${JSON.stringify(list.map((i) => [i.name, i.node, i.state, i.reason]))}\ncontainers: ${JSON.stringify(containersOf('mig-w'))}\n${tail.join('\n')}`,
      { cause: e },
    );
  }
}

async function mel(name: string, body: Record<string, unknown>): Promise<void> {
  const r = await api(core, 'POST', '/api/v1/mels', { name, image: 'osmo-test/burn:1', ...body });
  assert.equal(r.status, 201, JSON.stringify(r.json));
}

describe('osmotic migration with real containers and real load', { timeout: 600_000 }, () => {
  before(async () => {
    cleanupNodes(NODES);
    core = await spawnCore();
    const extra = ['--capacity-cpus', '0.25', '--capacity-memory', '2g'];
    agents.push(await spawnAgent(core, 'mig-e1', 'edge', 'city', [...extra, '--label', 'slot=e1']));
    agents.push(await spawnAgent(core, 'mig-e2', 'edge', 'city', [...extra, '--label', 'slot=e2']));
    agents.push(await spawnAgent(core, 'mig-c1', 'cloud', 'dc', [...extra, '--label', 'slot=c1']));
    await eventually(
      async () => ((await api(core, 'GET', '/api/v1/nodes?status=ready')).json.nodes as unknown[]).length === 3,
      30_000,
      '3 nodes ready',
    );
  });

  after(async () => {
    for (const a of agents) await a.proc.stop();
    await core?.proc.stop();
    cleanupNodes(NODES);
  });

  test('an overloaded edge node sheds by policy: same-domain edge first, then spill-over to the cloud', async () => {
    const p = await api(core, 'PUT', '/api/v1/policies', {
      loadSource: 'guest',
      weights: { cpu: 1, mem: 0, io: 0 },
      thresholds: { low: 0.45, high: 0.55 },
      acceptance: 'if-unloaded-after',
      selection: 'descending-load',
      destination: 'least-loaded-nearest',
      management: {
        monitoringPeriodMs: 2000,
        stalenessTimeoutMs: 10_000,
        loadRefreshPeriodMs: 1000,
        rebalancePeriodMs: 2000,
        maxMovesPerRound: 1,
        migrationTimeoutMs: 30_000,
      },
    });
    assert.equal(p.status, 200, JSON.stringify(p.json));
    const res = (cpus: number) => ({ cpus, memoryBytes: 32 * 1024 * 1024 });
    await mel('mig-hog1', { replicas: 2, resources: res(0.05), placement: { labels: { slot: 'e1' } } });
    await mel('mig-hog2', { resources: res(0.05), placement: { labels: { slot: 'e2' } } });
    await until(async () => (await running('mig-hog1')).length === 2 && (await running('mig-hog2')).length === 1, 60_000, 'hogs running');
    for (const n of ['mig-e2', 'mig-c1']) assert.equal((await api(core, 'POST', `/api/v1/nodes/${n}/cordon`)).status, 200);
    await mel('mig-w', { replicas: 2, resources: res(0.05), placement: { preferLayer: 'edge', preferDomain: 'city' } });
    const placed = await until(
      async () => {
        const r = await running('mig-w');
        return r.length === 2 ? r : undefined;
      },
      60_000,
      'movers running',
    );
    assert.deepEqual(byNode(placed), ['mig-e1', 'mig-e1']);
    for (const n of ['mig-e2', 'mig-c1']) assert.equal((await api(core, 'POST', `/api/v1/nodes/${n}/uncordon`)).status, 200);

    // e1 = 0.8 >= 0.55: overloaded; the movers leave one per round (the next once the first has settled)
    const after = await until(
      async () => {
        const r = await running('mig-w');
        const all = await instances(core, 'mig-w');
        return r.length === 2 && all.length === 2 && byNode(r).join() === 'mig-c1,mig-e2' ? r : undefined;
      },
      120_000,
      'one mover on e2, one spilled over to c1',
    );
    assert.equal(after.length, 2);
    const evs = await events('load,rebalance,migration');
    const overloaded = evs.find((e) => e.type === 'load' && e.node === 'mig-e1' && e.data.overloaded === true);
    assert.ok(overloaded, 'e1 was reported overloaded');
    const moves = done(evs);
    assert.equal(moves.length, 2, JSON.stringify(moves.map((m) => m.data)));
    assert.deepEqual(
      moves.map((m) => [m.data.from, m.data.to]),
      [
        ['mig-e1', 'mig-e2'],
        ['mig-e1', 'mig-c1'],
      ],
    );
    const decisions = evs.filter((e) => e.type === 'rebalance' && e.data.decision === 'move');
    assert.match(String(decisions.at(-1)?.data.reason), /mig-e1 overloaded .*descending-load.*spill-over from edge chose mig-c1/);
    // make-before-break: the old containers are gone, exactly two movers exist
    await until(async () => containersOf('mig-w').length === 2, 30_000, 'sources stopped');
  });

  test('policies survive a core restart; after it, the cloud mover flows back when its home edge is under low', async () => {
    await core.proc.stop();
    core = await spawnCore(core.dataDir, core.port);
    const g = await api(core, 'GET', '/api/v1/policies');
    const policy = g.json.policy as { loadSource: string; thresholds: { high: number } };
    assert.equal(policy.loadSource, 'guest');
    assert.equal(policy.thresholds.high, 0.55);
    await until(
      async () => ((await api(core, 'GET', '/api/v1/nodes?status=ready')).json.nodes as unknown[]).length === 3,
      30_000,
      '3 nodes ready after restart',
    );
    const since = Date.now();
    // stopping hog2 takes e2 to 0.2: 0.2 + 0.2 <= low 0.45 -> the cloud mover returns
    assert.equal((await api(core, 'DELETE', '/api/v1/mels/mig-hog2')).status, 200);
    await until(
      async () => {
        const r = await running('mig-w');
        return r.length === 2 && byNode(r).join() === 'mig-e2,mig-e2';
      },
      90_000,
      'flow-back: both movers on the edge',
    );
    const back = done(await events('migration', since));
    assert.equal(back.length, 1, JSON.stringify(back.map((m) => m.data)));
    assert.equal(back[0]!.data.kind, 'flow-back');
    assert.deepEqual([back[0]!.data.from, back[0]!.data.to], ['mig-c1', 'mig-e2']);
  });

  test('stopping the burn stops the moves; manual migration; a node hovering at its threshold moves a bounded number of times', async (t) => {
    // quiet: nothing is overloaded any more, so for five rebalance rounds nothing moves
    let since = Date.now();
    await rebalanceRoundsPass(core, 5);
    assert.deepEqual(done(await events('migration', since)), []);
    assert.deepEqual(moveDecisions(await events('rebalance', since)), []);

    // manual migration back to e1, which first gets its own thresholds (low 0.45, high 0.65):
    // accepted as 0.4 + 0.2 < 0.65; the answer waits for the switch
    assert.equal((await api(core, 'PUT', '/api/v1/nodes/mig-e1/policies', { thresholds: { low: 0.45, high: 0.65 } })).status, 200);
    const one = await until(async () => (await running('mig-w'))[0], 30_000, 'a running mover');
    const m = await api(core, 'POST', `/api/v1/instances/${one.id}/migrate`, { node: 'mig-e1' });
    assert.equal(m.status, 200, JSON.stringify(m.json));
    assert.equal(m.json.to, 'mig-e1');
    // a node that never accepts refuses with 409 and nothing moves
    assert.equal((await api(core, 'PUT', '/api/v1/nodes/mig-c1/policies', { acceptance: 'never' })).status, 200);
    const refused = await api(core, 'POST', `/api/v1/instances/${m.json.newInstance}/migrate`, { node: 'mig-c1' });
    assert.equal(refused.status, 409);
    assert.match(String(refused.json.error), /acceptance policy never/);

    // e1 now runs hog1 x2 + one mover = 0.6. Its own high goes to 0.6, a change that applies
    // on the next round without restart: e1 hovers at its threshold for two minutes.
    since = Date.now();
    assert.equal((await api(core, 'PUT', '/api/v1/nodes/mig-e1/policies', { thresholds: { high: 0.6 } })).status, 200);
    // hovering is measured in rebalance rounds (every 2 s here), not in wall-clock time
    await rebalanceRoundsPass(core, HOVER_ROUNDS, 600_000);
    const moves = done(await events('migration', since));
    const rounds = (await events('load', since)).filter((e) => e.node === 'mig-e1');
    // Bound: 1. e1 holds one movable instance (hog1 is pinned by label). It sheds only while
    // overloaded, a state it leaves only at L <= low; the instance's destination (e2, home
    // tier, 0.2 -> 0.4) must stay below high with it, so e2 never sheds it back, and
    // flow-back only targets nodes at or under low, which e1 with the instance is not
    // (0.6 > 0.45). Without hysteresis and the in-flight rule every crossing could move it.
    t.diagnostic(`hover: ${moves.length} migration(s), ${rounds.length} overload transition(s) of mig-e1 in ${HOVER_ROUNDS} rounds`);
    assert.ok(moves.length <= 1, `hovering node moved ${moves.length} times: ${JSON.stringify(moves.map((x) => x.data))}`);
    for (const mv of moves) assert.deepEqual([mv.data.from, mv.data.to], ['mig-e1', 'mig-e2']);
    // e1's overloaded state changed at most twice (in, then out after shedding)
    assert.ok(rounds.length <= 2, `e1 flapped: ${JSON.stringify(rounds.map((e) => e.data))}`);

    // stopping the burn: with hog1 gone, nothing is overloaded and nothing moves
    assert.equal((await api(core, 'DELETE', '/api/v1/mels/mig-hog1')).status, 200);
    await until(async () => containersOf('mig-hog1').length === 0, 60_000, 'hog1 removed');
    // its last samples go stale within stalenessTimeoutMs (10 s = five rounds); then watch five more
    await rebalanceRoundsPass(core, 5);
    since = Date.now();
    await rebalanceRoundsPass(core, 5);
    assert.deepEqual(done(await events('migration', since)), []);
    assert.deepEqual(moveDecisions(await events('rebalance', since)), []);
  });
});
