// decide(): one reconcile pass as a pure function. The cluster in, an explicit plan out:
// nothing is written and nothing is sent; ids and time come from the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecideInput } from '../../../src/core/reconciler/decide.js';
import { buildSnapshot, type ClusterView } from '../../../src/core/reconciler/snapshot.js';
import { schedule } from '../../../src/core/scheduler/index.js';
import type { LiveNode } from '../../../src/core/state.js';
import { liveMel, liveNode } from '../../../testing/builders.js';
import type { InstanceRecord } from '../../../src/store/index.js';

const node = (id: string, status: LiveNode['status'] = 'ready') => liveNode(id, { status });
const mel = (name: string, replicas: number, cpus: number) =>
  liveMel(name, replicas, { image: 'img:1', resources: { cpus, memoryBytes: 64 * 1024 * 1024 } });

function input(view: ClusterView, busy: string[] = []): DecideInput {
  let n = 0;
  return {
    state: view,
    snapshot: buildSnapshot(view),
    schedule,
    now: 1000,
    holdFor: () => 3000,
    busy: (id) => busy.includes(id),
    newId: () => `id-${++n}`,
  };
}

test('placements fill the snapshot as they land: the one that no longer fits stays pending with the reason', () => {
  const view: ClusterView = { nodes: new Map([['n1', node('n1')]]), mels: new Map([['web', mel('web', 3, 0.4)]]), instances: new Map() };
  const plan = decide(input(view));
  assert.equal(plan.placed, 2);
  assert.deepEqual(plan.deploys, ['id-1', 'id-2']);
  assert.deepEqual(
    plan.writes.map((w) => [w.id, w.node, w.state, w.name]),
    [
      ['id-1', 'n1', 'starting', 'web-id1'],
      ['id-2', 'n1', 'starting', 'web-id2'],
      ['id-3', null, 'pending', 'web-id3'],
    ],
  );
  assert.match(String(plan.writes[2]!.reason), /insufficient cpu/);
  assert.deepEqual(
    plan.events.map((e) => e.type),
    ['placement', 'placement', 'reconcile'],
  );
  // decide wrote nothing: the view is as it was
  assert.equal(view.instances.size, 0);
});

test('a down node: its instances are marked lost and replaced in the same plan; a busy stop is not sent twice', () => {
  const inst = (
    id: string,
    nodeId: string,
    state: InstanceRecord['state'],
    desired: InstanceRecord['desired'] = 'run',
  ): InstanceRecord => ({
    id,
    mel: 'web',
    node: nodeId,
    name: `web-${id}`,
    generation: 1,
    desired,
    state,
    reason: null,
    ports: [],
    createdAt: 0,
    updatedAt: 0,
  });
  const view: ClusterView = {
    nodes: new Map([
      ['n1', node('n1', 'down')],
      ['n2', node('n2')],
    ]),
    mels: new Map([['web', mel('web', 1, 0.1)]]),
    instances: new Map([
      ['a', inst('a', 'n1', 'running')],
      ['b', inst('b', 'n2', 'stopping', 'stop')],
    ]),
  };
  const plan = decide(input(view, ['b']));
  assert.deepEqual(
    plan.writes.map((w) => [w.id, w.node, w.state]),
    [
      ['a', 'n1', 'lost'],
      ['id-1', 'n2', 'starting'],
    ],
  );
  assert.deepEqual(plan.deploys, ['id-1']);
  assert.deepEqual(plan.stops, [], 'b is busy: its stop was sent moments ago');
});
