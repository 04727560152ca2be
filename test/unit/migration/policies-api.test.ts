// Run-time policy management over the core API: read every parameter, change them
// globally and per node, refuse invalid combinations without change, notify on the event
// stream, survive a core restart. Real store files, real HTTP; a simulated agent.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { tempDir } from '../../../testing/proc.js';
import { SimAgent } from '../../../testing/sim-agent.js';

let core: CoreHandle;
let agent: SimAgent;
const dir = tempDir('osmo-policy-api-');

interface Param {
  name: string;
  type: string;
  unit?: string;
  min?: number;
  max?: number;
  value: unknown;
}
interface Change {
  name: string;
  from: unknown;
  to: unknown;
}
/** the fields these tests read from the core's answers */
interface Body {
  policy: { thresholds: { low: number; high: number }; management: Record<string, number>; [k: string]: unknown };
  parameters: Param[];
  changes: Change[];
  events: Array<{ type: string; data: { scope: string; node?: string; changes: Change[] } }>;
  error: string;
  [k: string]: unknown;
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

describe('policies API', () => {
  before(async () => {
    core = await startCore({ listen: '127.0.0.1:0', dataDir: dir, processMetrics: false });
    agent = await new SimAgent({ id: 'pol-sim-a', core: core.url, token: core.token, heartbeatMs: 200 }).start();
  });
  after(async () => {
    await agent.stop();
    await core.close();
  });

  test('GET lists every parameter with type, unit, range and current value', async () => {
    const { status, json } = await api('GET', '/api/v1/policies');
    assert.equal(status, 200);
    assert.deepEqual(json.policy.thresholds, { low: 0.6, high: 0.8 });
    const names = json.parameters.map((p) => p.name);
    for (const n of [
      'thresholds.low',
      'thresholds.high',
      'weights.cpu',
      'weights.mem',
      'weights.io',
      'acceptance',
      'selection',
      'destination',
      'loadSource',
      'management.phantomLoadWeight',
      'management.pendingTableSize',
      'management.acceptanceTimeoutMs',
      'management.monitoringPeriodMs',
      'management.stalenessTimeoutMs',
      'management.rebalancePeriodMs',
      'management.loadRefreshPeriodMs',
    ])
      assert.ok(names.includes(n), n);
    const hi = json.parameters.find((p) => p.name === 'thresholds.high');
    assert.ok(hi, 'thresholds.high is listed');
    assert.deepEqual(
      { type: hi.type, unit: hi.unit, min: hi.min, max: hi.max, value: hi.value },
      { type: 'number', unit: 'load factor', min: 0, max: 1, value: 0.8 },
    );
  });

  test('PUT changes several parameters at once and emits a policy event', async () => {
    const r = await api('PUT', '/api/v1/policies', {
      thresholds: { high: 0.9 },
      acceptance: 'if-unloaded-before',
      management: { maxMovesPerRound: 2 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.policy.thresholds.high, 0.9);
    assert.deepEqual(r.json.changes.map((c) => c.name).sort(), ['acceptance', 'management.maxMovesPerRound', 'thresholds.high']);
    const ev = await api('GET', '/api/v1/events?follow=false&type=policy');
    const last = ev.json.events.at(-1);
    assert.ok(last, 'a policy event was emitted');
    assert.equal(last.type, 'policy');
    assert.equal(last.data.scope, 'global');
    assert.ok(last.data.changes.some((c) => c.name === 'thresholds.high' && c.from === 0.8 && c.to === 0.9));
  });

  test('invalid combinations get 400 naming the field and change nothing', async () => {
    const before = (await api('GET', '/api/v1/policies')).json.policy;
    const cases: Array<[unknown, RegExp]> = [
      [{ thresholds: { low: 0.95 } }, /thresholds\.low .* must be below thresholds\.high/],
      [{ weights: { cpu: -0.5 } }, /weights\.cpu/],
      [{ weights: { cpu: 0, mem: 0, io: 0 } }, /all zero/],
      [{ acceptance: 'maybe' }, /acceptance/],
      [{ thresholds: { high: 0.5 }, selection: 'ascending-load' }, /thresholds\.low \(0\.6\) must be below thresholds\.high \(0\.5\)/],
    ];
    for (const [body, re] of cases) {
      const r = await api('PUT', '/api/v1/policies', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error, re);
    }
    assert.deepEqual((await api('GET', '/api/v1/policies')).json.policy, before);
  });

  test('per-node override: partial, merged over the global document, validated against it', async () => {
    const r = await api('PUT', '/api/v1/nodes/pol-sim-a/policies', { acceptance: 'never', thresholds: { low: 0.3 } });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const g = await api('GET', '/api/v1/nodes/pol-sim-a/policies');
    assert.equal(g.json.policy.acceptance, 'never');
    assert.equal(g.json.policy.thresholds.high, 0.9);
    assert.deepEqual(g.json.override, { acceptance: 'never', thresholds: { low: 0.3 } });
    assert.equal((await api('PUT', '/api/v1/nodes/pol-sim-a/policies', { thresholds: { low: 0.95 } })).status, 400);
    assert.equal((await api('PUT', '/api/v1/nodes/nobody/policies', { acceptance: 'never' })).status, 404);
    // the global policy cannot move under an override so that the node's document breaks
    const bad = await api('PUT', '/api/v1/policies', { thresholds: { high: 0.25, low: 0.1 } });
    assert.equal(bad.status, 400, JSON.stringify(bad.json));
    const ev = await api('GET', '/api/v1/events?follow=false&type=policy');
    assert.equal(ev.json.events.at(-1)?.data.scope, 'node');
  });

  test('changes survive a core restart', async () => {
    await agent.stop();
    await core.close();
    core = await startCore({ listen: '127.0.0.1:0', dataDir: dir, processMetrics: false });
    agent = await new SimAgent({ id: 'pol-sim-a', core: core.url, token: core.token, heartbeatMs: 200 }).start();
    const g = await api('GET', '/api/v1/policies');
    assert.equal(g.json.policy.thresholds.high, 0.9);
    assert.equal(g.json.policy.management.maxMovesPerRound, 2);
    const n = await api('GET', '/api/v1/nodes/pol-sim-a/policies');
    assert.equal(n.json.policy.acceptance, 'never');
  });
});
