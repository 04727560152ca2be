// Properties of one rebalancing round over random clusters (fast-check).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rebalance, type InstanceSnapshot, type RebalanceNode, type RebalanceState } from '../../../src/policy/rebalance.js';
import { ACCEPTANCE, applyPatch, defaultPolicy, DESTINATION, SELECTION, type PolicyDocument } from '../../../src/policy/document.js';
import { tierOf } from '../../../src/policy/osmotic.js';

const GiB = 1024 ** 3;

const nodeArb = (id: string): fc.Arbitrary<RebalanceNode> =>
  fc
    .record({
      layer: fc.constantFrom('edge' as const, 'cloud' as const, 'iot' as const),
      domain: fc.constantFrom('d1', 'd2'),
      load: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined, freq: 8 }),
      overloaded: fc.boolean(),
      acceptance: fc.constantFrom(...ACCEPTANCE),
      cpus: fc.integer({ min: 1, max: 8 }),
      pendingLoad: fc.double({ min: 0, max: 0.3, noNaN: true }),
      inFlight: fc.boolean(),
      status: fc.constantFrom('ready' as const, 'ready' as const, 'ready' as const, 'down' as const),
    })
    .map((r) => ({
      id,
      status: r.status,
      schedulable: true,
      layer: r.layer,
      domain: r.domain,
      labels: {},
      capacity: { cpus: r.cpus, memoryBytes: 8 * GiB },
      allocated: { cpus: 0, memoryBytes: 0 },
      load: r.load,
      overloaded: r.overloaded,
      acceptance: r.acceptance,
      pendingLoad: r.pendingLoad,
      images: [],
      mels: {},
      inFlight: r.inFlight && r.load !== undefined && r.load < 0.5,
    }));

const stateArb: fc.Arbitrary<RebalanceState> = fc
  .integer({ min: 2, max: 8 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(...Array.from({ length: n }, (_, k) => nodeArb(`n${k}`))),
      fc.array(
        fc.record({
          node: fc.integer({ min: 0, max: n - 1 }),
          mel: fc.constantFrom('web', 'db', 'cache'),
          load: fc.double({ min: 0, max: 0.4, noNaN: true }),
          cpus: fc.constantFrom(0, 0.25, 0.5, 1),
          preferLayer: fc.constantFrom(undefined, 'edge' as const, 'iot' as const),
          preferDomain: fc.constantFrom(undefined, 'd1'),
        }),
        { maxLength: 25 },
      ),
    ),
  )
  .map(([nodes, is]) => {
    const ns = nodes.map((x) => ({ ...x, allocated: { ...x.allocated } }));
    const instances: InstanceSnapshot[] = is.map((r, k) => {
      const host = ns[r.node]!;
      host.allocated.cpus += r.cpus;
      host.mels[r.mel] = (host.mels[r.mel] ?? 0) + 1;
      return {
        id: `${r.mel}-${k}`,
        mel: r.mel,
        image: `img/${r.mel}`,
        node: host.id,
        load: r.load,
        resources: { cpus: r.cpus, memoryBytes: 0 },
        placement: {
          ...(r.preferLayer ? { preferLayer: r.preferLayer } : {}),
          ...(r.preferDomain ? { preferDomain: r.preferDomain } : {}),
        },
      };
    });
    for (const n of ns) n.capacity.cpus = Math.max(n.capacity.cpus, n.allocated.cpus);
    return { nodes: ns, instances };
  });

const policyArb: fc.Arbitrary<PolicyDocument> = fc
  .record({
    low: fc.double({ min: 0.1, max: 0.7, noNaN: true }),
    gap: fc.double({ min: 0.05, max: 0.3, noNaN: true }),
    selection: fc.constantFrom(...SELECTION),
    destination: fc.constantFrom(...DESTINATION),
    phantom: fc.double({ min: 0, max: 2, noNaN: true }),
    maxMoves: fc.integer({ min: 0, max: 10 }),
  })
  .map((r) =>
    applyPatch(defaultPolicy(), {
      thresholds: { low: r.low, high: Math.min(1, r.low + r.gap) },
      selection: r.selection,
      destination: r.destination,
      management: { phantomLoadWeight: r.phantom, maxMovesPerRound: r.maxMoves },
    }),
  );

/** The next round's state after the moves: instances relocated; loads either unchanged (moves still pending) or updated. */
function applyMoves(s: RebalanceState, r: ReturnType<typeof rebalance>, mode: 'pending' | 'arrived'): RebalanceState {
  const nodes = new Map(
    s.nodes.map((n) => [n.id, { ...n, overloaded: r.overloaded[n.id] ?? n.overloaded, allocated: { ...n.allocated } }]),
  );
  const instances = s.instances.map((i) => ({ ...i }));
  const byId = new Map(instances.map((i) => [i.id, i]));
  for (const m of r.moves) {
    const i = byId.get(m.instance)!;
    const from = nodes.get(m.from)!;
    const to = nodes.get(m.to)!;
    // make-before-break: until the move lands, the source keeps its allocation too
    if (mode === 'arrived') from.allocated.cpus -= i.resources.cpus;
    to.allocated.cpus += i.resources.cpus;
    if (mode === 'pending') to.pendingLoad += m.estimatedLoad;
    else {
      from.load = (from.load ?? 0) - (i.load ?? 0);
      to.load = (to.load ?? 0) + m.estimatedLoad;
      // the core keeps a source in flight until its measured load has settled
      from.inFlight = true;
    }
    i.node = m.to;
    i.load = m.estimatedLoad;
  }
  return { nodes: [...nodes.values()], instances };
}

