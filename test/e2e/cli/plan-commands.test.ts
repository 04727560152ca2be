// `osmo solve` and `osmo plan` end to end: real child processes on the shipped examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnOsmo, tempDir, ROOT } from '../../../testing/proc.js';
import { solve } from '../../../src/planner/solve.js';

async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnOsmo(args);
  const code = await p.exit();
  return { code, out: p.output() };
}

test('osmo solve examples/planner/web-3tier.json --json prints the documented shape', async () => {
  const { code, out } = await run(['solve', 'examples/planner/web-3tier.json', '--json']);
  assert.equal(code, 0, out);
  const r = JSON.parse(out) as ReturnType<typeof solve>;
  assert.equal(r.method, 'exact');
  assert.deepEqual(Object.keys(r.classes), ['web']);
  assert.deepEqual(Object.keys(r.stations), ['cpu', 'disk', 'lan']);
  const direct = solve(JSON.parse(readFileSync(join(ROOT, 'examples/planner/web-3tier.json'), 'utf8')));
  assert.equal(r.classes.web!.throughput, direct.classes.web!.throughput);
  // responseTime = population / throughput − thinkTime
  assert.ok(Math.abs(r.classes.web!.responseTime - (25 / r.classes.web!.throughput - 30)) < 1e-9);
  // utilization per server: X·D/c at the 2-server disk
  assert.ok(Math.abs(r.stations.disk!.utilization.web! - (r.classes.web!.throughput * 0.9) / 2) < 1e-12);
});

test('osmo solve with --method amva, a readable table, and an LQNX model', async () => {
  const amva = await run(['solve', 'examples/planner/two-class.json', '--method', 'amva', '--json']);
  assert.equal(amva.code, 0, amva.out);
  assert.equal((JSON.parse(amva.out) as { method: string }).method, 'amva');
  const table = await run(['solve', 'examples/planner/two-class.json']);
  assert.equal(table.code, 0, table.out);
  assert.match(table.out, /^method: exact/);
  assert.match(table.out, /interactive\s+\d+\.\d{4}\s+\d+\.\d{4}/);
  const lqn = await run(['solve', 'examples/planner/shop.lqnx', '--json']);
  assert.equal(lqn.code, 0, lqn.out);
  const r = JSON.parse(lqn.out) as {
    classes: Record<string, { throughput: number }>;
    stations: Record<string, unknown>;
    entries: Record<string, { throughput: number }>;
  };
  assert.deepEqual(Object.keys(r.classes), ['Users']);
  assert.deepEqual(Object.keys(r.stations), ['Browsers', 'WebCPU', 'AppCPU', 'DBDisk']);
  // logic is called twice per page
  assert.ok(Math.abs(r.entries.logic!.throughput - 2 * r.entries.page!.throughput) < 1e-9);
});

test('osmo solve rejects a bad model with exit code 2 and names the field', async () => {
  const dir = tempDir('osmo-planner-');
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify({ classes: [{ name: 'a', population: 3 }], stations: [{ name: 'q', demands: { a: -0.5 } }] }));
  const { code, out } = await run(['solve', f]);
  assert.equal(code, 2);
  assert.match(out, /stations\[0\]\.demands\.a: must not be negative/);
  const m = await run(['solve', 'examples/planner/web-3tier.json', '--method', 'fast']);
  assert.equal(m.code, 2);
  assert.match(m.out, /--method must be exact, amva, linearizer or auto/);
});

test('osmo plan on YAML with the catalog by path, --json and --seed', async () => {
  const dir = tempDir('osmo-planner-');
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as Record<string, unknown>;
  input.catalog = join(ROOT, 'examples/planner/catalog.json');
  const f = join(dir, 'input.yaml');
  writeFileSync(f, stringify(input));
  const { code, out } = await run(['plan', f, '--json', '--seed', '3']);
  assert.equal(code, 0, out.slice(0, 2000));
  const r = JSON.parse(out) as {
    feasible: boolean;
    dailyCost: number;
    peakPlan: { dailyCost: number };
    hours: unknown[];
    search: { seed: number };
  };
  assert.equal(r.feasible, true);
  assert.equal(r.hours.length, 24);
  assert.equal(r.search.seed, 3);
  assert.ok(r.dailyCost < r.peakPlan.dailyCost);
  const table = await run(['plan', 'examples/planner/three-tier.json']);
  assert.equal(table.code, 0, table.out.slice(0, 2000));
  assert.match(table.out, /^feasible plan on aws \+ azure: \d+\.\d\d USD per day/);
  assert.match(table.out, /\n20\s+aws 60%\s+\d+×\S+ \d+%/);
});

test('osmo plan without a catalog uses the shipped example catalog and says so', async () => {
  const dir = tempDir('osmo-planner-');
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as Record<string, unknown>;
  delete input.catalog;
  const f = join(dir, 'nocatalog.json');
  writeFileSync(f, JSON.stringify(input));
  const { code, out } = await run(['plan', f, '--json']);
  assert.equal(code, 0, out.slice(0, 2000));
  assert.match(out, /using the example catalog .*examples\/planner\/catalog\.json \(example figures, not live prices\)/);
  const json = out.slice(out.indexOf('{'));
  assert.equal((JSON.parse(json) as { feasible: boolean }).feasible, true);
});
