// Planner tests: every plan marked feasible is re-checked by an independent solve of the
// network it describes; plans are never worse than "peak capacity all day"; the search is
// deterministic for a seed and optimal on instances small enough to enumerate.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { plan, planAsync, type PlanResult } from '../../../src/planner/plan.js';
import { solve } from '../../../src/planner/solve.js';
import type { PlanInputRaw } from '../../../src/planner/plan-input.js';
import { isOsmoError } from '../../../src/shared/errors.js';
import { ROOT } from '../../../testing/proc.js';

const example = (): PlanInputRaw => JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as PlanInputRaw;

/**
 * Rebuilds each deployment as a plain network in the public format, one station per VM
 * (no `copies` shortcut), solves it, and checks the constraints the plan claims to meet.
 */
function recheck(input: PlanInputRaw, r: PlanResult): void {
  const limits = input.constraints?.responseTime ?? {};
  const maxU = input.constraints?.maxUtilization ?? 0.8;
  for (const h of r.hours) {
    for (const d of h.deployments) {
      if (!d.feasible || d.share === 0) continue;
      const classes = Object.entries(d.population).map(([name, population]) => ({ name, population, thinkTime: d.thinkTime }));
      if (classes.every((c) => c.population === 0)) continue;
      const stations: Array<{ name: string; type: 'queue' | 'delay'; servers?: number; demands: Record<string, number> }> = [];
      for (const tier of input.tiers) {
        const tp = d.tiers[tier.name]!;
        const vm = input.catalog.providers.find((p) => p.name === d.provider)!.vmTypes.find((v) => v.name === tp.vmType)!;
        for (let i = 0; i < tp.count; i++) {
          stations.push({
            name: `${tier.name}#${i}`,
            type: 'queue',
            servers: vm.cores,
            demands: Object.fromEntries(Object.entries(tier.demands).map(([c, D]) => [c, D / ((vm.speed ?? 1) * tp.count)])),
          });
          for (const dev of tier.devices ?? []) {
            stations.push({
              name: `${tier.name}#${i}/${dev.name}`,
              type: 'queue',
              servers: dev.servers ?? 1,
              demands: Object.fromEntries(Object.entries(dev.demands).map(([c, D]) => [c, D / tp.count])),
            });
          }
        }
        if (tier.latency) stations.push({ name: `${tier.name}/lat`, type: 'delay', demands: tier.latency });
      }
      const s = solve({ classes, stations }, { method: 'amva' });
      for (const [c, lim] of Object.entries(limits)) {
        if ((d.population[c] ?? 0) === 0) continue;
        const rt = s.classes[c]!.responseTime;
        assert.ok(rt <= lim * (1 + 1e-6), `hour ${h.hour} ${d.provider}: class ${c} response time ${rt} > ${lim} but marked feasible`);
        assert.ok(
          Math.abs(rt - d.responseTime[c]!) <= 1e-4 * rt,
          `reported response time ${d.responseTime[c]} differs from re-solved ${rt}`,
        );
      }
      for (const tier of input.tiers) {
        const cap = typeof maxU === 'number' ? maxU : (maxU[tier.name] ?? 0.8);
        const u = Object.values(s.stations[`${tier.name}#0`]!.utilization).reduce((a, b) => a + b, 0);
        assert.ok(u <= cap * (1 + 1e-6), `hour ${h.hour} ${d.provider}: tier ${tier.name} utilization ${u} > ${cap} but marked feasible`);
      }
    }
  }
}

