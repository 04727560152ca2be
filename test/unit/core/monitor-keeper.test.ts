// The monitor keeper's safety net: every node's monitors are re-sent every 15–25 s in a small
// fleet, and the net stretches with the fleet (at most 25 nodes a second) so that a 5,000-node
// core does not spend as much on re-sending monitors as on all the fleet's heartbeats.
// Real ClusterState on a real SQLite store; the agents' API is a recording double (the keeper's
// only contact with agents), and time is the `now` argument, so nothing here sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../../src/store/index.js';
import { ClusterState } from '../../../src/core/state.js';
import { MonitorKeeper } from '../../../src/core/migration/monitors.js';
import { defaultPolicy } from '../../../src/policy/document.js';
import type { AgentApi } from '../../../src/client/index.js';
import { liveNode } from '../../../testing/builders.js';
import { tempDir } from '../../../testing/proc.js';

let store: Store;
before(async () => {
  store = await openStore(tempDir('osmo-keeper-'));
});
after(async () => {
  await store.close();
});

async function fleet(n: number): Promise<{ keeper: MonitorKeeper; sentTo: Set<string> }> {
  const state = new ClusterState(store);
  await state.saveNodes(Array.from({ length: n }, (_, i) => liveNode(`k${n}-${i}`)));
  const sentTo = new Set<string>();
  const keeper = new MonitorKeeper(state, (to) => ({ monitor: async () => void sentTo.add(to.id) }) as unknown as AgentApi);
  return { keeper, sentTo };
}

const policy = defaultPolicy();
const policyOf = () => policy;

async function sendsAt(k: { keeper: MonitorKeeper; sentTo: Set<string> }, now: number): Promise<number> {
  k.sentTo.clear();
  await k.keeper.ensure(now, policyOf);
  return k.sentTo.size;
}

test('a small fleet: every node at once, none again within 15 s, all again after 25 s', async () => {
  const k = await fleet(20);
  assert.equal(await sendsAt(k, 1_000_000), 20);
  assert.equal(await sendsAt(k, 1_014_900), 0);
  assert.equal(await sendsAt(k, 1_025_100), 20);
});

test('2,000 nodes: the safety net stretches to 80 s (25 nodes a second), not 20 s', async () => {
  const k = await fleet(2000);
  assert.equal(await sendsAt(k, 2_000_000), 2000);
  // 0.75 × 80 s: none is due yet (with the 20 s net all 2,000 would be)
  assert.equal(await sendsAt(k, 2_059_900), 0);
  // 1.25 × 80 s: every node had its turn
  let again = 0;
  for (const t of [2_070_000, 2_080_000, 2_090_000, 2_100_100]) again += await sendsAt(k, t);
  assert.equal(again, 2000);
});
