import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../../src/core/scheduler/index.js';
import { applyPatch, defaultPolicy } from '../../../src/policy/document.js';
import { GiB, mel, node } from '../../../testing/builders.js';

describe('schedule: filters', () => {
  test('only ready, schedulable nodes; the reason counts which filter eliminated each node', () => {
    const r = schedule(
      {
        nodes: [
          node('a', { status: 'down' }),
          node('b', { schedulable: false }),
          node('c', { layer: 'cloud' }),
          node('d', { capacity: { cpus: 4, memoryBytes: 0.5 * GiB } }),
          node('e', { capacity: { cpus: 4, memoryBytes: 0.5 * GiB } }),
        ],
      },
      { mel: mel('web', { placement: { layer: 'edge' } }), count: 1 },
    );
    assert.equal(r.placements.length, 0);
    assert.equal(r.unplaced, 1);
    assert.equal(r.reason, '0/5 nodes: 2 insufficient memory, 1 cordoned, 1 layer mismatch, 1 not ready');
  });

  test('hard domain and label constraints', () => {
    const nodes = [
      node('a', { domain: 'x', labels: { gpu: 'yes' } }),
      node('b', { domain: 'y', labels: { gpu: 'yes' } }),
      node('c', { domain: 'y' }),
    ];
    const r = schedule({ nodes }, { mel: mel('m', { placement: { domain: 'y', labels: { gpu: 'yes' } } }), count: 1 });
    assert.deepEqual(
      r.placements.map((p) => p.node),
      ['b'],
    );
  });

  test('capacity: allocated + request <= capacity, counted across the replicas of one call', () => {
    const r = schedule({ nodes: [node('a', { allocated: { cpus: 2, memoryBytes: 0 } })] }, { mel: mel('m'), count: 3 });
    assert.equal(r.placements.length, 2);
    assert.equal(r.unplaced, 1);
    assert.match(r.reason ?? '', /0\/1 nodes: 1 insufficient cpu/);
  });

  test('exclude leaves a node out (migration source)', () => {
    const r = schedule({ nodes: [node('a'), node('b')] }, { mel: mel('m'), count: 1, exclude: ['a'] });
    assert.deepEqual(
      r.placements.map((p) => p.node),
      ['b'],
    );
  });

  test('acceptance policy of each node: never, if-unloaded-before, if-unloaded-after', () => {
    const nodes = [
      node('never', { acceptance: 'never', load: 0 }),
      node('before', { acceptance: 'if-unloaded-before', overloaded: true, load: 0.7 }),
      node('after', { acceptance: 'if-unloaded-after', load: 0.7 }),
    ];
    // default high = 0.8; estimated load 0.2 takes "after" to 0.9
    const r = schedule({ nodes }, { mel: mel('m', { estimatedLoad: 0.2 }), count: 1 });
    assert.equal(r.unplaced, 1);
    assert.match(r.reason ?? '', /acceptance policy never/);
    assert.match(r.reason ?? '', /if-unloaded-before/);
    assert.match(r.reason ?? '', /if-unloaded-after/);
    const r2 = schedule({ nodes }, { mel: mel('m', { estimatedLoad: 0.05 }), count: 1 });
    assert.deepEqual(
      r2.placements.map((p) => p.node),
      ['after'],
    );
  });

  test('if-unloaded-after counts phantom load of earlier replicas in the same call', () => {
    const r = schedule(
      { nodes: [node('a', { acceptance: 'if-unloaded-after', load: 0.45 })] },
      { mel: mel('m', { estimatedLoad: 0.1 }), count: 5 },
    );
    // 0.55, 0.65, 0.75 stay below high 0.8; 0.85 does not
    assert.equal(r.placements.length, 3);
  });

  test('phantom load weight from the policy scales pending load', () => {
    const n = node('a', { acceptance: 'if-unloaded-after', load: 0.5, pendingLoad: 0.2 });
    const heavy = applyPatch(defaultPolicy(), { management: { phantomLoadWeight: 2 } });
    assert.equal(schedule({ nodes: [n] }, { mel: mel('m', { estimatedLoad: 0.05 }), count: 1 }).placements.length, 1);
    assert.equal(schedule({ nodes: [n] }, { mel: mel('m', { estimatedLoad: 0.05 }), count: 1 }, { policy: heavy }).placements.length, 0);
    // a per-node override applies to that node only
    const set = { global: defaultPolicy(), nodes: { a: { management: { phantomLoadWeight: 2 } } } };
    assert.equal(schedule({ nodes: [n] }, { mel: mel('m', { estimatedLoad: 0.05 }), count: 1 }, { policy: set }).placements.length, 0);
  });
});

