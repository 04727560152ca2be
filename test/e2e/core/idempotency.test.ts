// Idempotency-Key on a real core over SQLite (the cases in testing/idempotency-cases.ts; the
// same run on PostgreSQL in test/e2e/store/idempotency-pg.test.ts), the OpenAPI document's
// account of the header, and the typed client: one key for all the tries of one call, so a
// call cut after it reached a core and retried on the next acts once.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { CoreClient } from '../../../src/client/index.js';
import { tempDir } from '../../../testing/proc.js';
import { idempotencyCases, send } from '../../../testing/idempotency-cases.js';

const dataDir = tempDir('osmo-idem-sqlite-');
let core: CoreHandle;
let token: string;
const boot = () => startCore({ listen: '127.0.0.1:0', dataDir, processMetrics: false });

before(async () => {
  core = await boot();
  const r = await send(core.url, 'POST', '/api/v1/tokens', { body: { scope: 'admin', name: 'idem-admin' }, token: core.token });
  assert.equal(r.status, 201, r.text);
  token = r.json.token as string;
});
after(async () => {
  await core?.close();
});

idempotencyCases({
  core: () => ({ url: core.url, token }),
  async restart() {
    await core.close();
    core = await boot();
  },
});

test('/openapi.json documents the header and its 409 and 422 on POSTs, not on GETs or the agent protocol', async () => {
  const doc = (await (await fetch(`${core.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown> }>>;
  };
  const post = doc.paths['/api/v1/tokens']!.post!;
  assert.ok(
    post.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
    JSON.stringify(post.parameters),
  );
  for (const s of ['400', '409', '422']) assert.ok(post.responses[s], `POST /api/v1/tokens documents ${s}`);
  const migrate = doc.paths['/api/v1/instances/{id}/migrate']!.post!;
  assert.ok(migrate.responses['422'] && migrate.parameters?.some((p) => p.name === 'idempotency-key'));
  const get = doc.paths['/api/v1/tokens']!.get!;
  assert.ok(!get.parameters?.some((p) => p.name === 'idempotency-key'));
  const heartbeat = Object.entries(doc.paths).find(([p]) => p.startsWith('/api/v1/agent/'))![1].post;
  assert.ok(heartbeat && !heartbeat.parameters?.some((p) => p.name === 'idempotency-key'));
});

test('the typed client sends one key for all tries of a call: a call cut at the first core and retried on the next acts once', async () => {
  // a stand-in for a core that dies mid-request (it reads the request, then drops the
  // connection without answering): what the client cannot tell from a write that took effect
  const seen: string[] = [];
  const dying: Server = createServer((req, res) => {
    seen.push(String(req.headers['idempotency-key']));
    req.resume();
    req.once('end', () => res.socket?.destroy());
  });
  await new Promise<void>((r) => dying.listen(0, '127.0.0.1', r));
  try {
    const port = (dying.address() as { port: number }).port;
    const client = new CoreClient({ base: `http://127.0.0.1:${port},${core.url}`, token });
    const made = await client.createToken('read-only', `idem-client-${randomUUID().slice(0, 8)}`);
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, /^[0-9a-f-]{36}$/);
    // the core got the same key: sent again by hand, it replays the token the client got
    const again = await send(core.url, 'POST', '/api/v1/tokens', { body: { scope: 'read-only', name: made.name }, key: seen[0]!, token });
    assert.deepEqual([again.status, again.replayed, again.json.token], [201, 'true', made.token]);
    // each call has its own key (a new client: this one stays on the core that answered)
    await new CoreClient({ base: `http://127.0.0.1:${port},${core.url}`, token }).createToken('read-only');
    assert.equal(seen.length, 2);
    assert.notEqual(seen[1], seen[0]);
  } finally {
    await new Promise<void>((r) => dying.close(() => r()));
  }
});