describe('the shipped 3-tier, 2-provider example', () => {
  const input = example();
  const r = plan(input, { seed: 1 });
  test('is feasible, checked independently, and cheaper than peak capacity all day', () => {
    assert.equal(r.feasible, true);
    assert.equal(r.hours.length, 24);
    recheck(input, r);
    assert.ok(r.peakPlan.feasibleAllDay);
    assert.ok(r.dailyCost <= r.peakPlan.dailyCost + 1e-9, `${r.dailyCost} > peak ${r.peakPlan.dailyCost}`);
    assert.ok(r.savings > 0.2, `a day with a 20:1 peak/night ratio should save well over 20 %, saved ${r.savings}`);
    const cost = r.hours.reduce(
      (a, h) => a + h.deployments.reduce((b, d) => b + Object.values(d.tiers).reduce((c, t) => c + t.count * t.pricePerHour, 0), 0),
      0,
    );
    assert.ok(Math.abs(cost - r.dailyCost) < 1e-9, 'daily cost is the sum of VM-hours × price');
  });
  test('follows the 60/40 split and the replica bounds; binding constraints are listed', () => {
    for (const h of r.hours) {
      assert.deepEqual(
        h.deployments.map((d) => d.provider),
        ['aws', 'azure'],
      );
      assert.equal(h.deployments[0]!.share, 0.6);
      for (const d of h.deployments) {
        assert.ok(d.tiers.web!.count >= 2 && d.tiers.app!.count >= 2 && d.tiers.db!.count >= 1);
        assert.ok(d.binding.length > 0, `hour ${h.hour}: something must stop a further scale-in`);
      }
    }
    // the peak hour needs more than the night
    const peak = r.hours[20]!.cost,
      night = r.hours[3]!.cost;
    assert.ok(peak > 3 * night, `peak ${peak} vs night ${night}`);
  });
  test('is deterministic for a seed, and planAsync gives the same plan', async () => {
    assert.deepEqual(plan(input, { seed: 1 }), r);
    assert.deepEqual(await planAsync(input, { seed: 1 }), r);
  });
  test('the db tier only uses VM types with ≥ 16 GB and availability ≥ 0.999', () => {
    const ok = new Set(
      input.catalog.providers.flatMap((p) =>
        p.vmTypes.filter((v) => (v.memoryGb ?? 0) >= 16 && (v.availability ?? 1) >= 0.999).map((v) => v.name),
      ),
    );
    for (const h of r.hours) for (const d of h.deployments) assert.ok(ok.has(d.tiers.db!.vmType), d.tiers.db!.vmType);
  });
});

/** A one-tier, one-provider instance small enough to enumerate every (type, count). */
function tiny(pop: number[], rt: number): PlanInputRaw {
  return {
    classes: [{ name: 'req' }],
    tiers: [{ name: 'svc', demands: { req: 0.2 } }],
    workload: { thinkTime: 2, hours: [...Array(24).keys()].map((h) => ({ hour: h, population: pop[h % pop.length]! })) },
    catalog: {
      providers: [
        {
          name: 'p',
          vmTypes: [
            { name: 'small', cores: 1, speed: 1, pricePerHour: 0.05 },
            { name: 'fast', cores: 1, speed: 2.5, pricePerHour: 0.11 },
            { name: 'big', cores: 4, speed: 1, pricePerHour: 0.18 },
          ],
        },
      ],
    },
    constraints: { responseTime: { req: rt }, maxUtilization: 0.9, replicas: { svc: { min: 1, max: 40 } } },
  };
}

test('optimal on an instance small enough to enumerate', () => {
  const input = tiny([3, 10, 25, 60, 90, 140], 0.5);
  const r = plan(input, { seed: 7 });
  for (const h of r.hours) {
    const d = h.deployments[0]!;
    let best = Infinity;
    for (const v of input.catalog.providers[0]!.vmTypes) {
      for (let n = 1; n <= 40; n++) {
        const s = solve(
          {
            classes: [{ name: 'req', population: d.population.req!, thinkTime: 2 }],
            stations: [...Array(n).keys()].map((i) => ({ name: `s${i}`, servers: v.cores, demands: { req: 0.2 / ((v.speed ?? 1) * n) } })),
          },
          { method: 'amva' },
        );
        const u = s.stations.s0!.utilization.req!;
        if (s.classes.req!.responseTime <= 0.5 && u <= 0.9) {
          best = Math.min(best, n * v.pricePerHour);
          break;
        }
      }
    }
    assert.ok(Math.abs(d.cost - best) < 1e-9, `hour ${h.hour} (population ${d.population.req}): planner ${d.cost}, enumeration ${best}`);
  }
});

