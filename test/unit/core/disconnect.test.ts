// A MEL's disconnect policy, all pure: the schema at the API edge, what diff() does with the
// instances of a down node (unknown while lostAfter runs, then lost, replaced or not), and
// reconnect(): which copies stay when the node comes back, by each reconcile rule.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MelBody } from '../../../src/model/index.js';
import { diff, type Action, type NodeFacts } from '../../../src/core/reconciler/diff.js';
import { reconnect, type ReconnectInput } from '../../../src/core/reconciler/reconnect.js';
import { disconnectPolicy, DEFAULT_DISCONNECT, type DisconnectPolicy } from '../../../src/core/mels/disconnect.js';
import { rankNodes } from '../../../src/core/scheduler/index.js';
import { instanceRow as inst, mel as melSnap, node } from '../../../testing/builders.js';

const up: NodeFacts = { status: 'ready', draining: false };
const down: NodeFacts = { status: 'down', draining: false };
const nodes = { a: up, b: up, c: down };
const policy = (p: Partial<DisconnectPolicy>): DisconnectPolicy => ({ ...DEFAULT_DISCONNECT, ...p });
const mel = (replicas: number, disconnect?: DisconnectPolicy) => ({
  name: 'm',
  replicas,
  generation: 1,
  ...(disconnect ? { disconnect } : {}),
});
const kinds = (a: Action[]) => a.map((x) => x.kind).sort();

describe('the disconnect block at the API edge', () => {
  const body = (disconnect: unknown) => MelBody.safeParse({ image: 'x', disconnect });
  test('durations are seconds or ISO 8601, as elsewhere in a MEL', () => {
    assert.ok(body({ lostAfter: 30, reconcile: 'keep-original' }).success);
    assert.ok(body({ lostAfter: 'PT5M', stopAfter: 'PT1M' }).success);
    assert.ok(body({ lostAfter: 0 }).success);
    assert.equal(disconnectPolicy({ disconnect: { lostAfter: 'PT5M', stopAfter: 90 } }).lostAfterMs, 300_000);
    assert.equal(disconnectPolicy({ disconnect: { stopAfter: 90 } }).stopAfterMs, 90_000);
  });
  test('nonsense is refused naming the field', () => {
    for (const [d, field] of [
      [{ lostAfter: -1 }, 'lostAfter'],
      [{ lostAfter: '5 minutes' }, 'lostAfter'],
      [{ stopAfter: 0 }, 'stopAfter'],
      [{ stopAfter: 'PT0S' }, 'stopAfter'],
      [{ reconcile: 'longest-running' }, 'reconcile'],
      [{ lostAfter: 10, colour: 'red' }, 'colour'],
      [{ replace: false, stopAfter: 60 }, 'stopAfter'],
    ] as const) {
      const r = body(d);
      assert.equal(r.success, false, JSON.stringify(d));
      assert.match(JSON.stringify(r.error?.issues), new RegExp(field), JSON.stringify(d));
    }
  });
  test('no block: lost at once, replaced, the replacement kept (the behaviour before the policy)', () => {
    assert.deepEqual(disconnectPolicy({}), { lostAfterMs: 0, replace: true, reconcile: 'keep-replacement' });
  });
});

describe('diff: instances of a down node', () => {
  test('without lostAfter they are lost and replaced in the same pass (unchanged)', () => {
    const a = diff({ mel: mel(2), instances: [inst({ state: 'running' }), inst({ state: 'running', node: 'c' })], nodes, now: 1000 });
    assert.deepEqual(kinds(a), ['lost', 'place']);
  });

  test('within lostAfter they become unknown and still count: nothing is placed', () => {
    const p = policy({ lostAfterMs: 10_000 });
    const r = inst({ state: 'running', node: 'c' });
    assert.deepEqual(diff({ mel: mel(2, p), instances: [inst({ state: 'running' }), r], nodes, now: 1000 }), [
      { kind: 'unknown', id: r.id },
    ]);
    const u = inst({ state: 'unknown', node: 'c', updatedAt: 1000 });
    assert.deepEqual(diff({ mel: mel(2, p), instances: [inst({ state: 'running' }), u], nodes, now: 10_999 }), []);
  });

  test('once lostAfter has run out they are lost and replaced', () => {
    const u = inst({ state: 'unknown', node: 'c', updatedAt: 1000 });
    const a = diff({ mel: mel(2, policy({ lostAfterMs: 10_000 })), instances: [inst({ state: 'running' }), u], nodes, now: 11_000 });
    assert.deepEqual(kinds(a), ['lost', 'place']);
  });

  test('replace false: lost, but its slot stays taken, now and in later passes', () => {
    const p = policy({ replace: false });
    const r = inst({ state: 'running', node: 'c' });
    assert.deepEqual(diff({ mel: mel(2, p), instances: [inst({ state: 'running' }), r], nodes, now: 1 }), [{ kind: 'lost', id: r.id }]);
    const l = inst({ state: 'lost', node: 'c' });
    assert.deepEqual(diff({ mel: mel(2, p), instances: [inst({ state: 'running' }), l], nodes, now: 1 }), []);
  });

  test('an unknown instance on a node that is back counts until sync has looked (no deploy, no second copy)', () => {
    const u = inst({ state: 'unknown', node: 'b', updatedAt: 0 });
    assert.deepEqual(diff({ mel: mel(1, policy({ lostAfterMs: 1 })), instances: [u], nodes, now: 999_999 }), []);
  });

  test('a scale-down stops an unknown instance before a running one', () => {
    const u = inst({ state: 'unknown', node: 'c', updatedAt: 1000, createdAt: 0 });
    const r = inst({ state: 'running', createdAt: 5 });
    const a = diff({ mel: mel(1, policy({ lostAfterMs: 10_000 })), instances: [r, u], nodes, now: 2000 });
    assert.deepEqual(a, [{ kind: 'stop', id: u.id, reason: 'scaled down to 1' }]);
  });
});

