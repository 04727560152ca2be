// A real agent given the follower's URL first and the leader's second (`--core B,A`, two
// `osmo core` processes on one private PostgreSQL and one nats-server) settles on the
// leader: its registration reaches the leader through the follower (counted by the leader's
// osmo_core_forwarded_requests_total), and from then on its heartbeats go to the leader
// straight, so the forwarded count of heartbeats stops growing while the leader keeps
// receiving them. An agent given the follower alone keeps being forwarded: the counter
// does see forwarded heartbeats.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnAgent, type CoreProc } from '../../../testing/cluster.js';
import { eventually, freePort, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';
import { copyClusterSecrets, coreRole, replicaCoreArgs, startPgNats, type PgNats } from '../../../testing/replica-cores.js';

const RUN = Math.random().toString(36).slice(2, 7);
const SETTLES = `settle-${RUN}-both`;
const STAYS = `settle-${RUN}-one`;
const HB = '/api/v1/agent/heartbeat';

let engines: PgNats;
const procs: OsmoProcess[] = [];
before(async () => {
  engines = await startPgNats('agent_settles');
});
after(async () => {
  for (const p of procs.reverse()) await p.stop('SIGKILL');
  await engines?.stop();
});

async function startCore(secretsFrom?: string): Promise<{ url: string; dataDir: string }> {
  const dataDir = tempDir('osmo-settle-core-');
  if (secretsFrom) copyClusterSecrets(secretsFrom, dataDir);
  const port = await freePort();
  procs.push(spawnOsmo(replicaCoreArgs({ port, dataDir, store: engines.store, bus: engines.nats.url })));
  return { url: `http://127.0.0.1:${port}`, dataDir };
}

/** One scrape of the leader: forwarded requests by route, and the heartbeats it answered 200 (direct or forwarded). */
async function scrape(url: string, token: string): Promise<{ forwarded: (route: string) => number; heartbeats: number }> {
  const r = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  assert.equal(r.status, 200, text.slice(0, 200));
  const value = (prefix: string) => {
    const line = text.split('\n').find((l) => l.startsWith(prefix));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  return {
    forwarded: (route) => value(`osmo_core_forwarded_requests_total{route="${route}"} `),
    heartbeats: value(`osmo_api_request_duration_seconds_count{method="POST",route="${HB}",status="200"} `),
  };
}

test('an agent given the follower and the leader ends talking to the leader: the forwarded heartbeats stop', async () => {
  const a = await startCore();
  await eventually(async () => (await coreRole(a.url)) === 'leader', 60_000, 'core A leads');
  const b = await startCore(a.dataDir);
  await eventually(async () => (await coreRole(b.url)) === 'follower', 60_000, 'core B follows');
  const token = readFileSync(join(a.dataDir, 'join-token'), 'utf8').trim();

  const agent = await spawnAgent({ url: `${b.url},${a.url}`, token } as CoreProc, SETTLES, 'edge', 'settle', ['--driver', 'process']);
  procs.push(agent.proc);
  // the first call went to the follower, which forwarded it
  await eventually(async () => (await scrape(a.url, token)).forwarded('/api/v1/agent/register') >= 1, 30_000, 'registration forwarded');
  // ready on the leader: heartbeats arrive
  const first = await eventually(
    async () => {
      const s = await scrape(a.url, token);
      return s.heartbeats >= 2 ? s : undefined;
    },
    30_000,
    'heartbeats at the leader',
  );
  // a dozen more heartbeats (500 ms apart by default) reach the leader, none of them forwarded
  const settled = first.forwarded(HB);
  const later = await eventually(
    async () => {
      const s = await scrape(a.url, token);
      return s.heartbeats >= first.heartbeats + 12 ? s : undefined;
    },
    30_000,
    'twelve more heartbeats at the leader',
  );
  assert.equal(later.forwarded(HB), settled, 'no heartbeat forwarded once the agent settled');
  assert.ok(settled <= 1, `at most the first heartbeat forwarded (${settled})`);

  // the same counter does see an agent that has the follower only
  const stays = await spawnAgent({ url: b.url, token } as CoreProc, STAYS, 'edge', 'settle', ['--driver', 'process']);
  procs.push(stays.proc);
  await eventually(
    async () => (await scrape(a.url, token)).forwarded(HB) >= settled + 5,
    30_000,
    "the one-URL agent's heartbeats forwarded",
  );
});