test('an impossible response-time limit is reported infeasible, never as feasible', () => {
  // 0.2 s of demand per request cannot fit in 0.05 s on any VM here (speed ≤ 2.5 → ≥ 0.08 s)
  const r = plan(tiny([5, 50], 0.05), { seed: 1 });
  assert.equal(r.feasible, false);
  for (const h of r.hours) {
    assert.equal(h.feasible, false);
    assert.ok(h.deployments[0]!.violations.includes('responseTime:req'));
  }
});

test('random instances: feasible claims hold and the plan never costs more than the peak plan (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 24, maxLength: 24 }),
      fc.double({ min: 0.3, max: 3, noNaN: true }),
      fc.double({ min: 0.5, max: 10, noNaN: true }),
      fc.integer({ min: 0, max: 1000 }),
      (pops, rt, think, seed) => {
        const input: PlanInputRaw = {
          classes: [
            { name: 'a', mix: 2 },
            { name: 'b', mix: 1 },
          ],
          tiers: [
            { name: 'front', demands: { a: 0.01, b: 0.03 } },
            {
              name: 'back',
              demands: { a: 0.04, b: 0.02 },
              latency: { b: 0.05 },
              devices: [{ name: 'disk', demands: { a: 0.01, b: 0.03 } }],
            },
          ],
          workload: { thinkTime: think, hours: pops.map((population, hour) => ({ hour, population })) },
          catalog: {
            providers: [
              {
                name: 'x',
                vmTypes: [
                  { name: 'x1', cores: 1, pricePerHour: 0.04 },
                  { name: 'x4', cores: 4, speed: 1.2, pricePerHour: 0.2 },
                ],
              },
              { name: 'y', vmTypes: [{ name: 'y2', cores: 2, speed: 0.9, pricePerHour: 0.07 }] },
            ],
          },
          constraints: { responseTime: { a: rt, b: rt * 1.5 }, maxUtilization: 0.85, share: { x: 0.7, y: 0.3 }, minProviders: 2 },
          search: { restarts: 1 },
        };
        const r = plan(input, { seed });
        recheck(input, r);
        if (r.peakPlan.feasibleAllDay) assert.ok(r.dailyCost <= r.peakPlan.dailyCost + 1e-9);
        return true;
      },
    ),
    { numRuns: 12, seed: 5 },
  );
});

test('without a given split the planner picks the cheapest provider set', () => {
  const input = tiny([20], 1);
  input.catalog.providers.push({ name: 'cheap', vmTypes: [{ name: 'c1', cores: 1, speed: 1, pricePerHour: 0.01 }] });
  const r = plan(input, { seed: 1 });
  assert.deepEqual(r.providers, ['cheap']);
  assert.equal(r.search.alternativesTried, 2);
});

describe('input validation names the field', () => {
  const bad = (mut: (i: PlanInputRaw) => void, re: RegExp) => {
    const i = example();
    mut(i);
    assert.throws(
      () => plan(i),
      (e: unknown) => isOsmoError(e) && e.kind === 'invalid' && re.test(e.message),
    );
  };
  test('unknown class in a tier', () =>
    bad((i) => {
      i.tiers[0]!.demands.nope = 1;
    }, /tiers\[0\]\.demands\.nope: unknown class "nope"/));
  test('shares not summing to 1', () =>
    bad((i) => {
      i.constraints!.share = { aws: 0.6, azure: 0.6 };
    }, /constraints\.share: shares of hour 0 sum to 1\.2/));
  test('missing hours', () =>
    bad((i) => {
      i.workload.hours.pop();
    }, /workload\.hours: give exactly 24 hours/));
  test('negative price', () =>
    bad((i) => {
      i.catalog.providers[0]!.vmTypes[0]!.pricePerHour = -1;
    }, /catalog\.providers\[0\]\.vmTypes\[0\]\.pricePerHour: must not be negative/));
  test('a tier with no usable VM type', () =>
    bad((i) => {
      i.tiers[2]!.minMemoryGb = 1000;
    }, /tier "db" has no usable VM type on provider "aws"/));
});

