// Several base URLs (src/client/failover.ts) against in-process HTTP servers: a call moves
// past a core that refuses connections or answers 503 OSMO_NO_LEADER, stays on the one that
// answered, returns other answers (errors included) as they are, and gives up when the
// window has passed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { z } from 'zod';
import { HttpClient } from '../../../src/client/http.js';
import { ApiError } from '../../../src/client/errors.js';
import { freePort } from '../../../testing/proc.js';

const noLeader = JSON.stringify({ response: false, status: 503, error: 'no leader to forward to', code: 'OSMO_NO_LEADER' });
const unavailable = JSON.stringify({ response: false, status: 503, error: 'engine', code: 'OSMO_UNAVAILABLE' });
let leaderless = 0;
const hits: string[] = [];
const servers: Server[] = [];
let dead = '';
let follower = '';
let other = '';

function serve(name: string, answer: (url: string) => [number, string]): Promise<string> {
  const s = createServer((req, res) => {
    hits.push(`${name} ${req.url}`);
    const [status, body] = answer(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  servers.push(s);
  return new Promise((r) =>
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      r(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
    }),
  );
}

before(async () => {
  dead = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  follower = await serve('follower', (url) => {
    if (url === '/unavailable') return [503, unavailable];
    if (leaderless > 0) {
      leaderless--;
      return [503, noLeader];
    }
    return [200, '{"ok":true}'];
  });
  other = await serve('other', () => [503, noLeader]);
});
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const Ok = z.object({ ok: z.literal(true) });

test('an unreachable core and a core without a leader are passed over; the client stays where it was answered', async () => {
  hits.length = 0;
  leaderless = 2;
  const c = new HttpClient('core', { base: `${dead},${other},${follower}/`, failoverMs: 10_000 });
  assert.deepEqual(await c.call('GET', '/x', { response: Ok }), { ok: true });
  assert.equal(c.base, follower);
  // twice "no leader" from the follower, "no leader" from the other each round, then the answer
  assert.equal(hits.filter((h) => h.startsWith('follower')).length, 3);
  hits.length = 0;
  assert.deepEqual(await c.call('GET', '/y', { response: Ok }), { ok: true });
  assert.deepEqual(hits, ['follower /y'], 'the next call goes straight to the core that answered');
});

test('any other answer, a 503 of another kind included, is the answer', async () => {
  const c = new HttpClient('core', { base: `${follower},${other}`, failoverMs: 10_000 });
  await assert.rejects(
    c.call('GET', '/unavailable', { response: Ok }),
    (e: unknown) => e instanceof ApiError && e.info.status === 503 && e.info.code === 'OSMO_UNAVAILABLE',
  );
  assert.equal(c.base, follower);
});

test('past the window: the last failure, naming the core', async () => {
  const c = new HttpClient('core', { base: `${other},${other}`, failoverMs: 600 });
  const r = await c.send('GET', '/z');
  assert.equal(r.status, 503, 'the last answer was "no leader": that is the answer');
  const dead2 = `http://127.0.0.1:${await freePort()}`;
  const d = new HttpClient('core', { base: `${dead},${dead2}`, failoverMs: 600 });
  await assert.rejects(
    d.send('GET', '/z'),
    (e: unknown) => e instanceof ApiError && e.kind === 'unreachable' && /cannot reach the core at/.test(e.message),
  );
});

test('one base: no retry at all', async () => {
  hits.length = 0;
  const c = new HttpClient('core', { base: other });
  assert.equal((await c.send('GET', '/once')).status, 503);
  assert.deepEqual(hits, ['other /once']);
});
