// The Docker engine restarted under a running agent (issue "Reliability on a real network"):
// a private dockerd of its own (in a network namespace, so its bridge and iptables rules touch
// nothing else), stopped the way a service manager stops it (SIGTERM: its containers stop too)
// and started again. The agent must survive, reconnect, re-adopt and report; the core must
// bring the MEL back to its replicas without ever taking the node for dead.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { eventually } from '../../../testing/proc.js';
import { makeLan, type Lan } from '../../../testing/netns.js';
import { api, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';

const NODE = 'rel-er-edge';
const MEL = 'rel-er-web';
let lan: Lan;
let sock: string;
let core: CoreProc;
let agent: AgentProc;

/** The MEL's containers in the private engine: name and state. */
function containers(): Array<{ name: string; state: string }> {
  const out = execFileSync(
    'docker',
    ['-H', sock, 'ps', '-a', '--filter', `label=io.osmo.mel=${MEL}`, '--format', '{{.Names}}|{{.State}}'],
    {
      encoding: 'utf8',
    },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, state] = l.split('|');
      return { name: name!, state: state! };
    });
}

async function nodeEvents(): Promise<Array<{ data: { status?: string; reason?: string } }>> {
  const r = await api(core, 'GET', `/api/v1/events?follow=false&type=node&node=${NODE}`);
  return r.json.events as Array<{ data: { status?: string; reason?: string } }>;
}

describe('Docker engine restarted under the agent', { timeout: 180_000 }, () => {
  before(async () => {
    lan = makeLan('oer', '10.231.7', ['h1']);
    sock = await lan.dockerd('h1', '10.231.8.1/24', ['osmo-test/sleeper:1']);
    core = await spawnCore();
    agent = await spawnAgent(core, NODE, 'edge', 'site', [], undefined, { DOCKER_HOST: sock });
    await eventually(
      async () => ((await api(core, 'GET', `/api/v1/nodes/${NODE}`)).json as { status?: string }).status === 'ready',
      20_000,
      'node ready',
    );
  });
  after(async () => {
    await agent?.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    await lan?.close();
  });

  test('the agent reconnects and reports, the MEL is whole again, the node is never down, nothing is left behind', async () => {
    const r = await api(core, 'POST', '/api/v1/mels', { name: MEL, image: 'osmo-test/sleeper:1', replicas: 3 });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const before = await eventually(
      async () => {
        const l = (await instances(core, MEL)).filter((i) => i.state === 'running');
        return l.length === 3 && containers().filter((c) => c.state === 'running').length === 3 ? l : undefined;
      },
      60_000,
      '3 running before the restart',
    );

    await lan.stopDockerd('h1');
    // While the engine is away the agent keeps serving, and the core hears it lose its instances
    // (from the engine's own die events, or from a heartbeat listing none).
    await eventually(
      async () => (await instances(core, MEL)).every((i) => i.state !== 'running'),
      30_000,
      'the core sees the instances stop with the engine',
    );
    assert.equal((await fetch(`${agent.url}/healthz`)).status, 200, 'the agent serves while its engine is down');

    await lan.startDockerd('h1');
    const after = await eventually(
      async () => {
        const l = (await instances(core, MEL)).filter((i) => i.state === 'running');
        const c = containers();
        // exactly the instances the core counts, all running: no exited leftover, no duplicate
        const whole =
          l.length === 3 &&
          c.length === 3 &&
          c.every((x) => x.state === 'running') &&
          new Set(c.map((x) => x.name)).size === 3 &&
          c.every((x) => l.some((i) => i.name === x.name));
        return whole ? l : undefined;
      },
      90_000,
      'the MEL whole again after the engine is back',
    );
    assert.equal(agent.proc.child.exitCode, null, 'the agent survived');
    assert.equal(after.length, before.length);

    const changes = await nodeEvents();
    const statuses = changes.map((e) => e.data.status);
    assert.ok(
      !statuses.includes('down'),
      `the node was never down: ${JSON.stringify(changes.map((e) => `${e.data.status} (${e.data.reason})`))}`,
    );
    const node = (await api(core, 'GET', `/api/v1/nodes/${NODE}`)).json as { status?: string };
    assert.equal(node.status, 'ready');

    // The agent's engine event stream is connected again: a container killed behind osmo's
    // back now is reported by the engine's own die event (its exit code), not only found
    // missing later by a heartbeat.
    const victim = after[0]!;
    execFileSync('docker', ['-H', sock, 'kill', victim.name], { stdio: 'ignore' });
    const seen = await eventually(
      async () => (await instances(core, MEL)).find((i) => i.name === victim.name && /exit code/.test(i.reason ?? '')),
      30_000,
      'the kill reported with its exit code',
    );
    assert.match(seen.reason ?? '', /exit code 137/);
  });
});
