import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { rebalance, type InstanceSnapshot, type RebalanceNode } from '../../../src/policy/rebalance.js';
import { applyPatch, defaultPolicy, type PolicyPatch } from '../../../src/policy/document.js';
import { node } from '../../../testing/builders.js';

const pol = (p: PolicyPatch = {}) => applyPatch(defaultPolicy(), { acceptance: 'always', ...p });
const inst = (id: string, on: string, load: number, over: Partial<InstanceSnapshot> = {}): InstanceSnapshot => ({
  id,
  mel: id.replace(/-\d+$/, ''),
  image: `img/${id.replace(/-\d+$/, '')}:1`,
  node: on,
  load,
  resources: { cpus: 0.5, memoryBytes: 0 },
  placement: {},
  ...over,
});
const N = (id: string, over: Partial<RebalanceNode> = {}): RebalanceNode => node(id, over);

describe('rebalance: selection', () => {
  const nodes = (): RebalanceNode[] => [N('hot', { load: 0.9, overloaded: true }), N('cold', { load: 0.1 })];
  const insts = [inst('a-1', 'hot', 0.05), inst('b-1', 'hot', 0.3), inst('c-1', 'hot', 0.15)];

  test('descending-load moves the heaviest first and stops once the source is back at low', () => {
    const r = rebalance({ nodes: nodes(), instances: insts }, pol({ selection: 'descending-load' }), 0);
    assert.deepEqual(
      r.moves.map((m) => m.instance),
      ['b-1'],
    );
    assert.equal(r.moves[0]?.to, 'cold');
    assert.match(r.moves[0]?.reason ?? '', /hot overloaded \(L 0\.90.*descending-load picked b-1/);
  });

  test('ascending-load moves the lightest first', () => {
    const r = rebalance({ nodes: nodes(), instances: insts }, pol({ selection: 'ascending-load' }), 0);
    assert.deepEqual(
      r.moves.map((m) => m.instance),
      ['a-1', 'c-1', 'b-1'],
    );
  });

  test('prefer-known-destination moves instances whose image already lives elsewhere first', () => {
    const ns = nodes();
    ns[1] = N('cold', { load: 0.1, images: ['img/a:1'] });
    const r = rebalance(
      { nodes: ns, instances: insts },
      pol({ selection: 'prefer-known-destination', management: { maxMovesPerRound: 1 } }),
      0,
    );
    assert.deepEqual(
      r.moves.map((m) => m.instance),
      ['a-1'],
    );
  });

  test('at most maxMovesPerRound moves, and none from a node with a move in flight', () => {
    const r = rebalance({ nodes: nodes(), instances: insts }, pol({ selection: 'ascending-load', management: { maxMovesPerRound: 2 } }), 0);
    assert.equal(r.moves.length, 2);
    const ns = nodes();
    ns[0] = { ...ns[0]!, inFlight: true };
    const r2 = rebalance({ nodes: ns, instances: insts }, pol(), 0);
    assert.equal(r2.moves.length, 0);
    assert.match(r2.notes[0]?.reason ?? '', /in flight/);
  });

  test('stale load is unknown: the node neither sheds nor receives', () => {
    const ns = [N('hot', { load: 0.9, overloaded: true, loadTs: 0 }), N('cold', { load: 0.1, loadTs: 100_000 })];
    assert.equal(rebalance({ nodes: ns, instances: insts }, pol(), 100_000).moves.length, 0);
    const ns2 = [N('hot', { load: 0.9, overloaded: true, loadTs: 100_000 }), N('cold', { load: 0.1, loadTs: 0 })];
    assert.equal(rebalance({ nodes: ns2, instances: insts }, pol(), 100_000).moves.length, 0);
  });

  test('hysteresis: a node between low and high sheds only if it was already overloaded', () => {
    const i = [inst('a-1', 'mid', 0.2)];
    assert.equal(rebalance({ nodes: [N('mid', { load: 0.7 }), N('cold', { load: 0 })], instances: i }, pol(), 0).moves.length, 0);
    assert.equal(
      rebalance({ nodes: [N('mid', { load: 0.7, overloaded: true }), N('cold', { load: 0 })], instances: i }, pol(), 0).moves.length,
      1,
    );
  });
});

describe('rebalance: destination', () => {
  const src = N('src', { load: 0.95, overloaded: true, domain: 'd1', layer: 'edge' });
  const i = [inst('a-1', 'src', 0.2)];
  const dests = [
    N('far-cloud', { load: 0.05, domain: 'dc', layer: 'cloud' }),
    N('near-busy', { load: 0.4, domain: 'd1', layer: 'edge' }),
    N('near-idle', { load: 0.3, domain: 'd1', layer: 'edge' }),
    N('same-layer', { load: 0.1, domain: 'd2', layer: 'edge' }),
  ];
  const to = (destination: 'least-loaded' | 'nearest' | 'least-loaded-nearest'): string | undefined =>
    rebalance({ nodes: [src, ...dests], instances: i }, pol({ destination, selection: 'descending-load' }), 0).moves[0]?.to;

  test('least-loaded picks the lowest load anywhere', () => assert.equal(to('least-loaded'), 'far-cloud'));
  test('nearest picks the same domain first (id breaks ties)', () => assert.equal(to('nearest'), 'near-busy'));
  test('least-loaded-nearest picks the least loaded of the nearest', () => assert.equal(to('least-loaded-nearest'), 'near-idle'));

  test('never to an overloaded node or past high, whatever its acceptance', () => {
    const ns = [src, N('d', { load: 0.7, acceptance: 'always' }), N('o', { load: 0.2, overloaded: true, acceptance: 'always' })];
    // 0.7 + 0.2 >= 0.8; o is overloaded (0.2 <= low though: hysteresis says back to normal this round)
    const r = rebalance({ nodes: ns, instances: i }, pol(), 0);
    assert.equal(r.moves[0]?.to, 'o');
    assert.equal(r.overloaded.o, false);
    const ns2 = [src, N('d', { load: 0.7 }), N('o', { load: 0.7, overloaded: true })];
    assert.equal(rebalance({ nodes: ns2, instances: i }, pol(), 0).moves.length, 0);
  });

  test('destination acceptance policy and capacity are respected', () => {
    const ns = [src, N('never', { load: 0, acceptance: 'never' }), N('full', { load: 0, allocated: { cpus: 4, memoryBytes: 0 } })];
    const r = rebalance({ nodes: ns, instances: i }, pol(), 0);
    assert.equal(r.moves.length, 0);
    assert.match(r.notes[0]?.reason ?? '', /no destination accepts/);
  });

  test('the pending table bound is respected', () => {
    const ns = [src, N('d', { load: 0, pending: [{ instance: 'x', load: 0, acceptedAt: 0 }] })];
    const p = pol({ management: { pendingTableSize: 1 } });
    assert.equal(rebalance({ nodes: ns, instances: i }, p, 0).moves.length, 0);
    // after the acceptance timeout the entry has expired
    assert.equal(rebalance({ nodes: ns, instances: i }, p, 31_000).moves.length, 1);
  });
});

describe('rebalance: osmotic flow', () => {
  const m = { preferLayer: 'edge' as const, preferDomain: 'd1' };
  test('spill-over: an overloaded edge sheds to another edge of its domain, else to cloud, never to a foreign edge first', () => {
    const ns = [
      N('e1', { load: 0.95, overloaded: true }),
      N('e2', { load: 0.75 }),
      N('x1', { load: 0, domain: 'd9' }),
      N('c1', { load: 0.5, layer: 'cloud', domain: 'dc' }),
    ];
    const r = rebalance({ nodes: ns, instances: [inst('w-1', 'e1', 0.2, { placement: m })] }, pol(), 0);
    assert.equal(r.moves[0]?.to, 'c1');
    assert.match(r.moves[0]?.reason ?? '', /spill-over from edge/);
    ns[1] = N('e2', { load: 0.3 });
    assert.equal(rebalance({ nodes: ns, instances: [inst('w-1', 'e1', 0.2, { placement: m })] }, pol(), 0).moves[0]?.to, 'e2');
  });

  test('flow-back: an instance on cloud returns when a home edge node would stay under low', () => {
    const i = [inst('w-1', 'c1', 0.2, { placement: m })];
    const ns = [N('e1', { load: 0.5 }), N('c1', { load: 0.3, layer: 'cloud', domain: 'dc' })];
    // 0.5 + 0.2 > low 0.6: stays on cloud
    assert.equal(rebalance({ nodes: ns, instances: i }, pol(), 0).moves.length, 0);
    ns[0] = N('e1', { load: 0.3 });
    const r = rebalance({ nodes: ns, instances: i }, pol(), 0);
    assert.equal(r.moves[0]?.kind, 'flow-back');
    assert.equal(r.moves[0]?.to, 'e1');
    assert.match(r.moves[0]?.reason ?? '', /flow-back/);
  });
});
