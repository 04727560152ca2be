// The reconciler's kept snapshot (SnapshotCache) against the one built from scratch
// (buildSnapshot), after random changes to a real ClusterState on a real SQLite store: it
// must never differ, or the scheduler would place on stale allocations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openStore, type InstanceRecord, type Store } from '../../../src/store/index.js';
import { ClusterState } from '../../../src/core/state.js';
import { applyToSnapshot, buildSnapshot, SnapshotCache } from '../../../src/core/reconciler/snapshot.js';
import type { ClusterSnapshot } from '../../../src/model/index.js';
import { liveMel, liveNode } from '../../../testing/builders.js';
import { tempDir } from '../../../testing/proc.js';

let store: Store;
before(async () => {
  store = await openStore(tempDir('osmo-snapcache-'));
});
after(async () => {
  await store.close();
});

const NODES = ['n0', 'n1', 'n2'];
const MELS = ['a', 'b'];
const STATES = ['pending', 'starting', 'running', 'stopping', 'unknown', 'lost', 'failed'] as const;

type Op =
  | { kind: 'node'; id: string; status: 'ready' | 'suspect' | 'down'; draining: boolean }
  | { kind: 'rm-node'; id: string }
  | { kind: 'mel'; name: string; cpus: number; image: string }
  | { kind: 'rm-mel'; name: string }
  | { kind: 'put'; id: number; mel: string; node: string | null; state: (typeof STATES)[number] }
  | { kind: 'del'; id: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('node' as const),
    id: fc.constantFrom(...NODES),
    status: fc.constantFrom('ready' as const, 'suspect' as const, 'down' as const),
    draining: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('rm-node' as const), id: fc.constantFrom(...NODES) }),
  fc.record({
    kind: fc.constant('mel' as const),
    name: fc.constantFrom(...MELS),
    cpus: fc.constantFrom(0.1, 0.5, 1),
    image: fc.constantFrom('i1', 'i2'),
  }),
  fc.record({ kind: fc.constant('rm-mel' as const), name: fc.constantFrom(...MELS) }),
  fc.record({
    kind: fc.constant('put' as const),
    id: fc.integer({ min: 0, max: 7 }),
    mel: fc.constantFrom(...MELS),
    node: fc.constantFrom(null, ...NODES),
    state: fc.constantFrom(...STATES),
  }),
  fc.record({ kind: fc.constant('del' as const), id: fc.integer({ min: 0, max: 7 }) }),
);

/** image order follows the walk over instances, which differs between the two: compare as sets */
const normal = (s: ClusterSnapshot) => ({ nodes: s.nodes.map((n) => ({ ...n, images: [...n.images].sort() })) });

test('the kept snapshot equals a fresh build after any sequence of node, MEL and instance changes, whatever a pass added to the last one', async () => {
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), async (batches) => {
      // a fresh state per run, on the same store emptied first
      for (const i of await store.instances.list()) await store.instances.removeMany([i.id]);
      for (const m of await store.mels.list()) await store.mels.remove(m.name);
      for (const n of await store.nodes.list()) await store.nodes.remove(n.id);
      const state = new ClusterState(store);
      const cache = new SnapshotCache(state);
      const unwatch = state.watch({
        instance: (b, a) => {
          cache.touch(b?.node ?? null);
          cache.touch(a?.node ?? null);
        },
        mel: (name) => cache.touchMel(name),
        node: (id) => cache.touch(id),
      });
      round++;
      for (const batch of batches) {
        for (const o of batch) await apply(state, o, round);
        const kept = cache.build();
        assert.deepEqual(normal(kept), normal(buildSnapshot(state)));
        // a pass adds its placements to the snapshot it got: the kept sums must not change with it
        for (const n of kept.nodes) applyToSnapshot(kept, n.id, 'a', 'i3', { cpus: 1, memoryBytes: 1 });
      }
      unwatch();
    }),
    { numRuns: 60, seed: 14 },
  );
});

async function apply(state: ClusterState, o: Op, round: number): Promise<void> {
  switch (o.kind) {
    case 'node':
      await state.saveNode(liveNode(o.id, { status: o.status, draining: o.draining, capacity: { cpus: 4, memoryBytes: 2 ** 33 } }));
      return;
    case 'rm-node':
      if (state.nodes.has(o.id)) await state.removeNode(o.id);
      return;
    case 'mel':
      await state.saveMel(liveMel(o.name, 2, { image: o.image, resources: { cpus: o.cpus, memoryBytes: 2 ** 20 } }));
      return;
    case 'rm-mel':
      await state.commitMel(o.name, []);
      return;
    case 'put': {
      const id = `r${round}-i${o.id}`;
      const rec: InstanceRecord = {
        id,
        mel: o.mel,
        node: o.node,
        name: `${o.mel}-${id}`,
        generation: 1,
        desired: 'run',
        state: o.state,
        reason: '',
        ports: [],
        createdAt: 0,
        updatedAt: 0,
      };
      await state.saveInstances([rec]);
      return;
    }
    case 'del':
      await state.deleteInstances([`r${round}-i${o.id}`]);
      return;
  }
}
