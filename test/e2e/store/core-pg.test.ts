// A real `osmo core --store postgres://…` (private PostgreSQL 15), two real agents, real
// containers: deploy and scale work, a core killed and started again on the same database
// keeps its state, and PostgreSQL restarted under API load costs retries (503, never a 500),
// loses no acknowledged write, and the fleet converges afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api,
  cleanupNodes,
  containersOf,
  instances,
  reconcileRoundsPass,
  spawnAgent,
  spawnCore,
  type AgentProc,
  type CoreProc,
} from '../../../testing/cluster.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { eventually, tempDir } from '../../../testing/proc.js';

const IDS = ['pg-core-a', 'pg-core-b'];
let pg: TestPostgres;
let storeUrl: string;
let core: CoreProc;
const agents: AgentProc[] = [];

async function converged(mel: string, replicas: number, what: string): Promise<void> {
  await eventually(
    async () => {
      const running = (await instances(core, mel)).filter((i) => i.state === 'running');
      const c = containersOf(mel);
      return running.length === replicas && c.length === replicas && c.every((x) => x.running);
    },
    60_000,
    `${what}: ${replicas} running instances and containers of ${mel}`,
  );
}

describe('a core on PostgreSQL', { timeout: 300_000 }, () => {
  before(async () => {
    cleanupNodes(IDS);
    pg = await startPostgres();
    storeUrl = await pg.database('core');
    core = await spawnCore(tempDir('osmo-pg-core-'), undefined, ['--store', storeUrl]);
    agents.push(await spawnAgent(core, IDS[0]!, 'cloud', 'dc1'));
    agents.push(await spawnAgent(core, IDS[1]!, 'edge', 'dc1'));
    await eventually(async () => ((await api(core, 'GET', '/api/v1/nodes')).json.nodes as unknown[]).length === 2, 30_000, 'two nodes');
  });
  after(async () => {
    for (const a of agents) await a.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes(IDS);
    await pg?.stop();
  });

  test('deploys and scales with real containers; kill -9 and a restart on the same database keep the state', async () => {
    const mel = 'pg-core-web';
    assert.equal((await api(core, 'POST', '/api/v1/mels', { name: mel, image: 'osmo-test/sleeper:1', replicas: 3 })).status, 201);
    await converged(mel, 3, 'after deploy');
    const scaled = await api(core, 'POST', `/api/v1/mels/${mel}/scale`, { replicas: 5 });
    assert.equal(scaled.status, 200, JSON.stringify(scaled.json));
    await converged(mel, 5, 'after scale');
    const ids = (await instances(core, mel)).map((i) => i.id).sort();

    await core.proc.stop('SIGKILL');
    core = await spawnCore(core.dataDir, core.port, ['--store', storeUrl]);
    const m = await api(core, 'GET', `/api/v1/mels/${mel}`);
    assert.equal(m.status, 200, 'the MEL survived the kill');
    assert.equal(m.json.replicas, 5);
    assert.deepEqual((await instances(core, mel)).map((i) => i.id).sort(), ids, 'the same instances, read back from PostgreSQL');
    await converged(mel, 5, 'after the restart');
    await reconcileRoundsPass(core);
    assert.equal(containersOf(mel).length, 5, 'no duplicate after the restart');
  });

  test('PostgreSQL restarted under load: the API answers 503 at worst, never 500, nothing acknowledged is lost, the fleet converges', async (t) => {
    const mel = 'pg-core-web';
    const statuses = new Map<number, number>();
    const created: string[] = [];
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    let stop = false;
    let k = 0;
    let loadError: unknown;
    const load = (async () => {
      while (!stop && core.proc.child.exitCode === null) {
        k++;
        try {
          const name = `pg-core-load-${k}`;
          const c = await api(core, 'POST', '/api/v1/mels', { name, image: 'osmo-test/sleeper:1', replicas: 0 });
          count(c.status);
          if (c.status === 201) created.push(name);
          const s = await api(core, 'POST', `/api/v1/mels/${mel}/scale`, { replicas: 4 + (k % 2) });
          count(s.status);
          count((await api(core, 'GET', '/api/v1/events?follow=false&limit=20')).status);
          count((await api(core, 'GET', '/api/v1/mels')).status);
        } catch (e) {
          loadError = e;
          return;
        }
      }
    })();
    // some load before, during and after the restart
    await eventually(async () => created.length >= 3, 30_000, 'load under way');
    const died = () => assert.fail(`the core exited (${String(loadError)}); its output:\n${core.proc.output().slice(-4000)}`);
    await pg.restart();
    const restartedAt = k;
    await eventually(
      async () => (core.proc.child.exitCode === null && loadError === undefined ? k >= restartedAt + 5 : died()),
      60_000,
      'load after the restart',
    );
    // a write right after must work again (no lasting failure)
    await eventually(
      async () =>
        core.proc.child.exitCode === null ? (await api(core, 'POST', `/api/v1/mels/${mel}/scale`, { replicas: 4 })).status === 200 : died(),
      30_000,
      'a write succeeds after the restart',
    );
    stop = true;
    await load;
    // the load alternated 4 and 5; the last word is ours
    assert.equal((await api(core, 'POST', `/api/v1/mels/${mel}/scale`, { replicas: 4 })).status, 200);
    const seen = Object.fromEntries(statuses);
    t.diagnostic(`answers during the load: ${JSON.stringify(seen)}`);
    assert.equal(core.proc.child.exitCode, null, `the core is still running; its output:\n${core.proc.output().slice(-4000)}`);
    assert.equal(statuses.get(500) ?? 0, 0, `no 500: ${JSON.stringify(seen)}`);
    assert.deepEqual(
      [...statuses.keys()].filter((s) => ![200, 201, 503].includes(s)),
      [],
      `only 200/201 and 503: ${JSON.stringify(seen)}`,
    );
    // every acknowledged create is stored (read through a new core, from the database itself)
    await core.proc.stop('SIGTERM');
    core = await spawnCore(core.dataDir, core.port, ['--store', storeUrl]);
    const names = new Set(((await api(core, 'GET', '/api/v1/mels')).json.mels as Array<{ name: string }>).map((m) => m.name));
    assert.deepEqual(
      created.filter((n) => !names.has(n)),
      [],
      `acknowledged MELs missing after the restart (statuses ${JSON.stringify(seen)})`,
    );
    assert.equal((await api(core, 'GET', `/api/v1/mels/${mel}`)).json.replicas, 4);
    await converged(mel, 4, 'after the PostgreSQL restart');
    await reconcileRoundsPass(core);
    assert.equal(containersOf(mel).length, 4, 'no duplicate after the PostgreSQL restart');
  });
});
