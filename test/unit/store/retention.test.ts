// The retention job on a real SQLite store: raw samples older than an hour are folded into
// 1-minute averages and then dropped, events older than their window are dropped, a second
// run changes nothing, and under a constant write rate the file stops growing once the raw
// window is full (SQLite reuses the freed pages). This is what bounds the store's size in a
// long run (the soak, docs/benchmarks.md, is shorter than the raw window).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openStore, type SampleRow } from '../../../src/store/index.js';
import { DEFAULT_RETENTION, runRetention } from '../../../src/store/retention.js';
import { tempDir } from '../../../testing/proc.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
// a whole minute plus 30 s: the current minute is still open
const NOW = 1_800_000_000_000 - (1_800_000_000_000 % MIN) + 30_000;

/** one sample a second of one series over [from, to), its value the minute it falls in */
function samples(from: number, to: number): SampleRow[] {
  const out: SampleRow[] = [];
  for (let ts = from; ts < to; ts += 1000)
    out.push({ ts, node: 'n1', target: 'host', metric: 'cpu', field: 'usage', value: Math.floor(ts / MIN) % 100, unit: 'percent' });
  return out;
}

test('raw samples past an hour become minute averages, old events go, a second run changes nothing', async () => {
  const store = await openStore(tempDir('osmo-retention-'));
  try {
    await store.samples.insertMany(samples(NOW - 2 * HOUR, NOW));
    const event = (ts: number) => ({ origin: 'core', seq: null, node: null, type: 'mel', ts, data: { at: ts } });
    await store.events.append([event(NOW - 8 * 24 * HOUR), event(NOW - 24 * HOUR)]);

    const first = await runRetention(store, NOW);
    assert.equal(first.rawDeleted, 3600, 'the hour past the raw window, one sample a second');
    assert.equal(first.eventsDeleted, 1, 'the 8-day-old event only');
    const { raw, minute } = await store.samples.counts();
    assert.equal(raw, 3600);
    // every minute of the two hours that is over (the window's start was a whole minute, the last one is still open)
    assert.equal(minute, 120);
    const folded = await store.db
      .selectFrom('samples_1m')
      .selectAll()
      .where('bucket', '=', NOW - 30_000 - 90 * MIN)
      .executeTakeFirstOrThrow();
    assert.equal(Number(folded.n), 60);
    assert.equal(Number(folded.avg), Math.floor((NOW - 30_000 - 90 * MIN) / MIN) % 100);
    assert.deepEqual(
      (await store.events.list({})).map((e) => e.ts),
      [NOW - 24 * HOUR],
    );

    const again = await runRetention(store, NOW);
    assert.deepEqual(again, { rawDeleted: 0, minuteDeleted: 0, eventsDeleted: 0 });
    assert.deepEqual(await store.samples.counts(), { raw, minute });
  } finally {
    await store.close();
  }
});

test('at a constant write rate the file stops growing once the raw window is full', async () => {
  const store = await openStore(tempDir('osmo-retention-size-'));
  const pages = async () => Number((await sql<{ page_count: number }>`pragma page_count`.execute(store.db)).rows[0]!.page_count);
  try {
    // three hours of one sample a second, ten minutes at a time, the job after each step
    // (it runs every minute in a core; coarser here, so the raw table holds up to 70 minutes)
    const start = NOW - 3 * HOUR;
    const size: number[] = [];
    for (let t = start; t < NOW; t += 10 * MIN) {
      await store.samples.insertMany(samples(t, t + 10 * MIN));
      await runRetention(store, t + 10 * MIN, DEFAULT_RETENTION);
      size.push(await pages());
    }
    const { raw } = await store.samples.counts();
    assert.ok(raw <= 3600 + 600, `raw rows bounded by the window: ${raw}`);
    // after the first 80 minutes the file only holds the window and the slowly growing minute table
    const atFull = size[7]!;
    const atEnd = size[size.length - 1]!;
    assert.ok(size[3]! < atFull, `the file grows while the window fills: ${size.join(' ')}`);
    assert.ok(atEnd <= atFull * 1.1, `pages at 80 min ${atFull}, at 3 h ${atEnd}: ${size.join(' ')}`);
  } finally {
    await store.close();
  }
});