test('open arrivals: an open-only hour is sized by the M/M/1 formula R = D/(1 − λD/n)', () => {
  const input = tiny([0], 0.5);
  input.workload.hours = input.workload.hours.map((h) => ({ ...h, arrivalRate: 25 }));
  input.catalog.providers[0]!.vmTypes = [{ name: 'one', cores: 1, speed: 1, pricePerHour: 0.05 }];
  const r = plan(input, { seed: 1 });
  assert.equal(r.feasible, true);
  for (const h of r.hours) {
    const d = h.deployments[0]!;
    // D = 0.2 s, λ = 25/s: n = 8 gives 0.2/(1 − 5/8) = 0.533 s > 0.5 s; n = 9 gives 0.45 s
    assert.equal(d.tiers.svc!.count, 9, `hour ${h.hour}`);
    assert.ok(Math.abs(d.responseTime.req! - 0.45) < 1e-12, String(d.responseTime.req));
    assert.ok(Math.abs(d.tiers.svc!.utilization - 5 / 9) < 1e-12);
    assert.equal(d.arrivalRate.req, 25);
    assert.deepEqual(d.binding, ['responseTime:req']);
  }
});

test('open arrivals on top of closed users need more capacity than either alone', () => {
  const closedOnly = plan(tiny([40], 0.6), { seed: 1 });
  const mixedInput = tiny([40], 0.6);
  mixedInput.workload.hours = mixedInput.workload.hours.map((h) => ({ ...h, arrivalRate: 10 }));
  const mixed = plan(mixedInput, { seed: 1 });
  assert.equal(mixed.feasible, true);
  assert.ok(mixed.dailyCost > closedOnly.dailyCost, `${mixed.dailyCost} vs ${closedOnly.dailyCost}`);
  for (const h of mixed.hours) assert.ok(h.deployments[0]!.responseTime.req! <= 0.6);
});

test('a percentile limit acts as the exponential-quantile mean limit R·ln(1/(1−p))', () => {
  const withPct = tiny([3, 10, 25, 60, 90, 140], 100);
  withPct.constraints!.responseTime = {};
  withPct.constraints!.percentile = { req: { p: 0.9, max: 1.0 } };
  const withMean = tiny([3, 10, 25, 60, 90, 140], 1 / Math.log(10));
  const a = plan(withPct, { seed: 1 }),
    b = plan(withMean, { seed: 1 });
  assert.deepEqual(
    a.hours.map((h) => h.cost),
    b.hours.map((h) => h.cost),
  );
  assert.ok(a.hours.some((h) => h.deployments[0]!.binding.includes('responseTime:req')));
});

