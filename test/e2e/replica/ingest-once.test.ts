// A batch's samples are stored once even when the core dies right after storing it: the
// samples, the batch's events and the node's acked seq commit in one transaction, so the
// core that comes back (a real process, kill -9, the same SQLite file) tells the agent the
// seq it has and drops the batch the agent sends again. Before, the seq followed within
// 500 ms and a kill in that window counted every sample of the batch twice.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { tempDir } from '../../../testing/proc.js';

const NODE = 'replica-once-1';
let core: CoreProc | undefined;
after(async () => {
  await core?.proc.stop('SIGKILL');
});

async function post(c: CoreProc, path: string, auth: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${c.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

const registration = {
  id: NODE,
  address: 'http://127.0.0.1:9',
  layer: 'edge',
  domain: 'replica',
  capacity: { cpus: 1, memoryBytes: 1 << 30 },
  drivers: ['docker'],
  version: 'test',
  lastSeq: 10,
};
const batch = {
  node: NODE,
  events: Array.from({ length: 10 }, (_, i) => ({
    seq: i + 1,
    node: NODE,
    ts: 1_700_000_000_000 + i * 1000,
    type: 'sample',
    source: 'host',
    target: 'host',
    metric: 'cpu',
    fields: { total: { value: i, unit: 'percent' } },
  })),
};

function samplesOf(dataDir: string): number {
  const db = new Database(join(dataDir, 'osmo.db'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from samples where node = ?').get(NODE) as { n: number }).n;
  } finally {
    db.close();
  }
}

test('kill -9 right after a batch is stored: the restarted core knows its seq and a resent batch adds no sample', async () => {
  const dataDir = tempDir('osmo-replica-once-');
  core = await spawnCore(dataDir);
  const reg = await post(core, '/api/v1/agent/register', core.token, registration);
  assert.equal(reg.status, 200, JSON.stringify(reg.json));
  const credential = String(reg.json.credential);
  const sent = await post(core, '/api/v1/agent/events', credential, batch);
  assert.equal(sent.status, 200, JSON.stringify(sent.json));
  assert.equal(sent.json.ackedSeq, 10);
  // at once, well inside the window in which the node row used to lag behind the samples
  await core.proc.stop('SIGKILL');
  assert.equal(samplesOf(dataDir), 10);

  core = await spawnCore(dataDir, core.port);
  const again = await post(core, '/api/v1/agent/register', credential, registration);
  assert.equal(again.status, 200, JSON.stringify(again.json));
  assert.equal(again.json.ackedSeq, 10, 'the seq was stored with the samples');
  // what an agent that never saw the answer does: send the batch again
  const resent = await post(core, '/api/v1/agent/events', credential, batch);
  assert.equal(resent.status, 200);
  assert.equal(resent.json.ackedSeq, 10);
  await core.proc.stop('SIGTERM');
  core = undefined;
  assert.equal(samplesOf(dataDir), 10, 'every sample once');
});
