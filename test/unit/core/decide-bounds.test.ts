// decide() at the API's limits: a MEL of 100,000 replicas (the schema's maximum) on a
// cluster with no room, then deleted. Each pass does at most a budget of work per MEL, the
// rows converge over passes (the plan says `more` until then), and a small MEL created
// meanwhile is placed in the very next pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type ReconcilePlan } from '../../../src/core/reconciler/decide.js';
import { buildSnapshot, type ClusterView } from '../../../src/core/reconciler/snapshot.js';
import { schedule } from '../../../src/core/scheduler/index.js';
import { instanceRow, liveMel, liveNode } from '../../../testing/builders.js';

const MAX_REPLICAS = 100_000;
const BUDGET = 5000;

let ids = 0;
function pass(view: ClusterView, now: number): ReconcilePlan {
  const plan = decide({
    state: view,
    snapshot: buildSnapshot(view),
    schedule,
    now,
    holdFor: () => 3000,
    busy: () => false,
    newId: () => `i${++ids}`,
    budget: BUDGET,
  });
  // what the reconciler commits
  for (const w of plan.writes) view.instances.set(w.id, w);
  for (const d of plan.deletes) view.instances.delete(d);
  return plan;
}

const countOf = (view: ClusterView, m: string) => [...view.instances.values()].filter((i) => i.mel === m).length;

test('a MEL of 100,000 replicas with no node: pending rows grow by at most the budget per pass, up to the replica count', () => {
  const view: ClusterView = { nodes: new Map(), mels: new Map([['big', liveMel('big', MAX_REPLICAS)]]), instances: new Map() };
  let passes = 0;
  for (let more = true; more; passes++) {
    assert.ok(passes < 300, 'converges within 300 passes');
    const before = view.instances.size;
    const plan = pass(view, passes);
    assert.ok(
      plan.writes.length + plan.deletes.length <= 2 * BUDGET,
      `pass ${passes}: ${plan.writes.length} writes, ${plan.deletes.length} deletes`,
    );
    assert.ok(view.instances.size - before <= 2 * BUDGET);
    more = plan.more;
  }
  assert.equal(countOf(view, 'big'), MAX_REPLICAS);
  assert.ok([...view.instances.values()].every((i) => i.state === 'pending' && i.node === null));
  // settled: a further pass writes nothing
  const idle = pass(view, passes);
  assert.equal(idle.writes.length + idle.deletes.length, 0);
  assert.equal(idle.more, false);
});

test('after the delete of a 100,000-replica MEL, every pass removes at most the budget, rows go to zero, and a new small MEL is placed at once', () => {
  const view: ClusterView = { nodes: new Map(), mels: new Map(), instances: new Map() };
  for (let k = 0; k < MAX_REPLICAS; k++) {
    const id = `p${k}`;
    view.instances.set(
      id,
      instanceRow({ id, mel: 'big', node: null, name: `big-${id}`, state: 'pending', reason: 'no node', createdAt: k, updatedAt: k }),
    );
  }
  // the MEL is gone (DELETE /api/v1/mels/big); a node joins and a small MEL arrives
  view.nodes.set('n1', liveNode('n1', { capacity: { cpus: 2, memoryBytes: 1024 ** 3 } }));
  view.mels.set('small', liveMel('small', 1));
  const first = pass(view, 1);
  assert.equal(first.deletes.length, BUDGET);
  assert.equal(first.more, true);
  assert.deepEqual(
    first.writes.filter((w) => w.mel === 'small').map((w) => [w.node, w.state]),
    [['n1', 'starting']],
    'the small MEL is placed in the first pass',
  );
  let passes = 1;
  for (let more: boolean = first.more; more; passes++) {
    assert.ok(passes < 300, 'converges within 300 passes');
    const plan = pass(view, passes);
    assert.ok(plan.deletes.length <= BUDGET);
    more = plan.more;
  }
  assert.equal(countOf(view, 'big'), 0);
  assert.equal(countOf(view, 'small'), 1);
});
