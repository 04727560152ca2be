// Orphans on a healthy node: a container labelled as placed by the core (node + instance
// labels) whose instance the core does not know — a deploy the core gave up on and the engine
// carried out later — is removed as soon as the node's heartbeat lists it, with no reconnect
// or drift needed. A container on the node with no instance label (not the core's) stays.
// Real core and agent processes, real engine; node ids start with "part-orph-".
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { api, cleanupNodes, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';
import { eventually } from '../../../testing/proc.js';

const uid = randomBytes(3).toString('hex');
const NODE = `part-orph-${uid}`;
const MEL = `part-orph-${uid}-m`;

const exists = (name: string) =>
  execFileSync('docker', ['ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.Names}}'], { encoding: 'utf8' }).trim() === name;

function run(name: string, labels: Record<string, string>): void {
  const l = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  execFileSync('docker', ['run', '-d', '--name', name, ...l, 'osmo-test/sleeper:1'], { stdio: 'ignore' });
}

describe('orphans on a healthy node', () => {
  let core: CoreProc | undefined;
  let agent: AgentProc | undefined;
  before(async () => {
    cleanupNodes([NODE]);
    core = await spawnCore();
    agent = await spawnAgent(core, NODE, 'edge', 'site');
  });
  after(async () => {
    await agent?.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes([NODE]);
  });

  test("a container of an instance the core does not know is removed at the node's next heartbeats; one the core never placed stays", async () => {
    const c = core!;
    // the node is up and synced: one of its instances runs
    assert.equal((await api(c, 'PUT', `/api/v1/mels/${MEL}`, { image: 'osmo-test/sleeper:1', replicas: 1 })).status < 300, true);
    await eventually(async () => (await instances(c, MEL)).some((i) => i.state === 'running'), 60_000, 'the MEL runs');

    const orphan = `part-orph-${uid}-gone`;
    const foreign = `part-orph-${uid}-mine`;
    run(foreign, { 'io.osmo.node': NODE, 'io.osmo.name': foreign });
    run(orphan, { 'io.osmo.node': NODE, 'io.osmo.name': orphan, 'io.osmo.mel': MEL, 'io.osmo.instance': randomUUID() });
    await eventually(() => !exists(orphan), 60_000, 'the orphan removed');
    const events = (await api(c, 'GET', '/api/v1/events?follow=false&type=reconcile&limit=1000')).json.events as Array<{
      data: { action?: string; name?: string };
    }>;
    assert.ok(
      events.some((e) => e.data.action === 'remove-orphan' && e.data.name === orphan),
      `a remove-orphan event names ${orphan}: ${JSON.stringify(events.map((e) => e.data))}`,
    );
    // the sync that removed the orphan saw this one too, and left it
    assert.equal(exists(foreign), true, 'a container without an instance label is not the core’s to remove');
    assert.equal((await instances(c, MEL)).filter((i) => i.state === 'running').length, 1, 'the MEL’s own instance untouched');
  });
});
