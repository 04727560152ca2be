// The planner over the core's HTTP API: POST /api/v1/solve, POST /api/v1/plans,
// GET /api/v1/plans[/{id}], and the OpenAPI document lists them. Real core, real HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { solve } from '../../../src/planner/solve.js';
import { tempDir, ROOT } from '../../../testing/proc.js';
import { msUntilNextHour } from '../../../src/core/planner/service.js';

let core: CoreHandle;
const dataDir = tempDir('osmo-planner-api-');
before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir, processMetrics: false });
});
after(async () => {
  await core.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${core.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

const network = JSON.parse(readFileSync(join(ROOT, 'examples/planner/web-3tier.json'), 'utf8')) as unknown;

test('POST /api/v1/solve answers like solve()', async () => {
  const r = await call('POST', '/api/v1/solve', network);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, JSON.parse(JSON.stringify(solve(network))));
  const a = await call('POST', '/api/v1/solve?method=amva', network);
  assert.equal(a.json.method, 'amva');
});

test('POST /api/v1/solve: a bad model is a 400 naming the field', async () => {
  const r = await call('POST', '/api/v1/solve', { classes: [{ name: 'a', population: 1 }], stations: [{ name: 'q', demands: { b: 1 } }] });
  assert.equal(r.status, 400);
  assert.equal(r.json.response, false);
  assert.match(String(r.json.error), /unknown class "b"/);
  const neg = await call('POST', '/api/v1/solve', {
    classes: [{ name: 'a', population: 1.5 }],
    stations: [{ name: 'q', demands: { a: 1 } }],
  });
  assert.equal(neg.status, 400);
  assert.match(String(neg.json.error), /population/);
});

test('POST /api/v1/plans keeps the plan; GET returns it; unknown id is 404', async () => {
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
  const c = await call('POST', '/api/v1/plans?seed=2', input);
  assert.equal(c.status, 201, JSON.stringify(c.json).slice(0, 500));
  const id = String(c.json.id);
  const plan = c.json.plan as { feasible: boolean; dailyCost: number; hours: unknown[]; search: { seed: number } };
  assert.equal(plan.feasible, true);
  assert.equal(plan.hours.length, 24);
  assert.equal(plan.search.seed, 2);
  const g = await call('GET', `/api/v1/plans/${id}`);
  assert.equal(g.status, 200);
  assert.deepEqual(g.json, c.json);
  const list = await call('GET', '/api/v1/plans');
  assert.deepEqual(
    (list.json.plans as Array<{ id: string }>).map((p) => p.id),
    [id],
  );
  const missing = await call('GET', '/api/v1/plans/nope');
  assert.equal(missing.status, 404);
  const bad = await call('POST', '/api/v1/plans', { ...(input as object), classes: [] });
  assert.equal(bad.status, 400);
});

test('the OpenAPI document lists the planner routes', async () => {
  const r = await call('GET', '/openapi.json');
  assert.equal(r.status, 200);
  const paths = Object.keys(r.json.paths as object);
  for (const p of ['/api/v1/solve', '/api/v1/plans', '/api/v1/plans/{id}'])
    assert.ok(paths.includes(p), `${p} missing from ${paths.join(', ')}`);
});

test('POST /api/v1/plans/{id}/apply scales MELs to one hour of the plan', async () => {
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
  const c = await call('POST', '/api/v1/plans', input);
  const id = String(c.json.id);
  const plan = c.json.plan as { hours: Array<{ deployments: Array<{ provider: string; tiers: Record<string, { count: number }> }> }> };
  for (const name of ['pl-web', 'pl-app']) {
    // replicas 0: this core has no agents, and the test is about the counts, not containers
    const m = await call('POST', '/api/v1/mels', { name, image: 'osmo-test/httpd:1', replicas: 0 });
    assert.equal(m.status, 201, JSON.stringify(m.json));
  }
  const a = await call('POST', `/api/v1/plans/${id}/apply`, { mels: { web: 'pl-web', app: 'pl-app' }, hour: 20 });
  assert.equal(a.status, 200, JSON.stringify(a.json));
  const want = (tier: string) => plan.hours[20]!.deployments.reduce((s, d) => s + d.tiers[tier]!.count, 0);
  assert.deepEqual(a.json.replicas, { 'pl-web': want('web'), 'pl-app': want('app') });
  assert.equal((a.json.schedule as unknown[]).length, 24);
  const mel = await call('GET', '/api/v1/mels/pl-app');
  assert.equal(mel.json.replicas, want('app'));
  const aws = await call('POST', `/api/v1/plans/${id}/apply`, { mels: { app: 'pl-app' }, hour: 3, provider: 'aws' });
  assert.equal((aws.json.replicas as Record<string, number>)['pl-app'], plan.hours[3]!.deployments[0]!.tiers.app!.count);
  const badTier = await call('POST', `/api/v1/plans/${id}/apply`, { mels: { cache: 'pl-web' } });
  assert.equal(badTier.status, 400);
  assert.match(String(badTier.json.error), /no tier "cache"/);
  const noMel = await call('POST', `/api/v1/plans/${id}/apply`, { mels: { db: 'pl-db' } });
  assert.equal(noMel.status, 404);
});

test('the core keeps answering while a plan is computed', async () => {
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
  const order: string[] = [];
  const planning = call('POST', '/api/v1/plans?seed=5', input).then((r) => {
    order.push('plan');
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  const health = await call('GET', '/healthz');
  order.push('healthz');
  assert.equal(health.status, 200);
  assert.equal((await planning).status, 201);
  assert.deepEqual(order, ['healthz', 'plan']);
});

test('POST /api/v1/solve/lqnx solves an LQNX body; a broken model is a 400', async () => {
  const xml = readFileSync(join(ROOT, 'examples/planner/shop.lqnx'), 'utf8');
  const r = await fetch(`${core.url}/api/v1/solve/lqnx?method=exact`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml' },
    body: xml,
  });
  assert.equal(r.status, 200);
  const j = (await r.json()) as {
    method: string;
    classes: Record<string, { throughput: number }>;
    entries: Record<string, { throughput: number }>;
  };
  assert.equal(j.method, 'exact');
  assert.ok(Math.abs(j.entries.logic!.throughput - 2 * j.classes.Users!.throughput) < 1e-9);
  const bad = await fetch(`${core.url}/api/v1/solve/lqnx`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml' },
    body: '<lqn-model><processor name="P"><task name="S"><entry name="e"/></task></processor></lqn-model>',
  });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /no reference task/);
});

test('apply with follow re-arms at every UTC hour until DELETE stops it', async () => {
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
  const c = await call('POST', '/api/v1/plans', input);
  const id = String(c.json.id);
  const m = await call('POST', '/api/v1/mels', { name: 'pl-follow', image: 'osmo-test/httpd:1', replicas: 0 });
  assert.equal(m.status, 201, JSON.stringify(m.json));
  const before = Date.now();
  const a = await call('POST', `/api/v1/plans/${id}/apply`, { mels: { db: 'pl-follow' }, follow: true });
  assert.equal(a.status, 200, JSON.stringify(a.json));
  assert.equal(a.json.hour, new Date().getUTCHours());
  const f = a.json.following as { mels: Record<string, string>; nextAt: string };
  assert.deepEqual(f.mels, { db: 'pl-follow' });
  const next = Date.parse(f.nextAt);
  assert.ok(next > before && next <= before + msUntilNextHour(before) + 5_000, f.nextAt);
  assert.equal(new Date(next).getUTCMinutes(), 0);
  assert.deepEqual(((await call('GET', `/api/v1/plans/${id}`)).json.following as { mels: unknown }).mels, { db: 'pl-follow' });
  assert.equal((await call('DELETE', `/api/v1/plans/${id}/apply`)).status, 200);
  assert.equal((await call('DELETE', `/api/v1/plans/${id}/apply`)).status, 404);
  assert.equal((await call('GET', `/api/v1/plans/${id}`)).json.following, undefined);
});

test('plans and their hour-by-hour follow survive a core restart', async () => {
  const input = JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as unknown;
  const c = await call('POST', '/api/v1/plans?seed=3', input);
  assert.equal(c.status, 201);
  const id = String(c.json.id);
  assert.equal((await call('POST', '/api/v1/mels', { name: 'pl-keep', image: 'osmo-test/httpd:1', replicas: 0 })).status, 201);
  assert.equal((await call('POST', `/api/v1/plans/${id}/apply`, { mels: { web: 'pl-keep' }, follow: true })).status, 200);
  const restart = async () => {
    await core.close();
    core = await startCore({ listen: '127.0.0.1:0', dataDir, processMetrics: false });
  };
  await restart();
  const g = await call('GET', `/api/v1/plans/${id}`);
  assert.equal(g.status, 200, 'the plan is still there after a restart');
  assert.deepEqual(g.json.plan, c.json.plan, 'the same plan, figure for figure');
  assert.deepEqual((g.json.following as { mels: unknown } | undefined)?.mels, { web: 'pl-keep' }, 'the follow is re-armed');
  assert.ok((await call('GET', '/api/v1/plans')).json.plans instanceof Array, 'the list answers');
  assert.equal((await call('DELETE', `/api/v1/plans/${id}/apply`)).status, 200);
  await restart();
  const after = await call('GET', `/api/v1/plans/${id}`);
  assert.equal(after.status, 200, 'the plan stays');
  assert.equal(after.json.following, undefined, 'a stopped follow stays stopped');
});

test('msUntilNextHour lands one second past the next hour boundary', () => {
  const t = Date.UTC(2026, 10, 22, 13, 59, 30);
  assert.equal(msUntilNextHour(t), 31_000);
  assert.equal(msUntilNextHour(Date.UTC(2026, 10, 22, 14, 0, 0)), 3_601_000);
});