test('two tiers × three VM types: the search matches exhaustive enumeration', () => {
  const types = [
    { name: 's', cores: 1, speed: 1, pricePerHour: 0.05 },
    { name: 'f', cores: 2, speed: 1.6, pricePerHour: 0.17 },
    { name: 'b', cores: 4, speed: 0.9, pricePerHour: 0.16 },
  ];
  const pops = [10, 40, 80, 150, 250, 400];
  const input: PlanInputRaw = {
    classes: [
      { name: 'a', mix: 2 },
      { name: 'b', mix: 1 },
    ],
    tiers: [
      { name: 't1', demands: { a: 0.02, b: 0.05 } },
      { name: 't2', demands: { a: 0.06, b: 0.03 } },
    ],
    workload: { thinkTime: 3, hours: [...Array(24).keys()].map((h) => ({ hour: h, population: pops[h % pops.length]! })) },
    catalog: { providers: [{ name: 'p', vmTypes: types }] },
    constraints: { responseTime: { a: 0.2, b: 0.25 }, maxUtilization: 0.8, replicas: { t1: { min: 1, max: 30 }, t2: { min: 1, max: 30 } } },
  };
  const r = plan(input, { seed: 1 });
  for (const h of r.hours.slice(0, pops.length)) {
    const d = h.deployments[0]!;
    const feasible = (t1: (typeof types)[0], n1: number, t2: (typeof types)[0], n2: number) => {
      const s = solve(
        {
          classes: [
            { name: 'a', population: d.population.a!, thinkTime: 3 },
            { name: 'b', population: d.population.b!, thinkTime: 3 },
          ],
          stations: [
            { name: 't1', servers: t1.cores, demands: { a: 0.02 / (t1.speed * n1), b: 0.05 / (t1.speed * n1) } },
            { name: 't2', servers: t2.cores, demands: { a: 0.06 / (t2.speed * n2), b: 0.03 / (t2.speed * n2) } },
          ].flatMap((st, i) => [...Array(i === 0 ? n1 : n2).keys()].map((k) => ({ ...st, name: `${st.name}#${k}` }))),
        },
        { method: 'amva' },
      );
      const u = (name: string) => s.stations[name]!.utilization.a! + s.stations[name]!.utilization.b!;
      return s.classes.a!.responseTime <= 0.2 && s.classes.b!.responseTime <= 0.25 && u('t1#0') <= 0.8 && u('t2#0') <= 0.8;
    };
    let best = Infinity;
    for (const t1 of types)
      for (const t2 of types) {
        // for fixed types, the cheapest feasible n2 for each n1 (feasibility is monotone in n2)
        for (let n1 = 1; n1 <= 30; n1++) {
          if (n1 * t1.pricePerHour + t2.pricePerHour >= best) break;
          for (let n2 = 1; n2 <= 30; n2++) {
            const cost = n1 * t1.pricePerHour + n2 * t2.pricePerHour;
            if (cost >= best) break;
            if (feasible(t1, n1, t2, n2)) {
              best = cost;
              break;
            }
          }
        }
      }
    assert.ok(Math.abs(d.cost - best) < 1e-9, `hour ${h.hour}: planner ${d.cost} vs enumeration ${best}`);
  }
});

test('with search.method exact, reported figures match an exact solve of the explicit network', () => {
  const input = tiny([3, 8, 14], 0.5);
  input.catalog.providers[0]!.vmTypes = [{ name: 'dual', cores: 2, speed: 1, pricePerHour: 0.08 }];
  input.search = { method: 'exact' };
  const r = plan(input, { seed: 1 });
  assert.equal(r.feasible, true);
  for (const h of r.hours.slice(0, 3)) {
    const d = h.deployments[0]!;
    assert.equal(d.method, 'exact');
    const n = d.tiers.svc!.count;
    const s = solve(
      {
        classes: [{ name: 'req', population: d.population.req!, thinkTime: 2 }],
        stations: [...Array(n).keys()].map((i) => ({ name: `s${i}`, servers: 2, demands: { req: 0.2 / n } })),
      },
      { method: 'exact' },
    );
    close9(d.responseTime.req!, s.classes.req!.responseTime);
    close9(d.throughput.req!, s.classes.req!.throughput);
  }
});

function close9(a: number, b: number): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${a} != ${b}`);
}

test('a per-VM device (a disk) is part of the tier: more VMs also means more disks', () => {
  // CPU is cheap here; the disk (0.1 s per request, one per VM) decides the count
  const input = tiny([50], 0.6);
  input.tiers[0]!.demands = { req: 0.01 };
  input.tiers[0]!.devices = [{ name: 'disk', demands: { req: 0.1 } }];
  input.catalog.providers[0]!.vmTypes = [{ name: 'one', cores: 1, speed: 1, pricePerHour: 0.05 }];
  const r = plan(input, { seed: 1 });
  assert.equal(r.feasible, true);
  recheck(input, r);
  const d = r.hours[0]!.deployments[0]!;
  assert.ok(d.tiers.svc!.utilization < 0.2, 'the CPU is not what limits');
  assert.ok(d.tiers.svc!.count >= 3, `50 users, Z = 2 s, 0.1 s of disk each need several disks, got ${d.tiers.svc!.count}`);
  assert.deepEqual(d.binding, ['responseTime:req']);
});
