// The Idempotency-Key cases (testing/idempotency-cases.ts) on a core over a private
// PostgreSQL 15: the keys' table, its primary key deciding between racing requests, and
// the replay after the core is replaced, on the second dialect.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { tempDir } from '../../../testing/proc.js';
import { idempotencyCases, send } from '../../../testing/idempotency-cases.js';

let pg: TestPostgres;
let storeUrl: string;
let core: CoreHandle;
let token: string;
const dataDir = tempDir('osmo-idem-pg-');
const boot = () => startCore({ listen: '127.0.0.1:0', dataDir, store: storeUrl, processMetrics: false, log: () => undefined });

before(async () => {
  pg = await startPostgres();
  storeUrl = await pg.database('idem');
  core = await boot();
  const r = await send(core.url, 'POST', '/api/v1/tokens', { body: { scope: 'admin', name: 'idem-admin' }, token: core.token });
  assert.equal(r.status, 201, r.text);
  token = r.json.token as string;
});
after(async () => {
  await core?.close();
  await pg?.stop();
});

idempotencyCases({
  core: () => ({ url: core.url, token }),
  async restart() {
    await core.close();
    core = await boot();
  },
});
