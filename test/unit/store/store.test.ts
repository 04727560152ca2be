// The store on real SQLite files: the dialect-neutral cases (testing/store-cases.ts, also run
// on PostgreSQL by test/e2e/store/store-pg.test.ts) and what only SQLite has (WAL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../../src/store/index.js';
import { tempDir } from '../../../testing/proc.js';
import { storeCases } from '../../../testing/store-cases.js';

const dirs = new Map<string, string>();
storeCases(
  'sqlite',
  (name) => {
    if (!dirs.has(name)) dirs.set(name, tempDir(`osmo-co-store-${name}-`));
    return openStore(dirs.get(name)!);
  },
  { bulkRows: 100_000, concurrentOpen: false },
);

test('sqlite: the file is in WAL mode (readers never block the writer)', async () => {
  const dir = tempDir('osmo-co-store-');
  const s = await openStore(dir);
  await s.close();
  const raw = new BetterSqlite3(join(dir, 'osmo.db'), { readonly: true });
  assert.equal((raw.prepare('pragma journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  raw.close();
});
