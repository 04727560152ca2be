// The Idempotency-Key header against a real core, written once and run on each store dialect:
// test/e2e/core/idempotency.test.ts (SQLite), test/e2e/store/idempotency-pg.test.ts
// (PostgreSQL). `core()` is the core under test; `restart()` stops it and starts a new core
// process on the same store (what a new leader finds after a failover).
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';

export interface KeyedAnswer {
  status: number;
  text: string;
  json: Record<string, unknown>;
  replayed: string | null;
}

/** One request with `key` (none when undefined) and `token` as bearer. */
export async function send(
  url: string,
  method: string,
  path: string,
  o: { body?: unknown; key?: string; token?: string } = {},
): Promise<KeyedAnswer> {
  const headers: Record<string, string> = {};
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.key !== undefined) headers['idempotency-key'] = o.key;
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  const r = await fetch(`${url}${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the text is enough
  }
  return { status: r.status, text, json, replayed: r.headers.get('idempotent-replayed') };
}

export interface CaseTarget {
  core(): { url: string; token: string };
  restart(): Promise<void>;
}

const tokenCount = async (url: string, token: string) =>
  ((await send(url, 'GET', '/api/v1/tokens', { token })).json.tokens as unknown[]).length;

export function idempotencyCases(t: CaseTarget): void {
  test('a repeated POST /api/v1/tokens with one key makes one token and answers the same bytes, marked replayed', async () => {
    const { url, token } = t.core();
    const key = randomUUID();
    const before = await tokenCount(url, token);
    const first = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.replayed, null);
    const again = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.text, first.text);
    assert.equal(again.replayed, 'true');
    assert.equal(await tokenCount(url, token), before + 1);
    // the same request without a key acts again: the key is what made the repeat safe
    const unkeyed = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, token });
    assert.equal(unkeyed.status, 201);
    assert.notEqual(unkeyed.json.token, first.json.token);
  });

  test('a named token: the repeat replays the 201 (without a key it would be a 409, the name taken)', async () => {
    const { url, token } = t.core();
    const key = randomUUID();
    const body = { scope: 'admin', name: `idem-${key.slice(0, 8)}` };
    const first = await send(url, 'POST', '/api/v1/tokens', { body, key, token });
    assert.equal(first.status, 201, first.text);
    const again = await send(url, 'POST', '/api/v1/tokens', { body, key, token });
    assert.deepEqual([again.status, again.text], [201, first.text]);
    assert.equal((await send(url, 'POST', '/api/v1/tokens', { body, token })).status, 409);
  });

  test('the key with another body or another path is a 422 OSMO_IDEMPOTENCY_KEY_REUSED, and nothing more is made', async () => {
    const { url, token } = t.core();
    const key = randomUUID();
    assert.equal((await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token })).status, 201);
    const before = await tokenCount(url, token);
    const other = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'admin' }, key, token });
    assert.equal(other.status, 422, other.text);
    assert.equal(other.json.code, 'OSMO_IDEMPOTENCY_KEY_REUSED');
    assert.match(String(other.json.error), /another body/);
    const elsewhere = await send(url, 'POST', '/api/v1/join-token/rotate', { key, token });
    assert.equal(elsewhere.status, 422, elsewhere.text);
    assert.match(String(elsewhere.json.error), /first used for POST \/api\/v1\/tokens/);
    assert.equal(await tokenCount(url, token), before);
  });

  test('a bad key is a 400 OSMO_IDEMPOTENCY_KEY_INVALID naming the rule; the same body without it still works', async () => {
    const { url, token } = t.core();
    for (const [key, rule] of [
      ['x'.repeat(256), /at most 255/],
      ['a\tb', /printable ASCII/],
    ] as const) {
      const r = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.code, 'OSMO_IDEMPOTENCY_KEY_INVALID');
      assert.match(String(r.json.error), rule);
    }
    // a body refused by validation does not take the key: the fixed request acts with it
    const key = randomUUID();
    assert.equal((await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'nope' }, key, token })).status, 400);
    assert.equal((await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token })).status, 201);
  });

  test('keys are per caller: one key from two tokens is two requests', async () => {
    const { url, token } = t.core();
    const other = (await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'admin' }, token })).json.token as string;
    const key = randomUUID();
    const a = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token });
    const b = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token: other });
    assert.deepEqual([a.status, b.status, b.replayed], [201, 201, null]);
    assert.notEqual(a.json.id, b.json.id);
  });

  test('a repeated join-token rotation rotates once: the repeat answers the token in force', async () => {
    const { url, token } = t.core();
    const key = randomUUID();
    const first = await send(url, 'POST', '/api/v1/join-token/rotate', { key, token });
    assert.equal(first.status, 200, first.text);
    const again = await send(url, 'POST', '/api/v1/join-token/rotate', { key, token });
    assert.deepEqual([again.status, again.json.token, again.replayed], [200, first.json.token, 'true']);
    // the rotated token is the one in force: a second rotation would have voided it
    assert.equal((await send(url, 'GET', '/api/v1/tokens', { token: first.json.token as string })).status, 200);
  });

  test('the key outlives the core: a new core process on the same store replays it', async () => {
    const key = randomUUID();
    const { url, token } = t.core();
    const first = await send(url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token });
    assert.equal(first.status, 201);
    await t.restart();
    const next = t.core();
    const again = await send(next.url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only' }, key, token });
    assert.deepEqual([again.status, again.text, again.replayed], [201, first.text, 'true']);
  });
}
