// The store's commands and cores on a private PostgreSQL. `osmo store copy` from the SQLite
// store of a real core (MELs, a policy, a plan, a registered node with its credential,
// events) to PostgreSQL: every table holds the same rows,
// a second copy onto the now non-empty target is refused, and a core started on PostgreSQL
// with the same data dir serves the same MELs, policies, plans and events; `osmo store migrate`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase, parseStoreUrl, type OpenedDatabase } from '../../../src/store/dialects/index.js';
import { api, spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { ROOT, spawnOsmo, tempDir } from '../../../testing/proc.js';
import { SimAgent } from '../../../testing/sim-agent.js';

let pg: TestPostgres;
const cores: CoreProc[] = [];
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  for (const c of cores) await c.proc.stop();
  await pg?.stop();
});

async function rowsOf(o: OpenedDatabase): Promise<Record<string, string[]>> {
  const db = o.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const out: Record<string, string[]> = {};
  for (const t of await o.db.introspection.getTables()) {
    if (/migration/.test(t.name)) continue;
    const rows = await db.selectFrom(t.name).selectAll().execute();
    // a row as sorted key=value pairs: independent of column and row order
    out[t.name] = rows.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)))).sort();
  }
  return out;
}

async function state(core: CoreProc) {
  const get = async (path: string) => {
    const r = await api(core, 'GET', path);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
    return r.json;
  };
  // a MEL's status is live (the new core's scheduler may place at once on the copied node);
  // what the copy must keep is the spec
  const mels = (await get('/api/v1/mels')) as { mels: Array<Record<string, unknown>> };
  return {
    mels: mels.mels.map(({ status: _live, ...spec }) => spec),
    policies: await get('/api/v1/policies'),
    plans: await get('/api/v1/plans'),
    events: (await get('/api/v1/events?follow=false&limit=1000')).events as Array<{ id: number }>,
    nodes: ((await get('/api/v1/nodes')).nodes as Array<{ id: string; layer: string }>).map((n) => [n.id, n.layer]),
  };
}

test('osmo store copy: a populated SQLite store moves to PostgreSQL whole, and a core on it serves the same state', async () => {
  const dataDir = tempDir('osmo-pg-copy-');
  const core = await spawnCore(dataDir);
  cores.push(core);
  for (const name of ['pgcopy-web', 'pgcopy-db'])
    assert.equal((await api(core, 'POST', '/api/v1/mels', { name, image: 'osmo-test/sleeper:1', replicas: 2 })).status, 201);
  assert.equal((await api(core, 'PUT', '/api/v1/policies', { thresholds: { high: 0.9 } })).status, 200);
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
  assert.equal((await api(core, 'POST', '/api/v1/plans?seed=1', input)).status, 201);
  // a registered node: its row, its credential (kv), its events
  const sim = await new SimAgent({ id: 'pgcopy-n1', core: core.url, token: core.token }).start();
  await sim.stop();
  const before = await state(core);
  assert.equal(before.nodes.length, 1);
  assert.ok(before.events.length >= 3, `events: ${before.events.length}`);
  await core.proc.stop();

  const target = await pg.database('copy_target');
  const copy = spawnOsmo(['store', 'copy', '--from', `sqlite:${join(dataDir, 'osmo.db')}`, '--to', target]);
  assert.equal(await copy.exit(60_000), 0, copy.output());
  assert.match(copy.output(), /copied \d+ rows from sqlite:.*osmo\.db to postgres:\/\/osmo:\*\*\*@127\.0\.0\.1/);

  const src = openDatabase(parseStoreUrl(`sqlite:${join(dataDir, 'osmo.db')}`, '.'));
  const dst = openDatabase(parseStoreUrl(target, '.'));
  try {
    const [a, b] = [await rowsOf(src), await rowsOf(dst)];
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort(), 'the same tables');
    for (const t of ['mels', 'instances', 'nodes', 'kv', 'plans', 'events']) assert.ok(a[t]!.length > 0, `source ${t} has rows`);
    for (const t of Object.keys(a)) assert.deepEqual(b[t], a[t], `table ${t}`);
  } finally {
    await src.db.destroy();
    await dst.db.destroy();
  }

  const again = spawnOsmo(['store', 'copy', '--from', `sqlite:${join(dataDir, 'osmo.db')}`, '--to', target]);
  assert.equal(await again.exit(60_000), 1);
  assert.match(again.output(), /target store is not empty \(.*mels.*\): pass --force/);

  const onPg = await spawnCore(dataDir, undefined, ['--store', target]);
  cores.push(onPg);
  const after = await state(onPg);
  assert.deepEqual(after.mels, before.mels);
  assert.deepEqual(after.policies, before.policies);
  assert.deepEqual(after.plans, before.plans);
  assert.deepEqual(after.nodes, before.nodes);
  // the new core appends its own start event after the copied ones, numbered after them
  assert.deepEqual(after.events.slice(0, before.events.length), before.events);
  assert.ok(after.events.slice(before.events.length).every((e) => e.id > before.events.at(-1)!.id));
  // the node's credential came along: it heartbeats with it
  const sim2 = new SimAgent({ id: 'pgcopy-n1', core: onPg.url, token: onPg.token });
  await sim2.start();
  await sim2.stop();
  await onPg.proc.stop();
});

test('osmo store migrate: creates the schema of an empty PostgreSQL database once, then has nothing to do; a bad URL is refused', async () => {
  const url = await pg.database('migrate_only');
  const first = spawnOsmo(['store', 'migrate', '--store', url]);
  assert.equal(await first.exit(60_000), 0, first.output());
  assert.match(
    first.output(),
    /postgres:\/\/osmo:\*\*\*@127\.0\.0\.1:\d+\/migrate_only: applied 0001_initial, 0002_plans, 0003_core_leader/,
  );
  const second = spawnOsmo(['store', 'migrate'], { OSMO_STORE: url });
  assert.equal(await second.exit(60_000), 0, second.output());
  assert.match(second.output(), /migrate_only: up to date/);
  const bad = spawnOsmo(['store', 'migrate', '--store', 'mysql://x@y/z']);
  assert.equal(await bad.exit(30_000), 1);
  assert.match(bad.output(), /expected sqlite:PATH or postgres:\/\/user:pass@host:port\/db/);
});
