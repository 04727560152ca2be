// A client given several cores settles on the leader (src/client/failover.ts), against real
// HTTP servers on 127.0.0.1: one plays the leader (its answers marked `leader <its URL>`), the
// others followers that forward each request to it over HTTP and mark the answer as a real
// follower does. The client moves to the leader a follower names; with no leader in its list
// it holds its base for the hold time (a clock the test moves), then looks again; one URL
// alone never moves; the agent's core client keeps its base across a credential swap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { z } from 'zod';
import { HttpClient } from '../../../src/client/http.js';
import { exchange } from '../../../src/client/exchange.js';
import { followerVia, leaderVia, VIA } from '../../../src/client/via.js';
import { CoreClient as AgentCoreClient } from '../../../src/agent/events/core-client.js';

const servers: Server[] = [];
/** "server-name bearer" per request, in order */
const hits: string[] = [];
let leader = '';
let f1 = '';
let f2 = '';
/** a follower that names no leader (an older core, or one that does not know it yet) */
let mute = '';

function listen(s: Server): Promise<string> {
  servers.push(s);
  return new Promise((r) =>
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      r(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
    }),
  );
}

const bearer = (req: IncomingMessage) => String(req.headers.authorization ?? '-');

async function startLeader(): Promise<string> {
  let self = '';
  const s = createServer((req, res) => {
    // a forwarded request is counted as the follower's: the leader's own tally is of direct ones
    if (req.headers[VIA] === undefined) hits.push(`leader ${bearer(req)}`);
    res.writeHead(200, { 'content-type': 'application/json', [VIA]: leaderVia(self) }).end('{"ok":true}');
  });
  self = await listen(s);
  return self;
}

async function startFollower(name: string, named: boolean): Promise<string> {
  const s = createServer((req, res) => {
    hits.push(`${name} ${bearer(req)}`);
    const headers: Record<string, string> = { [VIA]: name };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    exchange(`${leader}${req.url}`, req.method ?? 'GET', headers, null, 5000).then(
      (r) =>
        res.writeHead(r.status, { 'content-type': 'application/json', [VIA]: followerVia(name, named ? leader : undefined) }).end(r.text),
      () => res.writeHead(503).end(),
    );
  });
  return listen(s);
}

before(async () => {
  leader = await startLeader();
  f1 = await startFollower('f1', true);
  f2 = await startFollower('f2', true);
  mute = await startFollower('mute', false);
});
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const Ok = z.object({ ok: z.literal(true) });
const names = () => hits.map((h) => h.split(' ')[0]!);

async function calls(c: HttpClient, n: number): Promise<string[]> {
  hits.length = 0;
  for (let i = 0; i < n; i++) await c.call('GET', '/x', { response: Ok });
  return names();
}

test('exchange() returns the x-osmo-via of the answer', async () => {
  const direct = await exchange(`${leader}/x`, 'GET', {}, null, 5000);
  assert.equal(direct.via, `leader ${leader}`);
  const forwarded = await exchange(`${f1}/x`, 'GET', {}, null, 5000);
  assert.equal(forwarded.via, `follower f1; leader ${leader}`);
});

test('a forwarded answer moves the client to the leader it names; it stays there', async () => {
  const c = new HttpClient('core', { base: `${f1},${f2},${leader}` });
  assert.deepEqual(await calls(c, 4), ['f1', 'leader', 'leader', 'leader']);
  assert.equal(c.base, leader);
  assert.equal(c.holding, false);
});

test('a follower that does not name the leader: the client tries the next base, and stays on the leader there', async () => {
  const c = new HttpClient('core', { base: `${mute},${leader}` });
  assert.deepEqual(await calls(c, 3), ['mute', 'leader', 'leader']);
  assert.equal(c.base, leader);
});

test('no leader in the list: after one round of forwarded answers the client holds its base for the hold time, then looks again', async () => {
  let now = 1_000_000;
  const c = new HttpClient('core', { base: `${f1},${f2}`, settle: { holdMs: 30_000, now: () => now } });
  // f1 forwards, names a leader not in the list: the next base; f2 forwards too: a whole round, hold on f2
  assert.deepEqual(await calls(c, 5), ['f1', 'f2', 'f2', 'f2', 'f2']);
  assert.equal(c.holding, true);
  now += 29_000;
  assert.deepEqual(await calls(c, 2), ['f2', 'f2'], 'still within the hold');
  now += 1_001;
  assert.equal(c.holding, false);
  // looks again: one more round, then holds again (on f1 this time): no flapping between calls
  assert.deepEqual(await calls(c, 4), ['f2', 'f1', 'f1', 'f1']);
  assert.equal(c.holding, true);
  assert.equal(c.base, f1);
});

test('a single URL is never left, forwarded or not', async () => {
  const c = new HttpClient('core', { base: f1 });
  assert.deepEqual(await calls(c, 3), ['f1', 'f1', 'f1']);
  assert.equal(c.base, f1);
  assert.equal(c.holding, false);
});

test("the agent's core client keeps the base it settled on when its credential changes", async () => {
  const c = new AgentCoreClient({ url: `${f2},${leader}`, token: 'join' });
  hits.length = 0;
  await c.call('GET', '/x', Ok);
  await c.call('GET', '/x', Ok);
  assert.equal(c.base, leader);
  c.useCredential('node-credential');
  await c.call('GET', '/x', Ok);
  assert.equal(c.base, leader);
  assert.deepEqual(hits, ['f2 Bearer join', 'leader Bearer join', 'leader Bearer node-credential']);
});
