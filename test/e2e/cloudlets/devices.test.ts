// Cloudlets as devices see them, on separate hosts: two cloudlets (osmo agents with
// --cloudlet, each with its own Docker engine) and a core, each in a network namespace on
// one LAN, and devices in a namespace of their own that speak to the cloudlet API with curl,
// as pycloud's clients do. Start, join, stop; the app repository; migration with the
// mailbox; disconnected mode; bad input. Needs root (namespaces, private dockerds).
// Off loopback the core and the agents' APIs speak HTTPS (the core's own CA, the join token
// pinned to it); the cloudlet API stays plain HTTP, as pycloud's devices speak it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { eventually, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';
import { makeLan, nsCurl, nsJson, type Host, type Lan } from '../../../testing/netns.js';
import { coreCaFile, curlTrust } from '../../../testing/tls.js';

const SUBNET = '10.231.7';
const CORE_PORT = 7700;
let lan: Lan;
let core: OsmoProcess;
let coreDir: string;
let token: string;
const agents: Record<string, { proc: OsmoProcess; dir: string }> = {};
let dev: Host;
let h1: Host;
let h2: Host;
let coreHost: Host;
const coreUrl = () => `https://${coreHost.ip}:${CORE_PORT}`;
const cl = (h: Host) => `http://${h.ip}:9999/api`;

function startCore(): OsmoProcess {
  return spawnOsmo(['core', '--listen', `${coreHost.ip}:${CORE_PORT}`, '--data-dir', coreDir], {}, undefined, coreHost.enter);
}

function startAgent(name: string, h: Host): void {
  const dir = agents[name]?.dir ?? tempDir(`osmo-cl-${name}-`);
  const proc = spawnOsmo(
    [
      'agent',
      '--listen',
      `${h.ip}:5000`,
      '--node-id',
      `cl-${name}`,
      '--layer',
      'edge',
      '--domain',
      'campus',
      '--data-dir',
      dir,
      '--core',
      coreUrl(),
      '--token',
      token,
      '--cloudlet',
      '9999',
      '--cloudlet-address',
      h.ip,
    ],
    { DOCKER_HOST: h.docker! },
    undefined,
    h.enter,
  );
  agents[name] = { proc, dir };
}

const admin = (args: string[]) => nsJson(dev, [...curlTrust(coreDir), '-H', `authorization: Bearer ${token}`, ...args]);
const device = (id: string | undefined, url: string) =>
  nsJson<Record<string, unknown>>(dev, [...(id ? ['-H', `X-Device-ID: ${id}`] : []), url]);
const containers = (h: Host) =>
  execFileSync('docker', ['-H', h.docker!, 'ps', '--format', '{{.Names}}']).toString().split('\n').filter(Boolean);
const instancesOf = (mel: string) =>
  (
    admin([`${coreUrl()}/api/v1/instances?mel=${mel}`]).json as {
      instances: Array<{ node: string; state: string; name: string; reason: string }>;
    }
  ).instances;

