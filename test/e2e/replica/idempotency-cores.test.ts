// One Idempotency-Key across two `osmo core` processes on one private PostgreSQL: a write sent
// to the follower (which forwards it to the leader) and repeated on the leader, or the other
// way round, acts once; after kill -9 of the leader the new leader replays the keys the old
// one stored. The typed client's failover retry (one key for all its tries) rests on this.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, freePort, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { copyClusterSecrets, coreRole } from '../../../testing/replica-cores.js';
import { send, type KeyedAnswer } from '../../../testing/idempotency-cases.js';

let pg: TestPostgres;
let store: string;
const procs: OsmoProcess[] = [];
before(async () => {
  pg = await startPostgres();
  store = await pg.database('replica_idem');
});
after(async () => {
  for (const p of procs) await p.stop('SIGKILL');
  await pg?.stop();
});

interface Core {
  proc: OsmoProcess;
  url: string;
  dataDir: string;
}

/** `secretsFrom`: a running core's data dir, whose join token and command key a new core of the cluster copies (docs/production.md, "How to add a core") */
async function startCoreProc(prefix: string, secretsFrom?: string): Promise<Core> {
  const dataDir = tempDir(prefix);
  if (secretsFrom) copyClusterSecrets(secretsFrom, dataDir);
  const port = await freePort();
  const proc = spawnOsmo(['core', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--store', store]);
  procs.push(proc);
  return { proc, url: `http://127.0.0.1:${port}`, dataDir };
}

const tokens = async (url: string, token: string) =>
  (await send(url, 'GET', '/api/v1/tokens', { token })).json.tokens as Array<{ id: string }>;

test('one key through the follower and the leader acts once; the next leader replays it', async () => {
  const a = await startCoreProc('osmo-replica-idem-a-');
  await eventually(async () => (await coreRole(a.url)) === 'leader', 60_000, 'core a leads');
  const joinToken = readFileSync(join(a.dataDir, 'join-token'), 'utf8').trim();
  const made = await send(a.url, 'POST', '/api/v1/tokens', { body: { scope: 'admin', name: 'replica-idem' }, token: joinToken });
  assert.equal(made.status, 201, made.text);
  // an API token lives in the store: both cores take it
  const token = made.json.token as string;
  const b = await startCoreProc('osmo-replica-idem-b-', a.dataDir);
  await eventually(async () => (await coreRole(b.url)) === 'follower', 60_000, 'core b follows');

  const post = (url: string, key: string, scope = 'read-only'): Promise<KeyedAnswer> =>
    send(url, 'POST', '/api/v1/tokens', { body: { scope }, key, token });
  const before = (await tokens(a.url, token)).length;

  // follower first (forwarded), then the leader
  const k1 = randomUUID();
  const viaFollower = await post(b.url, k1);
  assert.equal(viaFollower.status, 201, viaFollower.text);
  const onLeader = await post(a.url, k1);
  assert.deepEqual([onLeader.status, onLeader.text, onLeader.replayed], [201, viaFollower.text, 'true']);

  // leader first, then the follower; another body through the follower is refused
  const k2 = randomUUID();
  const first = await post(a.url, k2);
  assert.equal(first.status, 201, first.text);
  const repeat = await post(b.url, k2);
  assert.deepEqual([repeat.status, repeat.text, repeat.replayed], [201, first.text, 'true']);
  const reused = await post(b.url, k2, 'admin');
  assert.deepEqual([reused.status, reused.json.code], [422, 'OSMO_IDEMPOTENCY_KEY_REUSED']);
  assert.equal((await tokens(a.url, token)).length, before + 2);

  // kill -9 of the leader: b leads and finds the keys in the store
  a.proc.child.kill('SIGKILL');
  await eventually(async () => (await coreRole(b.url)) === 'leader', 30_000, 'core b leads');
  const afterFailover = await post(b.url, k1);
  assert.deepEqual([afterFailover.status, afterFailover.text, afterFailover.replayed], [201, viaFollower.text, 'true']);
  assert.equal((await tokens(b.url, token)).length, before + 2);
});
