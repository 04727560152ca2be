// The store on real SQLite files: migrations, dedupe, retention and downsampling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../../src/store/index.js';
import { migrate } from '../../../src/store/db.js';
import { runRetention } from '../../../src/store/retention.js';
import { tempDir } from '../../../testing/proc.js';

test('migrations create every table on an empty file and are idempotent', async () => {
  const dir = tempDir('osmo-co-store-');
  const s = await openStore(dir);
  assert.deepEqual(await migrate(s.db), [], 'second run applies nothing');
  await s.close();
  const s2 = await openStore(dir);
  await s2.close();
  const raw = new BetterSqlite3(join(dir, 'osmo.db'), { readonly: true });
  const tables = (raw.prepare("select name from sqlite_master where type='table' order by name").all() as Array<{ name: string }>).map(
    (r) => r.name,
  );
  for (const t of ['nodes', 'mels', 'instances', 'events', 'samples', 'samples_1m', 'kv']) assert.ok(tables.includes(t), `table ${t}`);
  assert.equal((raw.prepare('pragma journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  raw.close();
});

test('agent events dedupe on (origin, seq); core events never collide', async () => {
  const s = await openStore(tempDir('osmo-co-store-'));
  const e = { origin: 'n1', seq: 5, node: 'n1', type: 'instance', ts: 1, data: { a: 1 } };
  assert.equal((await s.events.append([e, { ...e, seq: 6 }])).length, 2);
  assert.equal((await s.events.append([e, { ...e, seq: 7 }])).length, 1);
  const core = { origin: 'core', seq: null, node: null, type: 'mel', ts: 2, data: {} };
  assert.equal((await s.events.append([core, core])).length, 2);
  assert.equal((await s.events.list({ types: ['instance'] })).length, 3);
  await s.events.forgetAbove('n1', 5);
  assert.deepEqual(
    (await s.events.list({ node: 'n1' })).map((x) => x.seq),
    [5],
  );
  await s.close();
});

test('retention folds raw samples into 1-minute averages and drops what is past its horizon', async () => {
  const s = await openStore(tempDir('osmo-co-store-'));
  const now = Date.UTC(2026, 0, 1, 12, 0, 30);
  const min = 60_000;
  const rows = [];
  // two hours of samples, one every 15 s, values 0..479
  for (let t = now - 2 * 3_600_000, v = 0; t < now; t += 15_000, v++)
    rows.push({ ts: t, node: 'n1', target: 'host', metric: 'cpu', field: 'total', value: v, unit: 'percent' });
  await s.samples.insertMany(rows);
  await s.kv.set('retention.downsampled_until', String(now - 3 * 3_600_000));
  const r = await runRetention(s, now);
  const c = await s.samples.counts();
  assert.ok(r.rawDeleted > 0);
  assert.ok(c.raw <= 3_600_000 / 15_000 + 4, `raw kept ~1 h: ${c.raw}`);
  assert.ok(c.minute >= 119 && c.minute <= 121, `minutes: ${c.minute}`);
  // a minute's average is the mean of its four samples
  // (samples start at hh:00:30, so the first whole minute holds values 2..5)
  const first = now - 2 * 3_600_000 + 30_000;
  const old = await s.samples.query({ node: 'n1', metric: 'cpu', from: first, to: first + min - 1, step: min }, now - 3_600_000);
  assert.equal(old.length, 1);
  assert.equal(old[0]!.n, 4);
  assert.equal(old[0]!.avg, 3.5);
  // the raw window still answers at fine steps
  const recent = await s.samples.query({ node: 'n1', metric: 'cpu', from: now - 10 * min, to: now, step: 30_000 }, now - 3_600_000);
  assert.ok(recent.length >= 19 && recent.every((p) => p.n <= 2));
  // idempotent: running again changes nothing
  await runRetention(s, now);
  assert.deepEqual(await s.samples.counts(), c);
  // the 7-day horizon of the minute table
  await runRetention(s, now + 8 * 86_400_000);
  assert.equal((await s.samples.counts()).minute, 0);
  await s.close();
});

test('retention drops events past the event horizon and keeps the rest, agent and core alike', async () => {
  const s = await openStore(tempDir('osmo-co-store-'));
  const now = Date.UTC(2026, 0, 10, 12, 0, 0);
  const day = 86_400_000;
  const policy = { rawMs: 3_600_000, minuteMs: 7 * day, eventsMs: 2 * day };
  await s.events.append([
    { origin: 'n1', seq: 1, node: 'n1', type: 'instance', ts: now - 3 * day, data: { age: 'old' } },
    { origin: 'core', seq: null, node: null, type: 'node', ts: now - 2 * day - 1, data: { age: 'old' } },
    { origin: 'n1', seq: 2, node: 'n1', type: 'instance', ts: now - 2 * day + 1, data: { age: 'new' } },
    { origin: 'core', seq: null, node: 'n1', type: 'placement', ts: now - 1000, data: { age: 'new' } },
  ]);
  const r = await runRetention(s, now, policy);
  assert.equal(r.eventsDeleted, 2);
  const left = await s.events.list({ limit: 100 });
  assert.deepEqual(
    left.map((e) => [e.type, e.data.age]),
    [
      ['instance', 'new'],
      ['placement', 'new'],
    ],
  );
  // a second pass finds nothing more to drop
  assert.equal((await runRetention(s, now, policy)).eventsDeleted, 0);
  await s.close();
});