describe('cloudlets on separate hosts, devices with curl', { timeout: 600_000 }, () => {
  before(async () => {
    lan = makeLan('cl', SUBNET, ['core', 'h1', 'h2', 'dev']);
    [coreHost, h1, h2, dev] = (['core', 'h1', 'h2', 'dev'] as const).map((n) => lan.hosts[n]!) as [Host, Host, Host, Host];
    await lan.dockerd('h1', '10.232.1.1/24', ['osmo-test/httpd:1']);
    await lan.dockerd('h2', '10.232.2.1/24', ['osmo-test/httpd:1']);
    coreDir = tempDir('osmo-cl-core-');
    core = startCore();
    await coreCaFile(coreDir);
    await eventually(() => nsCurl(dev, [...curlTrust(coreDir), `${coreUrl()}/healthz`]).status === 200, 60_000, 'core up');
    token = readFileSync(join(coreDir, 'join-token'), 'utf8').trim();
    startAgent('h1', h1);
    startAgent('h2', h2);
    await eventually(
      () =>
        (admin([`${coreUrl()}/api/v1/nodes`]).json as { nodes: Array<{ status: string }> }).nodes.filter((n) => n.status === 'ready')
          .length === 2,
      60_000,
      'two cloudlets ready',
    );
    const r = admin([
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '--data',
      JSON.stringify({ id: 'edu.cmu.sei.httpd', image: 'osmo-test/httpd:1', port: 80, tags: ['web'], description: 'a web server' }),
      `${coreUrl()}/api/v1/services`,
    ]);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    // both cloudlets serve the catalog from their cache
    for (const h of [h1, h2])
      await eventually(
        () => (device(undefined, `${cl(h)}/services`).json as unknown as unknown[]).length === 1,
        30_000,
        `catalog on ${h.ns}`,
      );
  });

  after(async () => {
    for (const a of Object.values(agents)) await a.proc.stop('SIGKILL');
    await core?.stop('SIGKILL');
    await lan?.close();
  });

  test('start join=false, reach the service, a second device joins, stops; the last stop removes the container', () => {
    const s = device('dev-a', `${cl(h1)}/servicevm/start?serviceId=edu.cmu.sei.httpd&join=false`);
    assert.equal(s.status, 200, JSON.stringify(s.json));
    assert.equal(s.json.IP_ADDRESS, h1.ip);
    assert.equal(s.json.ready, true);
    assert.equal(s.json.num_current_users, 1);
    const id = s.json.INSTANCE_ID as string;
    assert.equal(nsCurl(dev, [`http://${s.json.IP_ADDRESS}:${s.json.PORT as number}/`]).body.trim(), 'osmo test page');

    const j = device('dev-b', `${cl(h1)}/servicevm/start?serviceId=edu.cmu.sei.httpd&join=true`);
    assert.equal(j.json.INSTANCE_ID, id);
    assert.equal(j.json.num_current_users, 2);
    assert.equal(containers(h1).filter((n) => n === id).length, 1);

    const s1 = device('dev-b', `${cl(h1)}/servicevm/stop?instanceId=${id}`);
    assert.equal(s1.json.num_current_users, 1);
    assert.deepEqual(
      containers(h1).filter((n) => n === id),
      [id],
    );
    const s2 = device('dev-a', `${cl(h1)}/servicevm/stop?instanceId=${id}`);
    assert.equal(s2.json.num_current_users, 0);
    assert.equal(s2.json.running, false);
    assert.deepEqual(
      containers(h1).filter((n) => n === id),
      [],
    );
    assert.equal(device('dev-a', `${cl(h1)}/servicevm/stop?instanceId=${id}`).status, 404);
  });

  test('a device-started instance is an osmo instance pinned to its cloudlet, with its service and users', async () => {
    const s = device('dev-c', `${cl(h2)}/servicevm/start?serviceId=edu.cmu.sei.httpd&join=false`);
    const id = s.json.INSTANCE_ID as string;
    device('dev-d', `${cl(h2)}/servicevm/start?serviceId=edu.cmu.sei.httpd&join=true`);
    const list = await eventually(
      () => {
        const l = instancesOf(id);
        return l.length === 1 && l[0]!.reason.includes('2 users') ? l : undefined;
      },
      20_000,
      'the instance in osmo ps with 2 users',
    );
    assert.equal(list[0]!.node, 'cl-h2');
    assert.equal(list[0]!.state, 'running');
    const mel = admin([`${coreUrl()}/api/v1/mels/${id}`]).json as { placement: { node: string }; labels: Record<string, string> };
    assert.equal(mel.placement.node, 'cl-h2');
    assert.equal(mel.labels['osmo.cloudlet/service'], 'edu.cmu.sei.httpd');
    assert.equal(mel.labels['osmo.cloudlet/users'], '2');
    device('dev-c', `${cl(h2)}/servicevm/stop?instanceId=${id}`);
    device('dev-d', `${cl(h2)}/servicevm/stop?instanceId=${id}`);
    await eventually(() => admin([`${coreUrl()}/api/v1/mels/${id}`]).status === 404, 20_000, 'MEL forgotten after the last stop');
    assert.deepEqual(instancesOf(id), []);
  });

  test('app repository: upload to the core, list by tags and download from a cloudlet, byte-identical with its md5', async () => {
    const data = randomBytes(200_000);
    const file = join(tempDir('osmo-cl-app-'), 'speech.apk');
    writeFileSync(file, data);
    const up = admin([
      '-X',
      'POST',
      '-H',
      'content-type: application/octet-stream',
      '--data-binary',
      `@${file}`,
      `${coreUrl()}/api/v1/apps?name=Speech&serviceId=edu.cmu.sei.httpd&tags=speech,android&packageName=edu.cmu.speech`,
    ]);
    assert.equal(up.status, 201, JSON.stringify(up.json));
    const md5 = createHash('md5').update(data).digest('hex');
    const appId = up.json.id as string;
    const apps = await eventually(
      () => {
        const a = device(undefined, `${cl(h1)}/apps?tags=android`).json as unknown as Array<Record<string, unknown>>;
        return a.length === 1 ? a : undefined;
      },
      30_000,
      'the app on the cloudlet',
    );
    assert.equal(apps[0]!.md5sum, md5);
    assert.equal(apps[0]!.package_name, 'edu.cmu.speech');
    assert.deepEqual(device(undefined, `${cl(h1)}/apps?tags=android,nope`).json, []);
    const out = join(tempDir('osmo-cl-dl-'), 'got.apk');
    const headers = `${out}.headers`;
    const r = nsCurl(dev, ['-o', out, '-D', headers, `${cl(h1)}/apps/get?appId=${appId}`]);
    assert.equal(r.status, 200);
    const got = readFileSync(out);
    assert.equal(createHash('md5').update(got).digest('hex'), md5);
    assert.ok(Buffer.compare(got, data) === 0);
    assert.match(readFileSync(headers, 'utf8'), /content-disposition: attachment; filename="Speech.apk"/i);
    assert.equal(device(undefined, `${cl(h1)}/apps/get?appId=nope`).status, 404);
  });

  test('migration to the other cloudlet: make-before-break, the user finds the new address in the old mailbox', async () => {
    const s = device('dev-m', `${cl(h1)}/servicevm/start?serviceId=edu.cmu.sei.httpd&join=false`);
    const id = s.json.INSTANCE_ID as string;
    await eventually(() => instancesOf(id).length === 1, 20_000, 'adopted by the core');
    const m = admin([
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '--data',
      JSON.stringify({ node: 'cl-h2' }),
      `${coreUrl()}/api/v1/cloudlets/instances/${id}/migrate`,
    ]);
    assert.equal(m.status, 200, JSON.stringify(m.json));
    assert.equal(m.json.node, 'cl-h2');
    // the new copy answers as soon as the move is done
    assert.equal(nsCurl(dev, [`http://${h2.ip}:${m.json.hostPort as number}/`]).body.trim(), 'osmo test page');
    const msgs = device('dev-m', `${cl(h1)}/system/get_messages?serviceId=edu.cmu.sei.httpd`).json as unknown as Array<
      Record<string, unknown>
    >;
    assert.equal(msgs.length, 1, JSON.stringify(msgs));
    assert.equal(msgs[0]!.message, 'MIGRATED');
    assert.equal(msgs[0]!.IP_ADDRESS, h2.ip);
    assert.equal(msgs[0]!.PORT, m.json.hostPort);
    assert.deepEqual(device('dev-m', `${cl(h1)}/system/get_messages`).json, [], 'delivered once');
    assert.deepEqual(device('someone-else', `${cl(h1)}/system/get_messages`).json, []);
    await eventually(() => !containers(h1).includes(id), 30_000, 'the old container gone');
    // the new cloudlet serves it: the user stops it there
    await eventually(
      () => (device(undefined, `${cl(h2)}/system`).json.running as Array<{ _id: string }>).some((x) => x._id === id),
      20_000,
      'the destination cloudlet knows the instance',
    );
    const st = device('dev-m', `${cl(h2)}/servicevm/stop?instanceId=${id}`);
    assert.equal(st.status, 200, JSON.stringify(st.json));
    await eventually(() => instancesOf(id).length === 0, 30_000, 'gone from the core after the last stop');
  });

  test('disconnected mode: with the core down a cloudlet still starts a cached service; back up, the core adopts it once', async () => {
    await core.stop('SIGTERM');
    const s = device('dev-x', `${cl(h2)}/servicevm/start?serviceId=edu.cmu.sei.httpd&join=false`);
    assert.equal(s.status, 200, JSON.stringify(s.json));
    const id = s.json.INSTANCE_ID as string;
    assert.equal(nsCurl(dev, [`http://${h2.ip}:${s.json.PORT as number}/`]).body.trim(), 'osmo test page');
    assert.equal(device(undefined, `${cl(h2)}/system`).json.connected, false);
    core = startCore();
    await eventually(() => nsCurl(dev, [...curlTrust(coreDir), `${coreUrl()}/healthz`]).status === 200, 60_000, 'core back');
    const l = await eventually(
      () => {
        const x = instancesOf(id);
        return x.length === 1 && x[0]!.state === 'running' ? x : undefined;
      },
      60_000,
      'the instance in osmo ps',
    );
    assert.equal(l[0]!.node, 'cl-h2');
    // a few reconcile rounds later: still one instance, one container, nothing placed elsewhere
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(instancesOf(id).length, 1);
    assert.equal(containers(h2).filter((n) => n.startsWith(id)).length, 1);
    assert.equal(containers(h1).filter((n) => n.startsWith(id)).length, 0);
    device('dev-x', `${cl(h2)}/servicevm/stop?instanceId=${id}`);
  });

  test('bad input on every cloudlet endpoint: 4xx naming the problem, never a 500', () => {
    const bad: Array<[string[], number]> = [
      [[`${cl(h1)}/services/get`], 400],
      [[`${cl(h1)}/services/get?serviceId=`], 400],
      [[`${cl(h1)}/services/get?serviceId=nope`], 404],
      [[`${cl(h1)}/services/get?serviceId=%00%ff`], 404],
      [[`${cl(h1)}/servicevm/start`], 400],
      [[`${cl(h1)}/servicevm/start?serviceId=nope`], 404],
      [[`${cl(h1)}/servicevm/start?serviceId=edu.cmu.sei.httpd&join=maybe`], 400],
      [[`${cl(h1)}/servicevm/start?serviceId=edu.cmu.sei.httpd&isolated=2`], 400],
      [['-H', 'X-Device-ID: has space', `${cl(h1)}/servicevm/start?serviceId=edu.cmu.sei.httpd`], 400],
      [[`${cl(h1)}/servicevm/stop`], 400],
      [[`${cl(h1)}/servicevm/stop?instanceId=nope`], 404],
      [[`${cl(h1)}/servicevm/stop?instanceId=${'x'.repeat(5000)}`], 400],
      [[`${cl(h1)}/apps/get`], 400],
      [[`${cl(h1)}/apps/get?appId=../../etc/passwd`], 404],
      [[`${cl(h1)}/apps?tags=${'a,'.repeat(3000)}`], 400],
      [[`${cl(h1)}/system?services=perhaps`], 400],
      [[`${cl(h1)}/system/get_messages`], 400],
      [['-H', `X-Device-ID: ${'d'.repeat(200)}`, `${cl(h1)}/system/get_messages`], 400],
      [['-H', `X-Junk: ${'j'.repeat(40_000)}`, `${cl(h1)}/services`], 431],
      [['-X', 'POST', `${cl(h1)}/servicevm/start?serviceId=edu.cmu.sei.httpd`], 404],
      [[`${cl(h1)}/nothing`], 404],
    ];
    for (const [args, want] of bad) {
      const r = nsJson(dev, args);
      assert.equal(r.status, want, `${args.join(' ').slice(0, 120)} -> ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      if (want !== 431) assert.equal(typeof (r.json as { error?: unknown }).error, 'string', args.join(' ').slice(0, 120));
    }
    // nothing was started by any of it
    assert.deepEqual(
      containers(h1).filter((n) => n.startsWith('cl-')),
      [],
    );
  });
});