describe('schedule: scores', () => {
  test('spread puts at most one replica per node while possible', () => {
    const nodes = ['a', 'b', 'c'].map((id) => node(id));
    const r = schedule({ nodes }, { mel: mel('m', { placement: { spread: true } }), count: 3 });
    assert.deepEqual(r.placements.map((p) => p.node).sort(), ['a', 'b', 'c']);
    const r2 = schedule(
      { nodes: [node('a', { mels: { m: 1 } }), node('b')] },
      { mel: mel('m', { placement: { spread: true } }), count: 1 },
    );
    assert.deepEqual(
      r2.placements.map((p) => p.node),
      ['b'],
    );
  });

  test('binpack fills the fullest node that still fits', () => {
    const nodes = [node('a', { allocated: { cpus: 3, memoryBytes: 0 } }), node('b')];
    const r = schedule({ nodes }, { mel: mel('m'), count: 2 }, { strategy: 'binpack' });
    assert.deepEqual(
      r.placements.map((p) => p.node),
      ['a', 'b'],
    );
  });

  test('spread strategy prefers the least loaded node', () => {
    const nodes = [node('a', { load: 0.5 }), node('b', { load: 0.2 })];
    assert.equal(schedule({ nodes }, { mel: mel('m'), count: 1 }).placements[0]?.node, 'b');
  });

  test('preferLayer edge in the preferred domain, spill-over to cloud when edge is full or overloaded', () => {
    const nodes = [
      node('edge1', { layer: 'edge', domain: 'd1', acceptance: 'if-unloaded-before' }),
      node('edge2', { layer: 'edge', domain: 'd2', load: 0 }),
      node('cloud', { layer: 'cloud', domain: 'dc', load: 0 }),
    ];
    const m = mel('m', { placement: { preferLayer: 'edge', preferDomain: 'd1' } });
    const r = schedule({ nodes }, { mel: m, count: 1 });
    assert.equal(r.placements[0]?.node, 'edge1');
    assert.match(r.placements[0]?.reason ?? '', /preferred layer edge/);
    nodes[0] = { ...nodes[0]!, overloaded: true, load: 0.9 };
    const r2 = schedule({ nodes }, { mel: m, count: 1 });
    assert.equal(r2.placements[0]?.node, 'cloud');
    assert.match(r2.placements[0]?.reason ?? '', /spill-over to cloud/);
    // full edge node also spills
    nodes[0] = node('edge1', { allocated: { cpus: 4, memoryBytes: 0 } });
    assert.equal(schedule({ nodes }, { mel: m, count: 1 }).placements[0]?.node, 'cloud');
  });

  test('preferDomain is a soft preference', () => {
    const nodes = [node('a', { domain: 'x', load: 0 }), node('b', { domain: 'y', load: 0.5 })];
    assert.equal(schedule({ nodes }, { mel: mel('m', { placement: { preferDomain: 'y' } }), count: 1 }).placements[0]?.node, 'b');
    const full = [node('a', { domain: 'x' }), node('b', { domain: 'y', allocated: { cpus: 4, memoryBytes: 0 } })];
    assert.equal(schedule({ nodes: full }, { mel: mel('m', { placement: { preferDomain: 'y' } }), count: 1 }).placements[0]?.node, 'a');
  });

  test('no nodes: a reason that says so', () => {
    const r = schedule({ nodes: [] }, { mel: mel('m'), count: 2 });
    assert.equal(r.unplaced, 2);
    assert.equal(r.reason, 'no nodes registered');
  });

  // Speed is measured in bench/ (core-scale, policy-rebalance); here only the result counts.
  test('10,000 replicas over 1,000 nodes are all placed, spread evenly', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) =>
      node(`n${i}`, {
        layer: i % 3 === 0 ? 'cloud' : 'edge',
        domain: `d${i % 10}`,
        load: (i % 7) / 10,
        capacity: { cpus: 64, memoryBytes: 256 * GiB },
      }),
    );
    const r = schedule(
      { nodes },
      {
        mel: mel('m', { resources: { cpus: 0.5, memoryBytes: 0.25 * GiB }, placement: { preferLayer: 'edge', spread: true } }),
        count: 10_000,
      },
    );
    assert.equal(r.placements.length, 10_000);
    const perNode = new Map<string, number>();
    for (const p of r.placements) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
    const counts = [...perNode.values()];
    const edge = nodes.filter((n) => n.layer === 'edge').length;
    // the preferred layer has room for all of them, so nothing spills to cloud
    assert.equal(perNode.size, edge, 'every edge node is used and no cloud node is');
    assert.ok(
      Math.max(...counts) - Math.min(...counts) <= 1,
      `spread keeps every node within one replica of the others (${Math.min(...counts)}..${Math.max(...counts)})`,
    );
  });
});
