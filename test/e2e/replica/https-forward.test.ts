// Two cores off loopback (0.0.0.0, advertised as 127.0.0.1) on one PostgreSQL and one NATS,
// serving HTTPS with the cores' own CA, none of them given NODE_EXTRA_CA_CERTS:
//  - the second core takes the first one's CA from the store (only join-token and command-key
//    copied, as docs/production.md says), so one CA serves the cluster;
//  - a write posted to the follower lands through the leader (checked on the leader), and the
//    leader's answers come back as they are: status, headers, a 4xx body, a gzip body;
//  - a core whose data dir holds another CA refuses to start on that store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startNats, type NatsCluster } from '../../../testing/nats.js';
import { startPostgres, type TestPostgres } from '../../../testing/pg.js';
import { eventually, freePort, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';

const RUN = Math.random().toString(36).slice(2, 7);
const MEL = `replica-${RUN}-tlsweb`;

let pgServer: TestPostgres;
let nats: NatsCluster;
let store: string;
const procs: OsmoProcess[] = [];
// the cores must trust their CA by themselves
const NO_EXTRA_CA = { NODE_EXTRA_CA_CERTS: '' };

before(async () => {
  [pgServer, nats] = await Promise.all([startPostgres(), startNats(1)]);
  store = await pgServer.database('replica_https');
});
after(async () => {
  for (const p of procs.reverse()) await p.stop('SIGKILL');
  await nats?.stop();
  await pgServer?.stop();
});

function startCore(dataDir: string, port: number): OsmoProcess {
  const p = spawnOsmo(
    ['core', '--listen', `0.0.0.0:${port}`, '--advertise', `127.0.0.1:${port}`, '--data-dir', dataDir, '--store', store, '--bus', nats.url],
    NO_EXTRA_CA,
  );
  procs.push(p);
  return p;
}

/** eventually(), with the process's output in the failure */
async function waitFor(cond: () => boolean | Promise<boolean>, what: string, p: OsmoProcess): Promise<void> {
  try {
    await eventually(cond, 90_000, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${p.output()}`, { cause: e });
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTPS request trusting only `ca` (not the system's CAs). */
function call(url: string, ca: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a follower forwards over HTTPS to the leader with the cluster CA it shares, without NODE_EXTRA_CA_CERTS', async () => {
  const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
  const dirA = tempDir('osmo-replica-tls-a-');
  const dirB = tempDir('osmo-replica-tls-b-');
  const a = startCore(dirA, pa);
  const urlA = `https://127.0.0.1:${pa}`;
  const urlB = `https://127.0.0.1:${pb}`;
  await waitFor(
    async () => {
      try {
        const r = await call(`${urlA}/healthz`, readFileSync(join(dirA, 'ca.pem'), 'utf8'), 'GET', {});
        return r.status === 200 && r.headers['x-osmo-via'] === `leader ${urlA}`;
      } catch {
        return false;
      }
    },
    'core A leads over HTTPS',
    a,
  );
  const ca = readFileSync(join(dirA, 'ca.pem'), 'utf8');
  const token = readFileSync(join(dirA, 'join-token'), 'utf8').trim();
  for (const f of ['join-token', 'command-key']) copyFileSync(join(dirA, f), join(dirB, f));
  const b = startCore(dirB, pb);
  // B's serving certificate verifies against A's CA: there is one CA
  await waitFor(
    async () => {
      try {
        const r = await call(`${urlB}/healthz`, ca, 'GET', {});
        return r.status === 200 && String(r.headers['x-osmo-via']).startsWith('follower ');
      } catch {
        return false;
      }
    },
    "core B follows over HTTPS, its certificate from A's CA",
    b,
  );
  assert.equal(readFileSync(join(dirB, 'ca.pem'), 'utf8'), ca, "B's data dir holds the cluster's CA");

  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const posted = await call(
    `${urlB}/api/v1/mels`,
    ca,
    'POST',
    json,
    JSON.stringify({ name: MEL, image: 'osmo-test/httpd:1', replicas: 1 }),
  );
  assert.equal(posted.status, 201, posted.body.toString());
  // the follower names the leader, so a client given both moves there
  assert.match(
    String(posted.headers['x-osmo-via']),
    new RegExp(`^follower [^;]+; leader ${urlA.replace(/\./g, '\\.')}$`),
    'answered through the follower',
  );
  assert.equal((JSON.parse(posted.body.toString()) as { name: string }).name, MEL);
  const onLeader = await call(`${urlA}/api/v1/mels/${MEL}`, ca, 'GET', auth);
  assert.equal(onLeader.status, 200, 'the write landed on the leader');
  assert.equal(onLeader.headers['x-osmo-via'], `leader ${urlA}`);

  // the leader's refusal comes back verbatim: the same MEL again is a conflict
  const again = await call(`${urlB}/api/v1/mels`, ca, 'POST', json, JSON.stringify({ name: MEL, image: 'osmo-test/httpd:1', replicas: 1 }));
  assert.equal(again.status, 409, again.body.toString());
  assert.match(again.body.toString(), /OSMO_/);
  // a compressed answer travels as the leader encoded it
  const zipped = await call(`${urlB}/api/v1/mels`, ca, 'GET', { ...auth, 'accept-encoding': 'gzip' });
  assert.equal(zipped.status, 200);
  const text = zipped.headers['content-encoding'] === 'gzip' ? gunzipSync(zipped.body).toString() : zipped.body.toString();
  assert.ok(
    (JSON.parse(text) as { mels: Array<{ name: string }> }).mels.some((m) => m.name === MEL),
    'the list through the follower',
  );

  // a data dir with a CA of its own is not let into the cluster
  const dirC = tempDir('osmo-replica-tls-c-');
  for (const f of ['join-token', 'command-key']) copyFileSync(join(dirA, f), join(dirC, f));
  // a core off loopback on SQLite makes a CA of its own
  const withCa = spawnOsmo(['core', '--listen', `0.0.0.0:${pc}`, '--data-dir', dirC, '--store', `sqlite:${join(dirC, 'x.db')}`]);
  procs.push(withCa);
  await waitFor(() => withCa.output().includes('listening'), 'a core with its own CA', withCa);
  await withCa.stop();
  assert.notEqual(readFileSync(join(dirC, 'ca.pem'), 'utf8'), ca);
  const c = spawnOsmo(['core', '--listen', `0.0.0.0:${pc}`, '--data-dir', dirC, '--store', store], NO_EXTRA_CA);
  procs.push(c);
  await waitFor(() => c.child.exitCode !== null, 'the core with another CA exits', c);
  assert.equal(c.child.exitCode, 1, c.output());
  assert.match(c.output(), /is not the CA of the cluster on this store/);
});