describe('rebalance properties', () => {
  test('a moved instance is not moved again next round (loads unchanged, moves still pending)', () => {
    fc.assert(
      fc.property(stateArb, policyArb, (s, p) => {
        const r1 = rebalance(s, p, 0);
        const r2 = rebalance(applyMoves(s, r1, 'pending'), p, 0);
        const moved = new Set(r1.moves.map((m) => m.instance));
        const again = r2.moves.filter((m) => moved.has(m.instance));
        assert.deepEqual(again, [], JSON.stringify({ r1: r1.moves, again }));
      }),
      { numRuns: 500 },
    );
  });

  test('a moved instance never goes straight back to its source (loads updated as the moves land)', () => {
    fc.assert(
      fc.property(stateArb, policyArb, (s, p) => {
        const r1 = rebalance(s, p, 0);
        const r2 = rebalance(applyMoves(s, r1, 'arrived'), p, 0);
        const origin = new Map(r1.moves.map((m) => [m.instance, m.from]));
        const back = r2.moves.filter((m) => origin.get(m.instance) === m.to);
        assert.deepEqual(back, []);
      }),
      { numRuns: 500 },
    );
  });

  test('moves obey the limits: maxMovesPerRound, in-flight sources, destinations below high and not overloaded', () => {
    fc.assert(
      fc.property(stateArb, policyArb, (s, p) => {
        const r = rebalance(s, p, 0);
        assert.ok(r.moves.length <= p.management.maxMovesPerRound);
        const byId = new Map(s.nodes.map((n) => [n.id, n]));
        const added = new Map<string, number>();
        for (const m of r.moves) {
          const from = byId.get(m.from)!;
          const to = byId.get(m.to)!;
          assert.ok(!from.inFlight, 'move from a node in flight');
          assert.ok(!to.inFlight, 'move to a node in flight');
          assert.equal(r.overloaded[m.to], false);
          assert.equal(to.status, 'ready');
          assert.notEqual(to.acceptance, 'never');
          const a = (added.get(m.to) ?? 0) + m.estimatedLoad;
          added.set(m.to, a);
          assert.ok((to.load ?? 0) + p.management.phantomLoadWeight * to.pendingLoad + a < p.thresholds.high, 'destination past high');
        }
      }),
      { numRuns: 500 },
    );
  });

  test('destination choice obeys the policy among the eligible nodes of the best osmotic tier', () => {
    // One overloaded source, one instance: the chosen node must be optimal for the policy.
    const destArb = fc.array(
      fc.record({
        layer: fc.constantFrom('edge' as const, 'cloud' as const),
        domain: fc.constantFrom('d1', 'd2', 'd3'),
        load: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(destArb, fc.constantFrom(...DESTINATION), fc.constantFrom(undefined, 'edge' as const), (ds, destination, preferLayer) => {
        const p = applyPatch(defaultPolicy(), { acceptance: 'always', destination, selection: 'descending-load' });
        const mk = (id: string, o: Partial<RebalanceNode>): RebalanceNode => ({
          id,
          status: 'ready',
          schedulable: true,
          layer: 'edge',
          domain: 'd1',
          labels: {},
          capacity: { cpus: 4, memoryBytes: GiB },
          allocated: { cpus: 0, memoryBytes: 0 },
          overloaded: false,
          acceptance: 'always',
          pendingLoad: 0,
          images: [],
          mels: {},
          ...o,
        });
        const src = mk('src', { load: 0.95, overloaded: true });
        const nodes = [src, ...ds.map((d, k) => mk(`d${k}`, d))];
        const i: InstanceSnapshot = {
          id: 'w-1',
          mel: 'w',
          image: 'w',
          node: 'src',
          load: 0.1,
          resources: { cpus: 1, memoryBytes: 0 },
          placement: preferLayer ? { preferLayer, preferDomain: 'd1' } : {},
        };
        const r = rebalance({ nodes, instances: [i] }, p, 0);
        // eligible, computed independently: not overloaded after this round's hysteresis, and below high with the instance
        const eligible = nodes.slice(1).filter((n) => !(n.load! >= p.thresholds.high) && n.load! + 0.1 < p.thresholds.high - 1e-9);
        if (eligible.length === 0) return r.moves.length === 0;
        const to = nodes.find((n) => n.id === r.moves[0]?.to);
        if (!to) return false;
        const tier = (n: RebalanceNode) => tierOf(n, i.placement.preferLayer, i.placement.preferDomain);
        const bestTier = Math.min(...eligible.map(tier));
        if (tier(to) !== bestTier) return false;
        const pool = eligible.filter((n) => tier(n) === bestTier);
        const prox = (n: RebalanceNode) => (n.domain === 'd1' ? 0 : n.layer === 'edge' ? 1 : 2);
        // compared as the projected load the policy sees (load + incoming), which is what it minimises
        const after = (n: RebalanceNode) => n.load! + 0.1;
        const minLoad = Math.min(...pool.map(after));
        const minProx = Math.min(...pool.map(prox));
        if (destination === 'least-loaded') return after(to) === minLoad;
        if (destination === 'nearest') return prox(to) === minProx;
        return prox(to) === minProx && after(to) === Math.min(...pool.filter((n) => prox(n) === minProx).map(after));
      }),
      { numRuns: 1000 },
    );
  });
});
