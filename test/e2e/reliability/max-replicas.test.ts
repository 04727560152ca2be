// The schema's maximum on a real core: a MEL of 100,000 replicas with no agent to run them
// (every replica a pending row in SQLite), then deleted. A schema-driven fuzzer found that
// this wedged the core: every later reconcile pass failed with `too many SQL variables` and
// nothing new was ever deployed. Here the rows must go to zero and a real agent that joins
// afterwards must get a small MEL placed and running.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { eventually } from '../../../testing/proc.js';
import {
  api,
  cleanupNodes,
  coreCounter,
  instances,
  spawnAgent,
  spawnCore,
  type AgentProc,
  type CoreProc,
} from '../../../testing/cluster.js';

const NODE = 'rel-maxrep-n1';
const MAX_REPLICAS = 100_000;
let core: CoreProc | undefined;
let agent: AgentProc | undefined;

after(async () => {
  await agent?.proc.stop('SIGKILL');
  await core?.proc.stop('SIGKILL');
  cleanupNodes([NODE]);
});

async function gauge(state: string): Promise<number> {
  const text = await (await fetch(`${core!.url}/metrics`)).text();
  const m = new RegExp(`^osmo_instances\\{state="${state}"\\} (\\d+)`, 'm').exec(text);
  if (!m) throw new Error(`no osmo_instances{state="${state}"}`);
  return Number(m[1]);
}

function storedRows(): number {
  const raw = new BetterSqlite3(join(core!.dataDir, 'osmo.db'), { readonly: true });
  try {
    return (raw.prepare('select count(*) as n from instances').get() as { n: number }).n;
  } finally {
    raw.close();
  }
}

test(
  '100,000 replicas with no node, then DELETE: rows go to zero, the core stays responsive, and a small MEL is placed afterwards',
  { timeout: 280_000 },
  async () => {
    cleanupNodes([NODE]);
    core = await spawnCore();
    const big = await api(core, 'POST', '/api/v1/mels', { name: 'rel-big', image: 'x', replicas: MAX_REPLICAS });
    assert.equal(big.status, 201, JSON.stringify(big.json));
    await eventually(async () => (await gauge('pending')) === MAX_REPLICAS, 150_000, `${MAX_REPLICAS} pending rows`);
    assert.equal(storedRows(), MAX_REPLICAS);

    const passesBefore = await coreCounter(core, 'osmo_reconcile_duration_seconds_count');
    const del = await api(core, 'DELETE', '/api/v1/mels/rel-big');
    assert.ok(del.status < 300, `delete answered ${del.status}`);
    // while the rows go, the API answers (a read and a write)
    assert.equal((await api(core, 'GET', '/api/v1/mels')).status, 200);
    const small = await api(core, 'POST', '/api/v1/mels', { name: 'rel-small', image: 'osmo-test/sleeper:1', replicas: 1 });
    assert.equal(small.status, 201, JSON.stringify(small.json));
    await eventually(async () => (await gauge('pending')) === 1, 120_000, 'only the small MEL pending');
    assert.equal(storedRows(), 1, 'the store holds only the small MEL row');
    assert.ok((await coreCounter(core, 'osmo_reconcile_duration_seconds_count')) > passesBefore);
    assert.doesNotMatch(core.proc.output(), /reconcile pass failed/);

    agent = await spawnAgent(core, NODE, 'edge', 'rel');
    const running = await eventually(
      async () => {
        const l = (await instances(core!, 'rel-small')).filter((i) => i.state === 'running');
        return l.length === 1 ? l : undefined;
      },
      60_000,
      'the small MEL running on the new node',
    );
    assert.equal(running[0]!.node, NODE);
    assert.equal((await instances(core, 'rel-big')).length, 0);
  },
);
