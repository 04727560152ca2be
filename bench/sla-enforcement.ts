// One enforcement round of the SLA manager over 1,000 started agreements × 5 guarantee terms
// (pushed metrics, one new value per term per round; a real SQLite store in a temp dir, the
// core's SlaService and SlaRepo). Baseline measured in the same run: the least a round must do
// with this store — per agreement read the agreement, its job and its new metrics, and write
// its state back in one transaction — with no evaluation and no history reads.
// Usage: node --import tsx bench/sla-enforcement.ts [agreements] [rounds]
import { rmSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { SlaService } from '../src/core/sla/service.js';
import { openStore } from '../src/store/index.js';
import { SlaRepo, type SlaDatabase } from '../src/store/repos/sla.js';
import { migrateSla } from '../src/store/sla-migrations.js';
import type { Agreement } from '../src/sla/index.js';
import { tempDir } from '../testing/proc.js';

const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 7);
const POLL = 10_000;

const LEVELS = [
  '{"constraint": "ResponseTime LT 0.5", "policies": [{"count": 3, "interval": 60}]}',
  '{"constraint": "avgResponseTime LT 0.4", "window": 30}',
  '{"constraint": "availability GE 0.99"}',
  '{"constraint": "cpu BETWEEN (0, 80)"}',
  '{"constraint": "qosConstraint_c1_Violated NOT_EXISTS"}',
];
const KPIS = ['ResponseTime', 'ResponseTime', 'availability', 'cpu', 'qosConstraint_c1_Violated'];

function agreement(i: number): Agreement {
  return {
    agreementId: `ag${i}`,
    context: { agreementInitiator: 'c', agreementResponder: 'p', serviceProvider: 'AgreementResponder', service: `s${i}` },
    terms: {
      serviceDescriptionTerms: [],
      serviceProperties: [],
      guaranteeTerms: LEVELS.map((customServiceLevel, k) => ({
        name: `T${k}`,
        serviceLevelObjective: { kpitarget: { kpiName: KPIS[k]!, customServiceLevel } },
        businessValueList: {
          customBusinessValue: [
            { count: 2, duration: 'PT1H', penalties: [{ type: 'discount', expression: '5', unit: '%', validity: 'P1D' }] },
          ],
        },
      })),
    },
  };
}

// deterministic values: ~10 % of them breach
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const value = (k: number) => {
  const bad = rnd() < 0.1;
  return [bad ? 0.9 : 0.2, bad ? 0.9 : 0.2, bad ? 0.5 : 1, bad ? 95 : 30, 1][k]!;
};

const dir = tempDir('osmo-bench-sla-');
const store = await openStore(dir);
const db = store.db as unknown as Kysely<SlaDatabase>;
await migrateSla(db as unknown as Kysely<unknown>);
const repo = new SlaRepo(db);
let now = Date.parse('2026-11-30T12:00:00Z');
const sla = new SlaService(repo, { pollMs: POLL, now: () => now });
await repo.addProvider({ uuid: 'p', name: 'p' });
for (let i = 0; i < N; i++) {
  await sla.createAgreement(agreement(i));
  await repo.setEnabled(`ag${i}`, true);
}

async function push(at: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < N; i++) {
      const rows = KPIS.map((key, k) => ({ agreement_id: `ag${i}`, key, value: value(k), at: at - 1 }))
        // the NOT_EXISTS event arrives for 5 % of agreements only
        .filter((r, k) => k !== 4 || rnd() < 0.05);
      await tx.insertInto('sla_metrics').values(rows).execute();
    }
  });
}

async function osmoRound(): Promise<void> {
  for (const j of await repo.listJobs()) if (j.enabled) await sla.enforce(j.agreementId);
}

async function baselineRound(): Promise<void> {
  for (const j of await repo.listJobs()) {
    if (!j.enabled) continue;
    await repo.getAgreement(j.agreementId);
    const ms = await repo.metricsSince(j.agreementId, (j.lastExecuted ?? 0) - POLL);
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('sla_enforcements')
        .set({ last_executed: now, states: JSON.stringify({ n: ms.length }) })
        .where('agreement_id', '=', j.agreementId)
        .execute();
    });
  }
}

async function measure(f: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  now += POLL;
  await push(now);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const osmo: { wall: number; cpu: number }[] = [];
const base: { wall: number; cpu: number }[] = [];
await measure(osmoRound); // warm-up (JIT, first states)
for (let r = 0; r < ROUNDS; r++) {
  // interleaved, so load changes on the shared machine hit both alike
  osmo.push(await measure(osmoRound));
  base.push(await measure(baselineRound));
}
const count = async (t: 'sla_breaches' | 'sla_violations' | 'sla_penalties') =>
  Number(
    (
      await db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const o = { wall: med(osmo.map((x) => x.wall)), cpu: med(osmo.map((x) => x.cpu)) };
const b = { wall: med(base.map((x) => x.wall)), cpu: med(base.map((x) => x.cpu)) };
console.log(`${N} agreements × ${LEVELS.length} terms, ${ROUNDS} rounds each (median), poll ${POLL / 1000} s`);
console.log(`osmo round:     ${o.cpu.toFixed(0)} ms cpu, ${o.wall.toFixed(0)} ms wall`);
console.log(`baseline round: ${b.cpu.toFixed(0)} ms cpu, ${b.wall.toFixed(0)} ms wall (read + write state only)`);
console.log(`ratio osmo / baseline: ${(o.cpu / b.cpu).toFixed(2)} (cpu), ${(o.wall / b.wall).toFixed(2)} (wall)`);
console.log(
  `stored: ${await count('sla_breaches')} breaches, ${await count('sla_violations')} violations, ${await count('sla_penalties')} penalties`,
);
console.log(`target one round ≤ 1 s: ${o.wall <= 1000 ? 'met' : 'NOT met'} (wall)`);
await sla.stop();
await store.close();
rmSync(dir, { recursive: true, force: true });
