// `osmo solve` and `osmo plan`: the planner from the command line. The planner itself is
// pure; this file reads the files (JSON, YAML, LQNX), prints tables or JSON, and shows a
// progress line on stderr while a long search runs.
import { readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { parse as parseYaml } from 'yaml';
import { invalid, isOsmoError } from '../../shared/errors.js';
import { describeFailure } from '../common.js';
import { solve, SolveMethodSchema, type SolveResult } from '../../planner/solve.js';
import { solveLqnx, type LqnSolveResult } from '../../planner/lqnx.js';
import { plan, type PlanResult } from '../../planner/plan.js';

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw invalid(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function readData(file: string): unknown {
  const text = readText(file);
  const ext = extname(file).toLowerCase();
  try {
    return ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw invalid(`${file} is not valid ${ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
}

const isLqnx = (file: string) => ['.lqnx', '.xml'].includes(extname(file).toLowerCase());

function fail(e: unknown): never {
  process.stderr.write(`osmo: ${describeFailure(e)}\n`);
  process.exit(isOsmoError(e) && e.kind !== 'internal' ? 2 : 1);
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4));
const pad = (rows: string[][]) => {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

export function solveTable(r: SolveResult | LqnSolveResult): string {
  const head = `method: ${r.method}${r.auto ? ` (auto: ${r.auto.reason})` : ''}${r.iterations ? `, ${r.iterations} iterations` : ''}`;
  const classes = pad([
    ['class', 'throughput', 'response time'],
    ...Object.entries(r.classes).map(([c, v]) => [c, fmt(v.throughput), fmt(v.responseTime)]),
  ]);
  const rows = [['station', 'class', 'utilization', 'queue length', 'residence time']];
  for (const [s, v] of Object.entries(r.stations))
    for (const c of Object.keys(v.utilization)) rows.push([s, c, fmt(v.utilization[c]!), fmt(v.queueLength[c]!), fmt(v.residenceTime[c]!)]);
  let lqn = '';
  if ('entries' in r) {
    const t = [['task', 'throughput'], ...Object.entries(r.tasks).map(([k, v]) => [k, fmt(v.throughput)])];
    const e = [['entry', 'throughput'], ...Object.entries(r.entries).map(([k, v]) => [k, fmt(v.throughput)])];
    lqn = `\n${pad(t)}\n\n${pad(e)}\n`;
  }
  return `${head}\n\n${classes}\n\n${pad(rows)}\n${lqn}`;
}

export function planTable(r: PlanResult): string {
  const money = (v: number) => `${v.toFixed(2)} ${r.currency}`;
  const lines = [
    `${r.feasible ? 'feasible' : 'INFEASIBLE in some hours'} plan on ${r.providers.join(' + ')}: ${money(r.dailyCost)} per day`,
    `peak capacity all day: ${money(r.peakPlan.dailyCost)} (${Object.entries(r.peakPlan.hours)
      .map(([p, h]) => `${p} hour ${h}`)
      .join(', ')}${r.peakPlan.feasibleAllDay ? '' : '; not feasible all day'}) — savings ${(r.savings * 100).toFixed(1)} %`,
    `search: seed ${r.search.seed}, ${r.search.restarts} restarts, ${r.search.evaluations} evaluations`,
    '',
  ];
  const tiers = Object.keys(r.hours[0]?.deployments[0]?.tiers ?? {});
  const classes = Object.keys(r.hours[0]?.deployments[0]?.responseTime ?? {});
  const rows = [['hour', 'provider', ...tiers, `R (${classes.join('/')})`, 'cost/h', 'binding']];
  for (const h of r.hours) {
    for (const d of h.deployments) {
      rows.push([
        String(h.hour).padStart(2, '0'),
        `${d.provider} ${(d.share * 100).toFixed(0)}%`,
        ...tiers.map((t) => {
          const x = d.tiers[t]!;
          return x.count === 0 ? '-' : `${x.count}×${x.vmType} ${(x.utilization * 100).toFixed(0)}%`;
        }),
        classes.map((c) => d.responseTime[c]!.toFixed(3)).join('/'),
        d.cost.toFixed(3),
        d.feasible ? d.binding.join(' ') : `VIOLATES ${d.violations.join(' ')}`,
      ]);
    }
  }
  return `${lines.join('\n')}\n${pad(rows)}\n`;
}

/** The example catalog shipped with osmo (same place relative to src/ and dist/). */
export const DEFAULT_CATALOG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'planner', 'catalog.json');

/** A plan input may name its catalog by path (relative to the input file) or leave it out. */
function loadPlanInput(file: string): unknown {
  const data = readData(file);
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const catalog: unknown = (data as { catalog?: unknown }).catalog;
  if (typeof catalog === 'string') return { ...data, catalog: readData(resolve(dirname(file), catalog)) };
  if (catalog === undefined) {
    process.stderr.write(`osmo: no catalog in ${file}; using the example catalog ${DEFAULT_CATALOG} (example figures, not live prices)\n`);
    return { ...data, catalog: readData(DEFAULT_CATALOG) };
  }
  return data;
}

export function register(program: Command): void {
  program
    .command('solve')
    .description('solve a closed queueing network (JSON/YAML network or LQNX model): throughput, response time, utilization')
    .argument('<file>', 'network .json/.yaml, or an LQN model .lqnx/.xml')
    .option('--method <method>', 'exact | amva | linearizer | auto', 'auto')
    .option('--json', 'print the result as JSON')
    .action((file: string, o: { method: string; json?: boolean }) => {
      try {
        const m = SolveMethodSchema.safeParse(o.method);
        if (!m.success) throw invalid(`--method must be exact, amva, linearizer or auto, got "${o.method}"`);
        const r = isLqnx(file) ? solveLqnx(readText(file), { method: m.data }) : solve(readData(file), { method: m.data });
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : solveTable(r));
      } catch (e) {
        fail(e);
      }
    });

  program
    .command('plan')
    .description('cheapest 24-hour deployment (VM type and count per hour and tier) that meets the constraints')
    .argument('<file>', 'planner input .json/.yaml (docs/planner.md)')
    .option('--json', 'print the plan as JSON')
    .option('--seed <n>', 'seed of the randomized restarts (same seed, same plan)', '1')
    .action((file: string, o: { json?: boolean; seed: string }) => {
      try {
        const seed = Number(o.seed);
        if (!Number.isInteger(seed) || seed < 0) throw invalid(`--seed must be a non-negative integer, got "${o.seed}"`);
        const input = loadPlanInput(file);
        const started = Date.now();
        let bar: SingleBar | undefined;
        const r = plan(input, {
          seed,
          onProgress: (done, total) => {
            // only long searches get a progress line; short ones finish before it would help
            if (!bar && Date.now() - started > 300 && done < total) {
              bar = new SingleBar({
                stream: process.stderr,
                format: 'planning [{bar}] {value}/{total} provider-hours',
                clearOnComplete: true,
                synchronousUpdate: true,
                hideCursor: true,
              });
              bar.start(total, done);
            }
            bar?.update(done);
          },
        });
        bar?.stop();
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : planTable(r));
      } catch (e) {
        fail(e);
      }
    });
}
