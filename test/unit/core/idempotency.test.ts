// The pure part of idempotency keys (fingerprint, what answer is kept, the verdict on a key
// already taken, which routes honour it, the header's rules) and the service over a real
// SQLite store: reserve, in flight, release on a 5xx, replay, expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { IdempotencyKey } from '../../../src/model/index.js';
import { fingerprintOf, judge, keptBody, type Keyed } from '../../../src/core/idempotency/decide.js';
import { honoursKey, principalId } from '../../../src/core/idempotency/hooks.js';
import { Idempotency } from '../../../src/core/idempotency/service.js';
import { openStore, type IdempotencyRow } from '../../../src/store/index.js';
import { tempDir } from '../../../testing/proc.js';

const req: Keyed = { principal: 'token:t1', key: 'k1', method: 'POST', path: '/api/v1/tokens', fingerprint: 'f1' };
const row = (over: Partial<IdempotencyRow> = {}): IdempotencyRow => ({
  ...req,
  owner: 'core#a',
  status: 201,
  contentType: 'application/json; charset=utf-8',
  body: '{"id":"x"}',
  createdAt: 1,
  ...over,
});

test('the header: 1-255 printable ASCII characters', () => {
  for (const ok of ['a', 'x'.repeat(255), '3f1c-uuid', 'with space ~!']) assert.ok(IdempotencyKey.safeParse(ok).success, ok);
  for (const bad of ['', 'x'.repeat(256), 'tab\there', 'é', 'new\nline']) assert.ok(!IdempotencyKey.safeParse(bad).success, bad);
});

test('fingerprint: the same document in other whitespace is the same; another body, another; a stream by its type and length', () => {
  const h = { 'content-type': 'application/json' };
  assert.equal(fingerprintOf({ a: 1 }, h), fingerprintOf(JSON.parse('{ "a" :  1 }'), h));
  assert.notEqual(fingerprintOf({ a: 1 }, h), fingerprintOf({ a: 2 }, h));
  assert.equal(fingerprintOf(undefined, {}), fingerprintOf(null, {}));
  assert.equal(fingerprintOf('<x/>', {}), fingerprintOf(Buffer.from('<x/>'), {}));
  const s = { 'content-type': 'application/octet-stream', 'content-length': '10' };
  assert.equal(fingerprintOf(Readable.from(['a']), s), fingerprintOf(Readable.from(['b']), s));
  assert.notEqual(fingerprintOf(Readable.from(['a']), s), fingerprintOf(Readable.from(['a']), { ...s, 'content-length': '11' }));
  // multipart: the boundary parameter differs per try, the media type and length do not
  const mp = (b: string) => ({ 'content-type': `multipart/form-data; boundary=${b}`, 'content-length': '99' });
  assert.equal(fingerprintOf(undefined, mp('x1')), fingerprintOf(undefined, mp('y2')));
});

test('kept answers: text up to the bound; larger ones, streams and bytes that are not UTF-8 are not kept', () => {
  assert.equal(keptBody('{"a":1}', 100), '{"a":1}');
  assert.equal(keptBody(Buffer.from('<ok/>'), 100), '<ok/>');
  assert.equal(keptBody(undefined, 100), '');
  assert.equal(keptBody('x'.repeat(101), 100), null);
  assert.equal(keptBody('é'.repeat(51), 101), null); // 102 bytes
  assert.equal(keptBody(Buffer.from([0xff, 0xfe]), 100), null);
  assert.equal(keptBody(Readable.from(['a']), 100), null);
});

test('the verdict on a key already taken', () => {
  const self = { owner: 'core#a', running: false };
  assert.deepEqual(judge(row(), req, self), {
    kind: 'replay',
    status: 201,
    contentType: 'application/json; charset=utf-8',
    body: '{"id":"x"}',
  });
  assert.equal(judge(row({ fingerprint: 'f2' }), req, self).kind, 'mismatch');
  assert.equal(judge(row({ path: '/api/v1/plans' }), req, self).kind, 'mismatch');
  assert.equal(judge(row({ method: 'PATCH' }), req, self).kind, 'mismatch');
  // a mismatch wins over in-flight: the client is told its mistake first
  assert.equal(judge(row({ status: null, body: null, fingerprint: 'f2' }), req, { owner: 'core#a', running: true }).kind, 'mismatch');
  assert.deepEqual(judge(row({ status: null, body: null }), req, { owner: 'core#a', running: true }), { kind: 'in-flight' });
  // reserved by a core that is gone (or by this one in a request that never finished)
  assert.equal(judge(row({ status: null, body: null, owner: 'core#b' }), req, self).kind, 'not-replayable');
  assert.equal(judge(row({ status: null, body: null }), req, self).kind, 'not-replayable');
  const big = judge(row({ body: null }), req, self);
  assert.equal(big.kind, 'not-replayable');
  assert.match((big as { why: string }).why, /took effect \(status 201\)/);
});

test('which routes honour the key: POST and PATCH of the client and admin API', () => {
  assert.ok(honoursKey('POST', 'admin') && honoursKey('post', 'client') && honoursKey('PATCH', 'admin'));
  for (const [m, a] of [
    ['PUT', 'admin'],
    ['DELETE', 'client'],
    ['GET', 'client'],
    ['POST', 'agent'],
    ['POST', 'public'],
  ] as const)
    assert.ok(!honoursKey(m, a), `${m} ${a}`);
  assert.equal(principalId({ kind: 'token', subject: 'token:ci', scope: 'admin', id: 'tok1' }), 'token:tok1');
  assert.equal(principalId({ kind: 'join', subject: 'join-token', scope: 'admin' }), 'join-token');
});

test('the service over SQLite: reserve, in flight, a 5xx releases, an answer replays, expiry frees the key', async () => {
  const store = await openStore(tempDir('osmo-idem-unit-'));
  try {
    const svc = new Idempotency(store, 'unit', 1000);
    assert.deepEqual(await svc.begin(req, 10_000), { kind: 'go' });
    assert.deepEqual(await svc.begin(req, 10_001), { kind: 'in-flight' });
    await svc.finish(req, undefined);
    assert.equal(await store.idempotency.get(req.principal, req.key), undefined);
    assert.deepEqual(await svc.begin(req, 10_002), { kind: 'go' });
    await svc.finish(req, { status: 404, contentType: 'application/json', body: '{"no":1}' });
    assert.deepEqual(await svc.begin(req, 10_003), { kind: 'replay', status: 404, contentType: 'application/json', body: '{"no":1}' });
    // another process (a new leader) sees the row; an unfinished one of a gone core is not replayable
    const other = new Idempotency(store, 'unit2', 1000);
    assert.equal((await other.begin(req, 10_004)).kind, 'replay');
    const k2 = { ...req, key: 'k2' };
    assert.equal((await svc.begin(k2, 10_005)).kind, 'go');
    assert.equal((await other.begin(k2, 10_006)).kind, 'not-replayable');
    // past the TTL the key is free again, with or without the periodic job
    assert.deepEqual(await other.begin(req, 11_003), { kind: 'go' });
    assert.equal(await svc.expire(12_010), 2);
    assert.equal(await store.idempotency.get(req.principal, req.key), undefined);
  } finally {
    await store.close();
  }
});
