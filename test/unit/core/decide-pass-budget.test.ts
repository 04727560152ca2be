// decide() with a pass budget (ReconcilerOptions.maxActionsPerPass): a rollout of many MELs
// goes out in passes of bounded size, each resuming where the last stopped, every MEL gets
// its turn, and instances whose command is still in flight cost a pass nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type ReconcilePlan } from '../../../src/core/reconciler/decide.js';
import { buildSnapshot, type ClusterView } from '../../../src/core/reconciler/snapshot.js';
import { schedule } from '../../../src/core/scheduler/index.js';
import { liveMel, liveNode } from '../../../testing/builders.js';

const tiny = (name: string, replicas: number) => liveMel(name, replicas, { resources: { cpus: 0.01, memoryBytes: 1024 ** 2 } });

let ids = 0;
function pass(view: ClusterView, startAt: number, passBudget: number, busy: (id: string) => boolean = () => false): ReconcilePlan {
  const plan = decide({
    state: view,
    snapshot: buildSnapshot(view),
    schedule,
    now: 0,
    holdFor: () => 3000,
    busy,
    newId: () => `i${++ids}`,
    budget: 1000,
    passBudget,
    startAt,
  });
  for (const w of plan.writes) view.instances.set(w.id, w);
  for (const d of plan.deletes) view.instances.delete(d);
  return plan;
}

const MELS = 7;
const REPLICAS = 30;
const PASS = 50;

function cluster(): ClusterView {
  return {
    nodes: new Map(
      Array.from({ length: 5 }, (_, k) => [`n${k}`, liveNode(`n${k}`, { capacity: { cpus: 64, memoryBytes: 64 * 1024 ** 3 } })]),
    ),
    mels: new Map(Array.from({ length: MELS }, (_, k) => [`m${k}`, tiny(`m${k}`, REPLICAS)])),
    instances: new Map(),
  };
}

test('a rollout larger than the pass budget goes out in bounded passes that resume where the last stopped', () => {
  const view = cluster();
  let at = 0;
  let passes = 0;
  const placedBy: string[][] = [];
  // like the dispatcher: a command sent is in flight (its agent has not answered yet)
  const sent = new Set<string>();
  for (;;) {
    const plan = pass(view, at, PASS, (id) => sent.has(id));
    for (const id of plan.deploys) sent.add(id);
    assert.ok(plan.deploys.length <= PASS, `pass ${passes}: ${plan.deploys.length} deploys`);
    assert.ok(plan.writes.length <= PASS, `pass ${passes}: ${plan.writes.length} writes`);
    placedBy.push([...new Set(plan.writes.map((w) => w.mel))]);
    at = plan.resumeAt;
    passes++;
    if (!plan.cut && !plan.more) break;
    assert.ok(passes < 50, 'converges');
  }
  assert.equal(view.instances.size, MELS * REPLICAS);
  assert.ok([...view.instances.values()].every((i) => i.state === 'starting' && i.node !== null));
  assert.equal(passes, Math.ceil((MELS * REPLICAS) / PASS));
  // the second pass starts with the MEL the first one was cut short in
  assert.equal(placedBy[1]![0], placedBy[0]!.at(-1));
});

test('instances whose deploy is in flight cost the pass budget nothing', () => {
  const view: ClusterView = { ...cluster(), mels: new Map([['m0', tiny('m0', REPLICAS)]]) };
  const first = pass(view, 0, 1000);
  assert.equal(first.deploys.length, REPLICAS);
  // every command of m0 is in flight; a new MEL still gets the whole budget of the next pass
  view.mels.set('m1', tiny('m1', 10));
  const inFlight = new Set(first.deploys);
  const next = pass(view, 0, 20, (id) => inFlight.has(id));
  assert.equal(next.cut, false);
  assert.equal(next.writes.filter((w) => w.mel === 'm1').length, 10);
  assert.deepEqual(
    next.deploys.filter((id) => inFlight.has(id)),
    [],
  );
});

test('a pass given only the changed MELs visits those alone and names the ones it did not finish', () => {
  const view = cluster();
  const plan = decide({
    state: view,
    snapshot: buildSnapshot(view),
    schedule,
    now: 0,
    holdFor: () => 3000,
    busy: () => false,
    newId: () => `i${++ids}`,
    budget: 20,
    passBudget: 1000,
    only: ['m2', 'm5'],
  });
  assert.deepEqual([...new Set(plan.writes.map((w) => w.mel))].sort(), ['m2', 'm5']);
  // each had 30 replicas to place with a budget of 20: both are left for a later pass
  assert.deepEqual(plan.unfinished.sort(), ['m2', 'm5']);
  // cut by the pass budget inside the first MEL: the second was not reached, and both are named
  const cut = decide({
    state: cluster(),
    snapshot: buildSnapshot(cluster()),
    schedule,
    now: 0,
    holdFor: () => 3000,
    busy: () => false,
    newId: () => `i${++ids}`,
    passBudget: 10,
    only: ['m1', 'm3'],
  });
  assert.equal(cut.cut, true);
  assert.deepEqual(cut.unfinished.sort(), ['m1', 'm3']);
});
