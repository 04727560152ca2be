// The first cloudlet test, end to end and from the device's side only: two cloudlets
// (real `osmo agent --cloudlet`, each with its own Docker engine) and a core, each in a
// network namespace of one LAN, and two devices in namespaces of their own. A device finds
// both cloudlets with Debian's python3-zeroconf, picks one with `osmo cloudlet pick`, starts
// the httpd service there with join=false and reaches it on the returned address; a second
// device picks the same cloudlet (the service runs there now), joins (2 users), stops (1);
// the last stop removes the container. Needs root (namespaces, private dockerds).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { osmoIn, spawnIn, type HostProcess } from '../../../testing/lan-hosts.js';
import { coreCaFile, curlTrust } from '../../../testing/tls.js';
import { makeLan, nsCurl, nsJson, type Host, type Lan } from '../../../testing/netns.js';
import { eventually, ROOT, tempDir } from '../../../testing/proc.js';

const SUBNET = '10.213.41';
const SERVICE = 'dc-e2.httpd';
let lan: Lan;
let core: HostProcess;
let token: string;
const agents: HostProcess[] = [];
let h: Record<'core' | 'cl1' | 'cl2' | 'dev1' | 'dev2', Host>;
const coreUrl = () => `https://${h.core.ip}:7700`;

interface Started {
  IP_ADDRESS: string;
  PORT: number;
  INSTANCE_ID: string;
  num_current_users: number;
  running: boolean;
}
interface Picked {
  best: { name: string; url: string } | null;
  why: string | null;
}

const containers = (cl: Host) =>
  execFileSync('docker', ['-H', cl.docker!, 'ps', '--format', '{{.Names}}']).toString().split('\n').filter(Boolean);

/** `osmo cloudlet pick` on a device, as JSON */
async function pick(dev: Host): Promise<Picked> {
  const p = osmoIn(dev, ['cloudlet', 'pick', '--service', SERVICE, '--json', '--timeout', '3']);
  assert.equal(await p.exited, 0, p.output());
  return JSON.parse(p.output().slice(p.output().indexOf('{'))) as Picked;
}

const call = (dev: Host, deviceId: string, url: string) => nsJson<Started>(dev, ['-H', `X-Device-ID: ${deviceId}`, url]);

