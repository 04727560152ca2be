// An agent behind NAT (issue "Outgrowing one machine"): the agent's namespace has a private
// address and reaches the world only through a masquerading router; the core and the NATS
// server sit on the WAN side with no route back to it. The agent dials out to NATS and
// nothing else, and the core still manages it fully: registration, deploy, scale, removal.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentArgs } from '../../../testing/agent-args.js';
import { cleanupNodes, containersOf } from '../../../testing/cluster.js';
import { makeNat, type NatNet } from '../../../testing/nat.js';
import { NATS_SERVER } from '../../../testing/nats.js';
import { nsCurl, nsJson } from '../../../testing/netns.js';
import { eventually, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';

const NODE = 'nat-edge-1';
const MEL = 'nat-web';
const WAN = '10.231.20';
const LAN = '192.168.77';
const BUS = `nats://${WAN}.1:4222`;
const CORE = 'http://127.0.0.1:7700'; // inside the WAN namespace
let net: NatNet;
let nats: ChildProcess | undefined;
let core: OsmoProcess | undefined;
let agent: OsmoProcess | undefined;

const call = (method: string, path: string, body?: unknown) =>
  nsJson<Record<string, unknown>>(net.wan, [
    '-X',
    method,
    ...(body === undefined ? [] : ['-H', 'content-type: application/json', '-d', JSON.stringify(body)]),
    `${CORE}${path}`,
  ]);
const running = () => containersOf(MEL).filter((c) => c.running && c.node === NODE).length;

describe('an agent behind NAT, on the bus only', { timeout: 180_000 }, () => {
  before(async () => {
    cleanupNodes([NODE]);
    net = makeNat('onat', WAN, LAN);
    const store = tempDir('osmo-onat-js-');
    nats = spawn(
      'nsenter',
      [`--net=/run/netns/${net.wan.ns}`, NATS_SERVER, '-js', '-sd', store, '-a', `${WAN}.1`, '-p', '4222', '-m', '8222'],
      { stdio: 'ignore' },
    );
    await eventually(() => nsCurl(net.wan, ['-s', `http://${WAN}.1:8222/healthz`]).status === 200, 30_000, 'nats-server up');
    const coreDir = tempDir('osmo-onat-core-');
    core = spawnOsmo(['core', '--listen', '127.0.0.1:7700', '--data-dir', coreDir, '--bus', BUS], {}, undefined, net.wan.enter);
    await eventually(() => nsCurl(net.wan, ['-s', `${CORE}/healthz`]).status === 200, 60_000, 'core up').catch((e: Error) => {
      throw new Error(`${e.message}\ncore output:\n${core?.output() ?? ''}`);
    });
    const token = readFileSync(join(coreDir, 'join-token'), 'utf8').trim();
    agent = spawnOsmo(agentArgs({ id: NODE, dataDir: tempDir('osmo-onat-agent-'), bus: BUS, token }), {}, undefined, net.edge.enter);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await core?.stop('SIGKILL');
    nats?.kill('SIGKILL');
    net?.close();
    cleanupNodes([NODE]);
  });

  test('it dials out through the router, the WAN side cannot dial in, and the core manages it fully', async () => {
    const node = await eventually(
      () => {
        const n = call('GET', `/api/v1/nodes/${NODE}`).json as { status?: string; address?: string };
        return n.status === 'ready' ? n : undefined;
      },
      90_000,
      'node ready',
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nagent output:\n${agent?.output() ?? ''}\ncore output:\n${core?.output() ?? ''}`);
    });
    assert.equal(node.address, `nats://${NODE}`);

    // NAT for real: the NATS server sees the agent at the router's WAN address...
    const connz = nsJson<{ connections: Array<{ ip: string; name?: string }> }>(net.wan, [`http://${WAN}.1:8222/connz`]).json;
    const mine = connz.connections.find((c) => c.name?.includes(NODE));
    assert.ok(mine, `the agent's connection: ${JSON.stringify(connz.connections)}`);
    assert.equal(mine.ip, `${WAN}.2`);
    // ...and nothing on the WAN side can open a connection to the agent's private address
    assert.throws(() => nsCurl(net.wan, ['-m', '2', `http://${LAN}.2:80/`]), /unreachable|No route|timed out|Failed to connect/i);

    const r = call('POST', '/api/v1/mels', { name: MEL, image: 'osmo-test/httpd:1', replicas: 2 });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await eventually(() => running() === 2, 60_000, '2 running behind NAT');
    assert.equal(call('POST', `/api/v1/mels/${MEL}/scale`, { replicas: 3 }).status, 200);
    await eventually(() => running() === 3, 60_000, '3 running behind NAT');
    const inst = call('GET', `/api/v1/instances?mel=${MEL}`).json.instances as Array<{ state: string; node: string }>;
    assert.equal(inst.filter((i) => i.state === 'running' && i.node === NODE).length, 3);
    assert.ok(call('DELETE', `/api/v1/mels/${MEL}`).status < 300);
    await eventually(() => containersOf(MEL).length === 0, 60_000, 'removed behind NAT');
  });
});
