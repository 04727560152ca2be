// Core API with simulated agents (HTTP on 127.0.0.1): registry, MELs, scheduling,
// reconcile, events, auth. Real store files, real HTTP; no real containers here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { DEFAULT_RECONCILER } from '../../../src/core/reconciler/options.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { SimAgent } from '../../../testing/sim-agent.js';

let core: CoreHandle;
/** short, so the crash-loop backoff is observable in a unit test (the default is 3 s) */
const FAILED_HOLD_MS = 1000;
const agents: SimAgent[] = [];

interface Inst {
  id: string;
  mel: string;
  node: string | null;
  name: string;
  state: string;
  reason: string | null;
}
/** the fields these tests read from the core's answers */
interface Body {
  nodes: Array<{ id: string; status: string }>;
  instances: Inst[];
  events: unknown[];
  series: Array<{ points: Array<{ avg: number }> }>;
  status: unknown;
  schedulable: boolean;
  load: { cpu?: number };
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown }>>;
}

/** reconcile rounds the core has finished, from its own /metrics */
async function reconcileRounds(): Promise<number> {
  const text = await (await fetch(`${core.url}/metrics`)).text();
  const m = /^osmo_reconcile_duration_seconds_count(?:\{[^}]*\})? (\d+)/m.exec(text);
  assert.ok(m, 'the core exports osmo_reconcile_duration_seconds_count');
  return Number(m[1]);
}

