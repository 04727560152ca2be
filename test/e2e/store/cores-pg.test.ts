// Several `osmo core` processes on one private PostgreSQL (active/standby on the leader lease):
// two started at once on an empty database migrate it once and one of them leads while the
// other follows (it serves by forwarding to the leader, its answers marked x-osmo-via); kill -9 of the leader hands the lead to the standby within
// 5 s (a new term), which then serves the state the leader stored; the old leader started
// again follows; GET /api/v1/system/cores names the cores and the leader.
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freePort, spawnOsmo, tempDir, eventually, type OsmoProcess } from '../../../testing/proc.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';

let server: TestPostgres;
let url: string;
const procs: OsmoProcess[] = [];
before(async () => {
  server = await startPostgres();
  url = await server.database('cores');
});
after(async () => {
  for (const p of procs) await p.stop('SIGKILL');
  await server?.stop();
});

interface Core {
  proc: OsmoProcess;
  url: string;
  port: number;
  dataDir: string;
}

function startCoreProc(dataDir: string, port: number): Core {
  const proc = spawnOsmo(['core', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--store', url]);
  procs.push(proc);
  return { proc, url: `http://127.0.0.1:${port}`, port, dataDir };
}

async function health(c: Core): Promise<{ status: number; via: string | null } | undefined> {
  try {
    const r = await fetch(`${c.url}/healthz`);
    await r.arrayBuffer();
    return { status: r.status, via: r.headers.get('x-osmo-via') };
  } catch {
    return undefined;
  }
}

const isLeader = async (c: Core) => {
  const h = await health(c);
  return h?.status === 200 && /^leader /.test(h.via ?? '');
};
// a follower answers what the leader answered, through itself
const isStandby = async (c: Core) => {
  const h = await health(c);
  return h?.status === 200 && /^follower /.test(h.via ?? '');
};

async function leaderRow(): Promise<{ holder: string; term: number } | undefined> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ holder: string; term: string }>('select holder, term from core_leader where id = 1');
    return r.rows[0] && { holder: r.rows[0].holder, term: Number(r.rows[0].term) };
  } finally {
    await c.end();
  }
}

test('two cores on one PostgreSQL: one leads, one follows; kill -9 of the leader, the standby leads within 5 s and serves its state', async () => {
  const dirA = tempDir('osmo-pg-cores-a-');
  const dirB = tempDir('osmo-pg-cores-b-');
  const [pa, pb] = [await freePort(), await freePort()];
  // both at once on an empty database: the migration lock lets one migrate, the other waits
  let a = startCoreProc(dirA, pa);
  const b = startCoreProc(dirB, pb);
  let leader!: Core;
  let standby!: Core;
  await eventually(
    async () => {
      const [la, lb] = [await isLeader(a), await isLeader(b)];
      const [sa, sb] = [await isStandby(a), await isStandby(b)];
      if (la && sb) [leader, standby] = [a, b];
      else if (lb && sa) [leader, standby] = [b, a];
      return (la && sb) || (lb && sa);
    },
    60_000,
    'one leader and one follower',
  );
  const migrated = new pg.Client({ connectionString: url });
  await migrated.connect();
  try {
    const r = await migrated.query<{ name: string }>('select name from kysely_migration order by name');
    assert.deepEqual(
      r.rows.map((x) => x.name),
      Object.keys(MIGRATIONS).sort(),
    );
  } finally {
    await migrated.end();
  }
  const term1 = await leaderRow();
  assert.equal(term1?.term, 1);

  const cores = (await (await fetch(`${leader.url}/api/v1/system/cores`)).json()) as {
    self: string;
    leader: { holder: string; term: number };
    cores: Array<{ holder: string; leader: boolean }>;
  };
  assert.equal(cores.leader.holder, cores.self);
  assert.equal(cores.leader.term, 1);
  assert.equal(cores.cores.length, 2, JSON.stringify(cores));
  assert.deepEqual(
    cores.cores.filter((c) => c.leader).map((c) => c.holder),
    [cores.self],
  );

  const mel = { name: 'pg-cores-web', image: 'osmo-test/sleeper:1', replicas: 2 };
  const created = await fetch(`${leader.url}/api/v1/mels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(mel),
  });
  assert.equal(created.status, 201);

  leader.proc.child.kill('SIGKILL');
  // the lead (the term row) moves within 5 s of the kill
  await eventually(async () => (await leaderRow())?.term === 2, 5_000, 'the standby takes the lease within 5 s');
  assert.match((await leaderRow())!.holder, new RegExp(`@127\\.0\\.0\\.1:${standby.port}$`));
  await eventually(async () => isLeader(standby), 30_000, 'the new leader serves');
  const got = await fetch(`${standby.url}/api/v1/mels/${mel.name}`);
  assert.equal(got.status, 200, 'the MEL the old leader stored');
  assert.equal(((await got.json()) as { replicas: number }).replicas, 2);

  // the old leader, started again, waits as a standby
  if (leader === a) {
    a = startCoreProc(dirA, pa);
    await eventually(async () => isStandby(a), 30_000, 'the old leader comes back as a follower');
  } else {
    const again = startCoreProc(dirB, pb);
    await eventually(async () => isStandby(again), 30_000, 'the old leader comes back as a follower');
  }
  assert.equal((await leaderRow())?.term, 2, 'and takes nothing from the new leader');
});
