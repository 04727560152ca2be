// The store on a private PostgreSQL 15 (scripts/test-pg.sh): the same cases as on SQLite
// (testing/store-cases.ts), one database per case, one server for the file.
import { after, before } from 'node:test';
import { openStoreAt } from '../../../src/store/index.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { storeCases } from '../../../testing/store-cases.js';

let pg: TestPostgres;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const urls = new Map<string, Promise<string>>();
storeCases(
  'postgres',
  async (name) => {
    if (!urls.has(name)) urls.set(name, pg.database(`store_${name}`));
    return openStoreAt({ dialect: 'postgres', url: await urls.get(name)! });
  },
  { bulkRows: 100_000, concurrentOpen: true },
);