/** Resolves once two more reconcile rounds finished: at least one started after the call. */
async function twoMoreRounds(): Promise<void> {
  const start = await reconcileRounds();
  await eventually(async () => (await reconcileRounds()) >= start + 2, 10_000, 'two reconcile rounds');
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Body }> {
  const r = await fetch(`${core.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

describe('core API with simulated agents', () => {
  before(async () => {
    core = await startCore({
      listen: '127.0.0.1:0',
      dataDir: tempDir('osmo-core-api-'),
      liveness: { heartbeatMs: 200, suspectMs: 1500, downMs: 3000 },
      reconciler: { ...DEFAULT_RECONCILER, failedHoldMs: FAILED_HOLD_MS },
      processMetrics: false,
    });
    const specs = [
      { id: 'co-sim-a', layer: 'cloud' as const, domain: 'eu' },
      { id: 'co-sim-b', layer: 'edge' as const, domain: 'eu', labels: { gpu: 'yes' } },
      { id: 'co-sim-c', layer: 'edge' as const, domain: 'us' },
    ];
    for (const s of specs) agents.push(await new SimAgent({ ...s, core: core.url, token: core.token, heartbeatMs: 200 }).start());
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await core.close();
  });

  test('nodes register and are listed as ready', async () => {
    // A loaded CI machine may starve a simulated heartbeat for a moment: wait for all three.
    const { status, json } = await eventually(
      async () => {
        const r = await api('GET', '/api/v1/nodes');
        return r.json.nodes.every((n) => n.status === 'ready') ? r : undefined;
      },
      10_000,
      'three ready nodes',
    );
    assert.equal(status, 200);
    assert.deepEqual(
      json.nodes.map((n) => [n.id, n.status]),
      [
        ['co-sim-a', 'ready'],
        ['co-sim-b', 'ready'],
        ['co-sim-c', 'ready'],
      ],
    );
  });

  test('agent endpoints need the token even on loopback', async () => {
    const r = await fetch(`${core.url}/api/v1/agent/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'co-sim-a' }),
    });
    assert.equal(r.status, 401);
  });

  test('a spread MEL lands on three nodes, scales to 5 and back to 2', async () => {
    const c = await api('POST', '/api/v1/mels', { name: 'co-web', image: 'osmo-test/httpd:1', replicas: 3, placement: { spread: true } });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    const running = async (n: number) => {
      const { json } = await api('GET', '/api/v1/instances?mel=co-web');
      const live = json.instances.filter((i) => i.state === 'running');
      return live.length === n && json.instances.length === n ? live : undefined;
    };
    const three = await eventually(() => running(3), 10_000, '3 running');
    assert.equal(new Set(three.map((i) => i.node)).size, 3);
    const names = three.map((i) => i.name);
    assert.ok(names.every((n: string) => /^co-web-[0-9a-f]{10}$/.test(n)));
    const onAgents = agents.flatMap((a) => [...a.containers.values()]).filter((c) => c.labels['io.osmo.mel'] === 'co-web');
    assert.equal(onAgents.length, 3);
    assert.ok(onAgents.every((c) => typeof c.labels['io.osmo.instance'] === 'string'));

    assert.equal((await api('POST', '/api/v1/mels/co-web/scale', { replicas: 5 })).status, 200);
    await eventually(() => running(5), 10_000, '5 running');
    assert.equal((await api('POST', '/api/v1/mels/co-web/scale', { replicas: 2 })).status, 200);
    const two = await eventually(() => running(2), 10_000, '2 running');
    // the oldest survive a scale-down
    assert.ok(two.every((i) => names.includes(i.name)));
    await eventually(
      () => agents.flatMap((a) => [...a.containers.values()]).filter((c) => c.labels['io.osmo.mel'] === 'co-web').length === 2,
      5000,
      'containers removed',
    );
  });

  test('hard constraints are respected and an unplaceable MEL stays pending with a reason', async () => {
    assert.equal(
      (
        await api('POST', '/api/v1/mels', {
          name: 'co-gpu',
          image: 'osmo-test/sleeper:1',
          replicas: 2,
          placement: { labels: { gpu: 'yes' } },
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await api('POST', '/api/v1/mels', {
          name: 'co-us',
          image: 'osmo-test/sleeper:1',
          replicas: 1,
          placement: { domain: 'us', layer: 'edge' },
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await api('POST', '/api/v1/mels', {
          name: 'co-huge',
          image: 'osmo-test/sleeper:1',
          replicas: 1,
          resources: { cpus: 64, memoryBytes: 1024 },
        })
      ).status,
      201,
    );
    await eventually(
      async () => {
        const { json } = await api('GET', '/api/v1/instances');
        const gpu = json.instances.filter((i) => i.mel === 'co-gpu' && i.state === 'running');
        const us = json.instances.filter((i) => i.mel === 'co-us' && i.state === 'running');
        return gpu.length === 2 && gpu.every((i) => i.node === 'co-sim-b') && us.length === 1 && us[0]!.node === 'co-sim-c';
      },
      10_000,
      'constrained placements',
    );
    const huge = await api('GET', '/api/v1/mels/co-huge');
    const hs = huge.json.status as { pending: number; reason: string };
    assert.equal(hs.pending, 1);
    assert.match(hs.reason, /capacity|cpu|fit/i);
    const inst = await api('GET', '/api/v1/instances?mel=co-huge');
    assert.equal(inst.json.instances[0]!.state, 'pending');
    assert.equal(inst.json.instances[0]!.node, null);
    for (const m of ['co-gpu', 'co-us', 'co-huge']) assert.equal((await api('DELETE', `/api/v1/mels/${m}`)).status, 200);
    await eventually(
      async () => (await api('GET', '/api/v1/instances')).json.instances.every((i) => i.mel === 'co-web'),
      5000,
      'deleted MELs gone',
    );
  });

  test('event batches are deduplicated by seq and samples become metrics', async () => {
    const a = agents[0]!;
    const ts = Date.now();
    const ev = {
      type: 'sample' as const,
      source: 'host' as const,
      target: 'host',
      metric: 'cpu' as const,
      fields: { total: { value: 42, unit: 'percent' } },
      ts,
    };
    const r1 = await a.send([
      { ...ev, seq: 1000 },
      { type: 'monitor' as const, metric: 'cpu' as const, source: 'host' as const, action: 'started' as const, seq: 1001 },
    ]);
    assert.equal(r1.status, 200);
    assert.equal(((await r1.json()) as { ackedSeq: number }).ackedSeq, 1001);
    const r2 = await a.send([{ ...ev, seq: 1000, fields: { total: { value: 99, unit: 'percent' } } }]);
    assert.equal(((await r2.json()) as { ackedSeq: number }).ackedSeq, 1001);
    const m = await api('GET', `/api/v1/metrics?node=co-sim-a&metric=cpu&from=${ts - 5000}&to=${ts + 5000}&step=10000`);
    assert.equal(m.status, 200);
    assert.equal(m.json.series.length, 1);
    assert.equal(m.json.series[0]!.points[0]!.avg, 42);
    const node = await api('GET', '/api/v1/nodes/co-sim-a');
    assert.equal(node.json.load.cpu, 42);
    const hist = await api('GET', '/api/v1/events?follow=false&type=monitor&node=co-sim-a');
    assert.equal(hist.json.events.length, 1);
  });

  test('the SSE stream delivers new events with a type filter', async () => {
    const ac = new AbortController();
    const r = await fetch(`${core.url}/api/v1/events?type=mel`, { signal: ac.signal });
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    const reader = r.body!.getReader();
    await api('POST', '/api/v1/mels/co-web/scale', { replicas: 2 });
    let text = '';
    const dec = new TextDecoder();
    const deadline = setTimeout(() => ac.abort(), 10_000);
    try {
      while (!text.includes('event: mel')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value);
      }
    } finally {
      clearTimeout(deadline);
      ac.abort();
    }
    assert.match(text, /"action":"scale"/);
    assert.doesNotMatch(text, /event: placement/);
  });

  test('a silent node goes suspect then down, and its instances are placed elsewhere', async () => {
    const victim = agents.find((a) => [...a.containers.values()].some((c) => c.labels['io.osmo.mel'] === 'co-web'))!;
    victim.paused = true;
    // How fast a node goes down is measured in bench/core-recovery.ts, not asserted here.
    await eventually(async () => (await api('GET', `/api/v1/nodes/${victim.o.id}`)).json.status === 'down', 10_000, 'down');
    await eventually(
      async () => {
        const { json } = await api('GET', '/api/v1/instances?mel=co-web');
        const run = json.instances.filter((i) => i.state === 'running');
        return run.length === 2 && run.every((i) => i.node !== victim.o.id) && json.instances.some((i) => i.state === 'lost');
      },
      10_000,
      'replaced',
    );
    // back: its original is stopped (the replacement wins), no duplicates remain
    victim.paused = false;
    await eventually(
      async () => {
        const { json } = await api('GET', '/api/v1/instances?mel=co-web');
        const all = agents.flatMap((a) => [...a.containers.values()]).filter((c) => c.labels['io.osmo.mel'] === 'co-web');
        return json.instances.length === 2 && json.instances.every((i) => i.state === 'running') && all.length === 2;
      },
      10_000,
      'surplus stopped after reconnect',
    );
  });

  test('cordon keeps placements off a node; drain moves instances away', async () => {
    const onC = async () => new Set((await api('GET', '/api/v1/instances?mel=co-web&node=co-sim-c')).json.instances.map((i) => i.id));
    const beforeCordon = await onC();
    assert.equal((await api('POST', '/api/v1/nodes/co-sim-c/cordon')).json.schedulable, false);
    await api('POST', '/api/v1/mels/co-web/scale', { replicas: 4 });
    await eventually(
      async () => {
        const { json } = await api('GET', '/api/v1/instances?mel=co-web&state=running');
        return json.instances.length === 4;
      },
      10_000,
      '4 running',
    );
    // a spread MEL would use all three nodes: the two new replicas went elsewhere
    assert.deepEqual(
      [...(await onC())].filter((id) => !beforeCordon.has(id)),
      [],
      'the scale-up placed nothing on the cordoned node',
    );
    const d = await api('POST', '/api/v1/nodes/co-sim-a/drain');
    assert.equal(d.json.status, 'draining');
    await eventually(
      async () => {
        const { json } = await api('GET', '/api/v1/instances?mel=co-web');
        return json.instances.length === 4 && json.instances.every((i) => i.state === 'running' && i.node !== 'co-sim-a');
      },
      10_000,
      'drained',
    );
    assert.deepEqual(
      [...(await onC())].filter((id) => !beforeCordon.has(id)),
      [],
      'the drain moved nothing onto the cordoned node',
    );
    await api('POST', '/api/v1/nodes/co-sim-a/undrain');
    await api('POST', '/api/v1/nodes/co-sim-c/uncordon');
  });

  test('an instance whose container exits is marked failed, then replaced after the hold', async () => {
    const { json } = await api('GET', '/api/v1/instances?mel=co-web&state=running');
    const victim = json.instances[0]!;
    const agent = agents.find((a) => a.o.id === victim.node)!;
    agent.containers.delete(victim.name);
    const r = await agent.send([{ type: 'instance' as const, name: victim.name, state: 'exited' as const, reason: 'exit code 1' }]);
    assert.equal(r.status, 200);
    await eventually(
      async () => (await api('GET', `/api/v1/instances?mel=co-web&state=failed`)).json.instances.some((i) => i.id === victim.id),
      3000,
      'failed',
    );
    await eventually(
      async () => {
        const l = (await api('GET', '/api/v1/instances?mel=co-web')).json.instances;
        return l.length === 4 && l.every((i) => i.state === 'running') && !l.some((i) => i.id === victim.id);
      },
      10_000,
      'replaced',
    );
  });

  test('an agent that refuses a deploy: the instance fails with its reason and is retried with growing backoff', async () => {
    assert.equal((await api('POST', '/api/v1/mels', { name: 'co-bad', image: 'sim-fail/nope:1', replicas: 1 })).status, 201);
    const failed = await eventually(
      async () => (await api('GET', '/api/v1/instances?mel=co-bad&state=failed')).json.instances[0],
      5000,
      'failed',
    );
    assert.match(failed.reason ?? '', /refused deploy.*500.*pull sim-fail\/nope:1: not found/);
    // The hold doubles with each failure: measured on the core's own event timestamps, each
    // retry came no earlier than its hold (a slow machine only makes the gaps longer).
    const placements = await eventually(
      async () => {
        const all = (await api('GET', '/api/v1/events?follow=false&type=placement&limit=10000')).json.events as Array<{
          ts: number;
          data: { mel: string };
        }>;
        const mine = all.filter((e) => e.data.mel === 'co-bad').sort((a, b) => a.ts - b.ts);
        return mine.length >= 3 ? mine : undefined;
      },
      20_000,
      'three placements of co-bad',
    );
    const gaps = [placements[1]!.ts - placements[0]!.ts, placements[2]!.ts - placements[1]!.ts];
    assert.ok(gaps[0]! >= FAILED_HOLD_MS, `first retry after ${gaps[0]} ms, hold ${FAILED_HOLD_MS} ms`);
    assert.ok(gaps[1]! >= 2 * FAILED_HOLD_MS, `second retry after ${gaps[1]} ms, hold ${2 * FAILED_HOLD_MS} ms`);
    assert.equal((await api('DELETE', '/api/v1/mels/co-bad')).status, 200);
  });

  test('PUT with a changed template replaces every instance; a replicas-only PUT does not', async () => {
    const before = (await api('GET', '/api/v1/instances?mel=co-web')).json.instances;
    const same = await api('PUT', '/api/v1/mels/co-web', {
      image: 'osmo-test/httpd:1',
      replicas: before.length,
      placement: { spread: true },
    });
    assert.equal(same.status, 200);
    await twoMoreRounds();
    assert.deepEqual(
      (await api('GET', '/api/v1/instances?mel=co-web')).json.instances.map((i) => i.id).sort(),
      before.map((i) => i.id).sort(),
    );
    const changed = await api('PUT', '/api/v1/mels/co-web', {
      image: 'osmo-test/httpd:1',
      env: { V: '2' },
      replicas: before.length,
      placement: { spread: true },
    });
    assert.equal(changed.status, 200);
    await eventually(
      async () => {
        const l = (await api('GET', '/api/v1/instances?mel=co-web')).json.instances;
        return l.length === before.length && l.every((i) => i.state === 'running' && !before.some((b) => b.id === i.id));
      },
      10_000,
      'all replaced',
    );
    await eventually(
      () => agents.flatMap((a) => [...a.containers.values()]).filter((c) => c.labels['io.osmo.mel'] === 'co-web').length === before.length,
      10_000,
      'old containers removed',
    );
    const now = agents.flatMap((a) => [...a.containers.values()]).filter((c) => c.labels['io.osmo.mel'] === 'co-web');
    assert.deepEqual(
      now.map((c) => c.env.V),
      now.map(() => '2'),
      'every container runs with the new env',
    );
  });

  test('/openapi.json documents the API, /metrics and /healthz answer', async () => {
    const o = await api('GET', '/openapi.json');
    assert.equal(o.status, 200);
    assert.match(o.json.openapi, /^3\./);
    for (const p of [
      '/api/v1/nodes',
      '/api/v1/mels',
      '/api/v1/mels/{name}',
      '/api/v1/instances',
      '/api/v1/events',
      '/api/v1/metrics',
      '/api/v1/agent/register',
    ])
      assert.ok(o.json.paths[p], `missing ${p}`);
    assert.ok(o.json.paths['/api/v1/mels']?.post?.requestBody);
    const m = await fetch(`${core.url}/metrics`);
    const text = await m.text();
    assert.match(text, /osmo_nodes\{status="ready"\} \d/);
    assert.match(text, /osmo_reconcile_duration_seconds_count/);
    assert.equal((await api('GET', '/healthz')).json.status, 'ok');
    assert.equal((await fetch(`${core.url}/docs/`)).status, 200);
  });
});