describe('a device finds two cloudlets with python3-zeroconf, picks one, starts, shares and stops a service', { timeout: 600_000 }, () => {
  before(async () => {
    lan = makeLan('dc-e2', SUBNET, ['core', 'cl1', 'cl2', 'dev1', 'dev2']);
    h = lan.hosts;
    await lan.dockerd('cl1', '10.214.1.1/24', ['osmo-test/httpd:1']);
    await lan.dockerd('cl2', '10.214.2.1/24', ['osmo-test/httpd:1']);
    const coreDir = tempDir('dc-e2-core-');
    core = osmoIn(h.core, ['core', '--listen', `${h.core.ip}:7700`, '--data-dir', coreDir]);
    // off loopback: HTTPS from the core's own CA, the join token pinned to it (agents check it)
    await coreCaFile(coreDir);
    await eventually(() => nsCurl(h.dev1, [...curlTrust(coreDir), `${coreUrl()}/healthz`]).status === 200, 60_000, 'core up');
    token = readFileSync(join(coreDir, 'join-token'), 'utf8').trim();
    for (const name of ['cl1', 'cl2'] as const) {
      const cl = h[name];
      agents.push(
        osmoIn(
          cl,
          [
            'agent',
            '--listen',
            `${cl.ip}:5000`,
            '--node-id',
            `dc-e2-${name}`,
            '--data-dir',
            tempDir(`dc-e2-${name}-`),
            '--core',
            coreUrl(),
            '--token',
            token,
            '--cloudlet',
            '9999',
            '--cloudlet-address',
            cl.ip,
          ],
          { DOCKER_HOST: cl.docker! },
        ),
      );
    }
    const add = nsJson(h.dev1, [
      ...curlTrust(coreDir),
      '-X',
      'POST',
      '-H',
      `authorization: Bearer ${token}`,
      '-H',
      'content-type: application/json',
      '--data',
      JSON.stringify({ id: SERVICE, image: 'osmo-test/httpd:1', port: 80, description: 'a web server' }),
      `${coreUrl()}/api/v1/services`,
    ]);
    assert.equal(add.status, 201, JSON.stringify(add.json));
    for (const cl of [h.cl1, h.cl2])
      await eventually(
        () => nsJson<unknown[]>(h.dev1, [`http://${cl.ip}:9999/api/services`]).json.length === 1,
        60_000,
        `the catalog on ${cl.ns}`,
      );
  });

  after(async () => {
    for (const a of agents) await a.stop();
    await core?.stop();
    await lan?.close();
  });

  test('python3-zeroconf finds both; pick, start join=false, reach it; a second device picks the same one, joins (2), stops (1); the last stop removes the container', async () => {
    // 1. discovery as pycloud's own client does it
    const zc = spawnIn(h.dev1, ['/usr/bin/python3', join(ROOT, 'testing/zc-browse.py'), '_cloudlet._tcp.local.', '30']);
    const adds = await eventually(
      () => {
        const ev = zc
          .output()
          .split('\n')
          .filter((l) => l.includes('"add"'))
          .map((l) => JSON.parse(l) as { name: string; port: number; addresses: string[]; txt: Record<string, string> });
        return ev.length >= 2 ? ev : undefined;
      },
      20_000,
      'python3-zeroconf to find both cloudlets',
    );
    await zc.stop();
    const byName = new Map(adds.map((a) => [a.name, a]));
    for (const name of ['cl1', 'cl2'] as const) {
      const a = byName.get(`dc-e2-${name}._cloudlet._tcp.local.`);
      assert.ok(a, JSON.stringify(adds));
      assert.deepEqual([a.port, a.txt, a.addresses.includes(h[name].ip)], [9999, { encryption: 'disabled' }, true]);
    }

    // 2. pick one (both idle: whichever the rules choose) and start there
    const first = await pick(h.dev1);
    assert.ok(first.best, JSON.stringify(first));
    const chosen = first.best.name === 'dc-e2-cl1' ? h.cl1 : h.cl2;
    assert.equal(first.best.url, `http://${chosen.ip}:9999`);
    const s = call(h.dev1, 'dc-e2-dev1', `${first.best.url}/api/servicevm/start?serviceId=${SERVICE}&join=false`);
    assert.equal(s.status, 200, JSON.stringify(s.json));
    assert.equal(s.json.IP_ADDRESS, chosen.ip);
    assert.equal(s.json.num_current_users, 1);
    const id = s.json.INSTANCE_ID;
    assert.equal(nsCurl(h.dev1, [`http://${s.json.IP_ADDRESS}:${s.json.PORT}/`]).body.trim(), 'osmo test page');

    // 3. a second device: the cloudlet running the service wins, whatever the load
    const second = await pick(h.dev2);
    assert.equal(second.best?.name, first.best.name, JSON.stringify(second));
    assert.equal(second.why, 'already runs the service');
    const j = call(h.dev2, 'dc-e2-dev2', `${second.best.url}/api/servicevm/start?serviceId=${SERVICE}&join=true`);
    assert.deepEqual([j.json.INSTANCE_ID, j.json.num_current_users], [id, 2]);
    assert.equal(nsCurl(h.dev2, [`http://${j.json.IP_ADDRESS}:${j.json.PORT}/`]).body.trim(), 'osmo test page');

    // 4. stops: one user fewer, then the last one removes the container
    const s1 = call(h.dev2, 'dc-e2-dev2', `${first.best.url}/api/servicevm/stop?instanceId=${id}`);
    assert.deepEqual([s1.json.num_current_users, containers(chosen).includes(id)], [1, true]);
    const s2 = call(h.dev1, 'dc-e2-dev1', `${first.best.url}/api/servicevm/stop?instanceId=${id}`);
    assert.deepEqual([s2.json.num_current_users, s2.json.running], [0, false]);
    assert.equal(containers(chosen).includes(id), false);
  });
});
