// The reconciler's pure decision: desired vs actual -> actions, no I/O.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diff, type Action, type NodeFacts } from '../../../src/core/reconciler/diff.js';
import type { InstanceRecord, InstanceState } from '../../../src/store/records.js';
import { instanceRow as inst } from '../../../testing/builders.js';

const ready: NodeFacts = { status: 'ready', draining: false };
const nodes = {
  a: ready,
  b: ready,
  c: { status: 'down', draining: false } as NodeFacts,
  d: { status: 'ready', draining: true } as NodeFacts,
};
const mel = (replicas: number, generation = 1) => ({ name: 'm', replicas, generation });
const kinds = (a: Action[]) => a.map((x) => x.kind).sort();

test('missing replicas are placed', () => {
  const a = diff({ mel: mel(3), instances: [inst({ state: 'running' })], nodes });
  assert.deepEqual(a, [{ kind: 'place', count: 2, reuse: [] }]);
});

test('pending rows are reused before new ones, and dropped when no longer needed', () => {
  const p = inst({ state: 'pending', node: null });
  assert.deepEqual(diff({ mel: mel(2), instances: [inst({ state: 'running' }), p], nodes }), [{ kind: 'place', count: 1, reuse: [p.id] }]);
  assert.deepEqual(diff({ mel: mel(1), instances: [inst({ state: 'running' }), p], nodes }), [{ kind: 'drop-pending', ids: [p.id] }]);
});

test('extra instances are stopped newest first, not-yet-running before running', () => {
  const old = inst({ state: 'running', createdAt: 1 });
  const mid = inst({ state: 'running', createdAt: 2 });
  const young = inst({ state: 'running', createdAt: 3 });
  const starting = inst({ state: 'starting', createdAt: 0 });
  const a = diff({ mel: mel(2), instances: [old, mid, young, starting], nodes });
  const stops = a.filter((x) => x.kind === 'stop').map((x) => (x as { id: string }).id);
  assert.deepEqual(stops, [starting.id, young.id]);
});

test('instances on a down node are lost and replaced in the same pass', () => {
  const lost = inst({ state: 'running', node: 'c' });
  const a = diff({ mel: mel(2), instances: [inst({ state: 'running' }), lost], nodes });
  assert.deepEqual(kinds(a), ['lost', 'place']);
  assert.equal((a.find((x) => x.kind === 'place') as { count: number }).count, 1);
});

test('lost instances no longer count; failed ones are replaced after their hold time', () => {
  const failed = inst({ state: 'failed', updatedAt: 1000 });
  const held = diff({ mel: mel(1), instances: [failed], nodes, now: 1500, failedHoldMs: 3000 });
  assert.deepEqual(held, []);
  const replaced = diff({ mel: mel(1), instances: [failed], nodes, now: 5000, failedHoldMs: 3000 });
  assert.deepEqual(kinds(replaced), ['place', 'stop']);
  assert.deepEqual(diff({ mel: mel(1), instances: [inst({ state: 'lost', node: 'c' })], nodes }), [{ kind: 'place', count: 1, reuse: [] }]);
});

test('a spec change starts the replacement first; the old instance stops once it runs', () => {
  const old = inst({ state: 'running', generation: 1 });
  assert.deepEqual(diff({ mel: mel(1, 2), instances: [old], nodes }), [{ kind: 'place', count: 1, reuse: [] }]);
  const starting = inst({ state: 'starting', generation: 2 });
  assert.deepEqual(
    kinds(diff({ mel: mel(1, 2), instances: [old, starting], nodes })),
    ['deploy'],
    'nothing stops while the replacement starts',
  );
  const running = { ...starting, state: 'running' as const };
  const a = diff({ mel: mel(1, 2), instances: [old, running], nodes });
  assert.deepEqual(
    a.map((x) => [x.kind, (x as { id?: string }).id]),
    [['stop', old.id]],
  );
  // an old instance that is not running has nothing to keep serving: it goes at once
  assert.deepEqual(kinds(diff({ mel: mel(1, 2), instances: [inst({ state: 'starting', generation: 1 })], nodes })), ['place', 'stop']);
});

test('a MEL with fixed host ports is replaced stop-first (old and new cannot share the port)', () => {
  const old = inst({ state: 'running', generation: 1 });
  assert.deepEqual(kinds(diff({ mel: { ...mel(1, 2), stopFirst: true }, instances: [old], nodes })), ['place', 'stop']);
});