describe('reconnect: the node is back', () => {
  // one original on node c, lost at t=100; a replacement placed on b at t=100; one steady copy on a
  const setup = (rule: DisconnectPolicy['reconcile'], replicas = 2) => {
    const original = inst({ state: 'lost', node: 'c', createdAt: 1, updatedAt: 100 });
    const steady = inst({ state: 'running', node: 'a', createdAt: 2, updatedAt: 2 });
    const replacement = inst({ state: 'running', node: 'b', createdAt: 100, updatedAt: 150 });
    const input: ReconnectInput = {
      replicas,
      generation: 1,
      policy: policy({ reconcile: rule }),
      returning: [{ instance: original, container: 'alive' }],
      others: [steady, replacement],
      rank: (ns) => [...ns].sort(),
    };
    return { original, steady, replacement, input };
  };

  test('keep-original: the original is adopted, its replacement stops, the steady copy is untouched', () => {
    const { original, replacement, input } = setup('keep-original');
    const p = reconnect(input);
    assert.deepEqual(p.adopt, [original.id]);
    assert.deepEqual(
      p.stop.map((s) => s.id),
      [replacement.id],
    );
  });

  test('keep-replacement: the original stops', () => {
    const { original, input } = setup('keep-replacement');
    const p = reconnect(input);
    assert.deepEqual(p.adopt, []);
    assert.deepEqual(
      p.stop.map((s) => s.id),
      [original.id],
    );
  });

  test('keep-replacement while the MEL is short (no replacement could be placed): the original is adopted', () => {
    const { original, input } = setup('keep-replacement', 3);
    assert.deepEqual(reconnect(input).adopt, [original.id]);
    assert.deepEqual(reconnect(input).stop, []);
  });

  test('best-score: the copy on the node that ranks better stays, whichever it is', () => {
    const { original, replacement, input } = setup('best-score');
    const cFirst = reconnect({ ...input, rank: (ns) => [...ns].sort().reverse() });
    assert.deepEqual([cFirst.adopt, cFirst.stop.map((s) => s.id)], [[original.id], [replacement.id]]);
    const bFirst = reconnect({ ...input, rank: (ns) => [...ns].sort() });
    assert.deepEqual([bFirst.adopt, bFirst.stop.map((s) => s.id)], [[], [original.id]]);
  });

  test('whatever the rule, the MEL ends at its replica count', () => {
    for (const rule of ['keep-original', 'keep-replacement', 'best-score'] as const) {
      for (const replicas of [1, 2, 3]) {
        const { input } = setup(rule, replicas);
        const p = reconnect(input);
        // three copies (steady, replacement, original): what is not stopped stays
        assert.equal(3 - p.stop.length, replicas, `${rule} ${replicas}`);
        assert.equal(p.adopt.length + p.stop.filter((s) => s.id === input.returning[0]!.instance.id).length, 1);
      }
    }
  });

  test('an unknown instance (never replaced) is adopted when it runs, failed when dead, forgotten when gone', () => {
    const alive = inst({ state: 'unknown', node: 'c' });
    const dead = inst({ state: 'unknown', node: 'c' });
    const gone = inst({ state: 'unknown', node: 'c' });
    const p = reconnect({
      replicas: 3,
      generation: 1,
      policy: policy({ lostAfterMs: 60_000 }),
      returning: [
        { instance: alive, container: 'alive' },
        { instance: dead, container: 'dead' },
        { instance: gone, container: 'absent' },
      ],
      others: [],
      rank: (ns) => ns,
    });
    assert.deepEqual(p, { adopt: [alive.id], fail: [dead.id], stop: [], forget: [gone.id] });
  });

  test('a lost original of an older generation stops whatever the rule', () => {
    const old = inst({ state: 'lost', node: 'c', generation: 1 });
    const p = reconnect({
      replicas: 1,
      generation: 2,
      policy: policy({ reconcile: 'keep-original' }),
      returning: [{ instance: old, container: 'alive' }],
      others: [],
      rank: (ns) => ns,
    });
    assert.deepEqual(
      p.stop.map((s) => s.id),
      [old.id],
    );
  });
});

test('rankNodes: preferred layer first, then the less loaded node', () => {
  const snap = {
    nodes: [
      node('cloud1', { layer: 'cloud', load: 0 }),
      node('edge-busy', { layer: 'edge', load: 0.9 }),
      node('edge-idle', { layer: 'edge', load: 0.1 }),
    ],
  };
  const m = melSnap('m', { placement: { preferLayer: 'edge' } });
  assert.deepEqual(rankNodes(snap, m, ['cloud1', 'edge-busy', 'edge-idle', 'gone']), ['edge-idle', 'edge-busy', 'cloud1', 'gone']);
});
