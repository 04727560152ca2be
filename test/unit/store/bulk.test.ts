// The store at the API's limits: a MEL may ask for 100,000 replicas (the schema's maximum),
// so one reconcile pass may write or delete that many instance rows. SQLite caps the bound
// variables of one statement (32,766): the repositories must split their statements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type InstanceRecord } from '../../../src/store/index.js';
import { tempDir } from '../../../testing/proc.js';

const MAX_REPLICAS = 100_000;

function pending(k: number): InstanceRecord {
  const id = `big-${k}`;
  return {
    id,
    mel: 'big',
    node: null,
    name: id,
    generation: 1,
    desired: 'run',
    state: 'pending',
    reason: 'no node',
    ports: [],
    createdAt: k,
    updatedAt: k,
  };
}

test('100,000 instance rows (the schema maximum of replicas) are written and removed in one call each', async () => {
  const s = await openStore(tempDir('osmo-rel-store-'));
  try {
    const rows = Array.from({ length: MAX_REPLICAS }, (_, k) => pending(k));
    await s.instances.upsertMany(rows);
    assert.equal((await s.instances.list()).length, MAX_REPLICAS);
    await s.instances.removeMany(rows.map((r) => r.id));
    assert.equal((await s.instances.list()).length, 0);
  } finally {
    await s.close();
  }
});