test('property: a rolling update never drops below the replica count and starts at most maxParallel at once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 1, max: 3 }),
      (oldCount, replicas, maxParallel) => {
        let list: InstanceRecord[] = Array.from({ length: oldCount }, () => inst({ state: 'running', generation: 1 }));
        for (let pass = 0; pass < 60; pass++) {
          const a = diff({ mel: mel(replicas, 2), instances: list, nodes, maxParallel });
          const stopped = new Set(a.flatMap((x) => (x.kind === 'stop' ? [x.id] : [])));
          const running = list.filter((i) => i.state === 'running' && !stopped.has(i.id)).length;
          assert.ok(
            running >= Math.min(replicas, list.filter((i) => i.state === 'running').length),
            `pass ${pass}: running fell to ${running}`,
          );
          const placed = a.filter((x) => x.kind === 'place').reduce((s2, x) => s2 + (x as { count: number }).count, 0);
          // the world moves on: starting ones come up, the decision is applied
          list = list.filter((i) => !stopped.has(i.id)).map((i) => (i.state === 'starting' ? { ...i, state: 'running' as const } : i));
          for (let k = 0; k < placed; k++) list.push(inst({ state: 'starting', generation: 2 }));
          assert.ok(
            list.filter((i) => i.state === 'starting').length <= maxParallel || list.every((i) => i.generation === 2),
            'at most maxParallel starting during the rollout',
          );
          if (list.every((i) => i.generation === 2) && list.filter((i) => i.state === 'running').length === replicas) return;
        }
        assert.fail(
          `rollout of ${oldCount} -> ${replicas} (maxParallel ${maxParallel}) did not finish: ${JSON.stringify(list.map((i) => [i.generation, i.state]))}`,
        );
      },
    ),
  );
});

test('a deleted MEL stops everything and drops pending rows', () => {
  const a = diff({ instances: [inst({ state: 'running' }), inst({ state: 'pending', node: null })], nodes });
  assert.deepEqual(kinds(a), ['drop-pending', 'stop']);
});

test('draining: replacements first, the drained instance stops only once they run', () => {
  const onDrain = inst({ state: 'running', node: 'd' });
  assert.deepEqual(diff({ mel: mel(1), instances: [onDrain], nodes }), [{ kind: 'place', count: 1, reuse: [] }]);
  const starting = inst({ state: 'starting', node: 'a' });
  assert.deepEqual(kinds(diff({ mel: mel(1), instances: [onDrain, starting], nodes })), ['deploy']);
  const running = { ...starting, state: 'running' as const };
  assert.deepEqual(diff({ mel: mel(1), instances: [onDrain, running], nodes }), [
    { kind: 'stop', id: onDrain.id, reason: 'node draining; replacement running' },
  ]);
});

test('unfinished stops are re-sent while the node answers; starting instances are (re)deployed', () => {
  const stopping = inst({ state: 'stopping', desired: 'stop' });
  const onDown = inst({ state: 'stopping', desired: 'stop', node: 'c' });
  const starting = inst({ state: 'starting' });
  const a = diff({ mel: mel(1), instances: [stopping, onDown, starting], nodes });
  assert.deepEqual(a, [
    { kind: 'stop', id: stopping.id, reason: 'stopping' },
    { kind: 'deploy', id: starting.id },
  ]);
});

test('property: after applying the actions the count of live placements equals the replicas', () => {
  const states: InstanceState[] = ['pending', 'starting', 'running', 'failed', 'lost', 'stopping'];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8 }),
      fc.array(fc.record({ s: fc.constantFrom(...states), node: fc.constantFrom('a', 'b', 'c') }), { maxLength: 12 }),
      (replicas, spec) => {
        const list = spec.map((x) =>
          inst({ state: x.s, node: x.s === 'pending' ? null : x.node, desired: x.s === 'stopping' ? 'stop' : 'run' }),
        );
        const a = diff({ mel: mel(replicas), instances: list, nodes });
        const gone = new Set(a.flatMap((x) => (x.kind === 'stop' || x.kind === 'lost' ? [x.id] : x.kind === 'drop-pending' ? x.ids : [])));
        const live = list.filter(
          (i) =>
            !gone.has(i.id) &&
            i.desired === 'run' &&
            i.node !== null &&
            (i.state === 'running' || i.state === 'starting') &&
            i.node !== 'c',
        );
        const placed = a.filter((x) => x.kind === 'place').reduce((s, x) => s + (x as { count: number }).count, 0);
        assert.equal(live.length + placed, replicas);
        // never both place and stop-for-scale-down in one decision
        assert.ok(!(placed > 0 && a.some((x) => x.kind === 'stop' && /scaled down/.test(x.reason))));
      },
    ),
  );
});
