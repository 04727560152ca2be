// The leader lease on a private PostgreSQL (src/store/dialects/postgres/lease.ts): one holder
// leads; kill -9 of the leading process hands the lease to the other within 5 s with a new
// term; a write fenced with the old term is refused; a cut lease session deposes its holder.
// (The lease is a building block: the core does not use it yet, see docs/decisions.md.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { openStoreAt, type Store } from '../../../src/store/index.js';
import { LeaderLease } from '../../../src/store/dialects/postgres/lease.js';
import { fencedTransaction, FencedError } from '../../../src/store/fence.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { eventually, ROOT } from '../../../testing/proc.js';

let server: TestPostgres;
let url: string;
let store: Store;
const leases: LeaderLease[] = [];
before(async () => {
  server = await startPostgres();
  url = await server.database('leader');
  store = await openStoreAt({ dialect: 'postgres', url });
});
after(async () => {
  for (const l of leases) await l.stop();
  await store?.close();
  await server?.stop();
});

/** A process holding a lease (what a core would be): prints "elected <term>". */
function holderProcess(holder: string) {
  const code = `import { LeaderLease } from ${JSON.stringify(join(ROOT, 'src/store/dialects/postgres/lease.ts'))};
    new LeaderLease(process.argv[1], process.argv[2], { intervalMs: 200 }).start().on('elected', (t) => console.log('elected ' + t));`;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code, url, holder], {
    cwd: ROOT,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

const write = (term: number, key: string) =>
  fencedTransaction(store.db, 'postgres', term, async (tx) => {
    await tx
      .insertInto('kv')
      .values({ key, value: String(term), updated_at: Date.now() })
      .execute();
  });

test('kill -9 of the leading process: the other holder leads within 5 s in a new term; the old term is fenced off', async () => {
  const a = holderProcess('core-a');
  try {
    await eventually(async () => a.output().includes('elected 1'), 30_000, `core-a elected: ${a.output()}`);
    const b = new LeaderLease(url, 'core-b', { intervalMs: 200 }).start();
    leases.push(b);
    await eventually(async () => b.rounds >= 3, 10_000, 'core-b tried the lock');
    assert.equal(b.term, undefined, 'one leader at a time');
    await write(1, 'by-term-1');

    a.child.kill('SIGKILL');
    await eventually(async () => b.term === 2, 5_000, 'core-b leads within 5 s of the kill');
    await assert.rejects(write(1, 'late-write-of-term-1'), FencedError);
    await write(2, 'by-term-2');
    const keys = (await store.kv.withPrefix('by-term-')).map((r) => r.key);
    assert.deepEqual(keys, ['by-term-1', 'by-term-2']);
    assert.equal(await store.kv.get('late-write-of-term-1'), undefined);
  } finally {
    a.child.kill('SIGKILL');
  }
});

test('a lease session cut by the server deposes its holder, which leads again in a new term once it reconnects', async () => {
  const b = leases[0]!;
  const deposed = new Promise<string>((r) => b.once('deposed', r));
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const r = await admin.query(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'osmo-lease:core-b'`,
    );
    assert.equal(r.rowCount, 1);
  } finally {
    await admin.end();
  }
  assert.match(await deposed, /lease (connection lost|connection ended|check failed)/);
  await eventually(async () => b.term === 3, 10_000, 'core-b leads again in term 3');
  await assert.rejects(write(2, 'late-write-of-term-2'), FencedError);
});
