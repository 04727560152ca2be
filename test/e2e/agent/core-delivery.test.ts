// A real agent and a real core (no stub): events the agent produced while the core was down
// wait in its outbox and reach the core once it is up; and close() delivers what is still
// queued before it returns.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { startAgent } from '../../../src/agent/index.js';
import { eventually, freePort, tempDir } from '../../../testing/proc.js';
import { api, startAgentProc, RUN, type AgentProc } from '../../../testing/agent-proc.js';

const cores: CoreHandle[] = [];
let agentProc: AgentProc | undefined;
after(async () => {
  await agentProc?.stop();
  for (const c of cores) await c.close();
});

type Ev = { type: string; ts: number; node: string | null; data: Record<string, unknown> };
async function coreEvents(core: CoreHandle, node: string): Promise<Ev[]> {
  const r = await fetch(`${core.url}/api/v1/events?follow=false&node=${node}&limit=10000`, {
    headers: { authorization: `Bearer ${core.token}` },
  });
  return ((await r.json()) as { events: Ev[] }).events;
}

/** a core data dir with a known join token, so an agent can be pointed at it before it runs */
function coreDir(token: string): string {
  const dir = tempDir('osmo-delivery-core-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'join-token'), `${token}\n`, { mode: 0o600 });
  return dir;
}

test('events produced while the core is down reach the real core once it starts', async () => {
  const token = `osmo_delivery_${RUN}_token_0001`;
  const port = await freePort();
  const node = `ag-${RUN}-deliver`;
  agentProc = await startAgentProc({ nodeId: node, args: ['--driver', 'process', '--core', `http://127.0.0.1:${port}`, '--token', token] });
  const auth = { authorization: `Bearer ${token}` };
  assert.equal((await api(agentProc.url, 'PUT', '/api/v1/monitor/mem', { time: 0.5, source: 'host' }, auth)).status, 200);
  // the core is not there yet: wait until the outbox holds something on disk
  await eventually(
    async () => {
      const text = await (await fetch(`${agentProc!.url}/metrics`, { headers: auth })).text();
      return Number(/osmo_agent_outbox_bytes\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0) > 0;
    },
    30_000,
    'events waiting in the outbox',
  );
  const coreUpAt = Date.now();
  const core = await startCore({ listen: `127.0.0.1:${port}`, dataDir: coreDir(token), processMetrics: false });
  cores.push(core);
  // (once registered, the core's policy engine may start monitors of its own on the agent:
  // those are produced after coreUpAt and are not what this test is about)
  const before = (e: Ev[]) => e.filter((x) => x.type === 'monitor' && x.data.action === 'started' && x.ts < coreUpAt);
  const evs = await eventually(
    async () => {
      const e = await coreEvents(core, node);
      return before(e).length > 0 ? e : undefined;
    },
    60_000,
    'the monitor event produced before the core started',
  );
  assert.equal(before(evs).length, 1, 'delivered once');
  assert.equal(before(evs)[0]!.data.metric, 'mem', 'the monitor this test started');
});

test('close() delivers what is still queued before it returns', async () => {
  const token = `osmo_delivery_${RUN}_token_0002`;
  const core = await startCore({ listen: '127.0.0.1:0', dataDir: coreDir(token), processMetrics: false });
  cores.push(core);
  const node = `ag-${RUN}-close`;
  const agent = await startAgent({
    listen: `127.0.0.1:${await freePort()}`,
    nodeId: node,
    driver: 'process',
    dataDir: tempDir('osmo-delivery-agent-'),
    core: core.url,
    token,
    logLevel: 'warn',
  });
  const auth = { authorization: `Bearer ${token}` };
  await eventually(
    async () =>
      (await coreEvents(core, node)).length > 0 || (await fetch(`${core.url}/api/v1/nodes/${node}`, { headers: auth })).status === 200,
    30_000,
    'registered',
  );
  // produce and close at once: nothing is left for a later retry, close() must deliver it
  assert.equal((await api(agent.url, 'PUT', '/api/v1/monitor/cpu', { time: 60, source: 'host' }, auth)).status, 200);
  assert.equal((await api(agent.url, 'DELETE', '/api/v1/monitor/cpu', { source: 'host' }, auth)).status, 200);
  await agent.close();
  const actions = (await coreEvents(core, node)).filter((e) => e.type === 'monitor').map((e) => e.data.action);
  assert.deepEqual(actions, ['started', 'stopped']);
});
