// mDNS interop across real network namespaces (testing/netns.ts): other people's clients —
// Debian's python3-zeroconf (as pycloud's own CloudletFinder uses it) and avahi-browse with
// its own avahi-daemon — find what osmo announces, from another host; `osmo discover` and
// `osmo cloudlet pick` do the same from a device. Two real agents run the cloudlet API
// (`osmo agent --cloudlet`, one also with --mdns); for the ranking rules, testing/stub-cloudlet.ts
// (a STUB: osmo's real announcer in front of fixed /api/system figures a test can change).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, spawnOsmo, tempDir } from '../../../testing/proc.js';
import { makeLan, type Lan } from '../../../testing/netns.js';
import { osmoIn, scriptIn, spawnIn, startAvahi, type Avahi, type HostProcess } from '../../../testing/lan-hosts.js';

const SUBNET = '10.213.21';
// host names = namespace names (testing/netns.ts names them <prefix>-<name>)
const [AG1, AG2, CL1, CL2, JUNK, DUP, DEV] = ['ag1', 'ag2', 'cl1', 'cl2', 'junk', 'dup', 'dev'].map((n) => `dc-io-${n}`) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const host = (ns: string) => lan.hosts[ns.slice('dc-io-'.length)]!;
const ip = (ns: string) => host(ns).ip;
const GiB = 1024 ** 3;
const PY = '/usr/bin/python3';
const ZC = join(ROOT, 'testing/zc-browse.py');
const STUB = 'testing/stub-cloudlet.ts';

interface ZcEvent {
  event: 'add' | 'update' | 'remove' | 'browsing';
  name?: string;
  server?: string;
  port?: number;
  addresses?: string[];
  txt?: Record<string, string | null>;
}

const system = (load: number, free: number, services: object[]) =>
  JSON.stringify({
    memory_info: { max_memory: 16 * GiB, free_memory: free },
    cpu_info: { max_cores: 2, usage: load * 100, speed: '2400.000', cache: 4096 },
    load_factor: load,
    services,
  });

let lan: Lan;

describe('mDNS discovery across network namespaces', () => {
  let avahi: Avahi;
  let dir: string;
  const stubs: Record<string, HostProcess> = {};
  const agents: Record<string, HostProcess> = {};
  const file = (h: string) => join(dir, `${h}.json`);

  const startStub = async (h: string, nodeId = h) => {
    const p = scriptIn(host(h), STUB, ['9999', nodeId, file(h)]);
    await p.waitFor(/^stub cloudlet .* announced as/);
    return p;
  };

  /** python3-zeroconf in the device until `until` holds for the events so far */
  const zeroconf = async (type: string, until: (ev: ZcEvent[]) => boolean, during?: () => Promise<void>) => {
    const p = spawnIn(host(DEV), [PY, ZC, type, '40']);
    const events = () =>
      p
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as ZcEvent);
    await p.waitFor(/"browsing"/);
    try {
      if (during) {
        await waitEvents(p, events, (ev) => ev.some((e) => e.event === 'add'));
        await during();
      }
      return await waitEvents(p, events, until);
    } finally {
      await p.stop();
    }
  };

  before(async () => {
    dir = tempDir('dc-io-');
    lan = makeLan('dc-io', SUBNET, ['ag1', 'ag2', 'cl1', 'cl2', 'junk', 'dup', 'dev']);
    writeFileSync(file(CL1), system(0.2, 2 * GiB, [{ service_id: 'httpd', running: false }]));
    writeFileSync(file(CL2), system(0.6, 8 * GiB, [{ service_id: 'httpd', running: false }]));
    writeFileSync(file(JUNK), '<html>this network requires a login</html>');
    writeFileSync(file(DUP), system(0.1, GiB, []));
    for (const h of [CL1, CL2, JUNK]) stubs[h] = await startStub(h);
    for (const ag of [AG1, AG2]) {
      agents[ag] = osmoIn(
        host(ag),
        [
          'agent',
          '--listen',
          '0.0.0.0:5000',
          // standalone (no core whose CA could certify it): plain HTTP must be asked for off loopback
          '--insecure-http',
          ...(ag === AG2 ? ['--mdns'] : []),
          '--cloudlet',
          '9999',
          '--driver',
          'process',
          '--node-id',
          ag,
          '--layer',
          'edge',
          '--domain',
          'lab',
          '--data-dir',
          join(dir, ag),
        ],
        { OSMO_TOKEN: 'dc-io-token' },
      );
    }
    for (const ag of [AG1, AG2]) await agents[ag]!.waitFor(/mDNS: announcing _cloudlet\._tcp/);
    avahi = await startAvahi(host(DEV), join(dir, 'avahi'));
  });

  after(async () => {
    await avahi?.close();
    for (const p of [...Object.values(stubs), ...Object.values(agents)]) await p.stop();
    await lan?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('python3-zeroconf on a device finds each osmo agent --cloudlet as pycloud announces it: _cloudlet._tcp, TXT encryption=disabled, its port and address', async () => {
    const ev = await zeroconf('_cloudlet._tcp.local.', (e) =>
      [AG1, AG2, CL1].every((h) => e.some((x) => x.event === 'add' && x.name === `${h}._cloudlet._tcp.local.`)),
    );
    for (const h of [AG1, AG2, CL1]) {
      const add = ev.find((x) => x.event === 'add' && x.name === `${h}._cloudlet._tcp.local.`);
      assert.ok(add, `${h} in ${JSON.stringify(ev)}`);
      assert.equal(add.server, `${h}.local.`);
      assert.equal(add.port, 9999);
      assert.deepEqual(add.txt, { encryption: 'disabled' });
      assert.ok(add.addresses?.includes(ip(h)), JSON.stringify(add.addresses));
    }
  });

  test("avahi-browse -rtp _cloudlet._tcp (the device's own avahi-daemon) resolves both agents' cloudlets", async () => {
    const resolved = new Map<string, string[]>();
    const deadline = Date.now() + 30_000;
    // one browse is a snapshot of the daemon's cache: ask again until both are in it
    while (!(resolved.has(AG1) && resolved.has(AG2)) && Date.now() < deadline) {
      for (const l of await avahi.browse('_cloudlet._tcp')) {
        const f = l.split(';');
        if (f[0] === '=' && f[4] === '_cloudlet._tcp') resolved.set(f[3]!, f);
      }
    }
    for (const h of [AG1, AG2]) {
      const f = resolved.get(h);
      assert.ok(f, `${h} resolved by avahi-browse: ${JSON.stringify([...resolved.keys()])}`);
      assert.deepEqual(f.slice(6), [`${h}.local`, ip(h), '9999', '"encryption=disabled"']);
    }
  });

  test('osmo discover on the device lists the cloudlets and the agent started with --mdns (TXT: node, layer, domain, API path)', async () => {
    const p = osmoIn(host(DEV), ['discover', '--json', '--timeout', '3']);
    assert.equal(await p.exited, 0, p.output());
    const found = JSON.parse(p.output()) as Array<{
      kind: string;
      name: string;
      port: number;
      addresses: string[];
      txt: Record<string, string>;
    }>;
    const cloudlets = found.filter((f) => f.kind === 'cloudlet').map((f) => f.name);
    assert.deepEqual(cloudlets, [AG1, AG2, CL1, CL2, JUNK].sort());
    const ag = found.filter((f) => f.kind === 'agent');
    assert.equal(ag.length, 1, 'only the agent started with --mdns announces its API');
    assert.equal(ag[0]!.name, AG2);
    assert.equal(ag[0]!.port, 5000);
    assert.equal(ag[0]!.addresses[0], ip(AG2));
    assert.deepEqual(ag[0]!.txt, { node: AG2, layer: 'edge', domain: 'lab', path: '/api/v1', scheme: 'http' });
  });

  const pick = async () => {
    const p = osmoIn(host(DEV), ['cloudlet', 'pick', '--service', 'httpd', '--json', '--timeout', '2']);
    const code = await p.exited;
    const json = JSON.parse(p.output().slice(p.output().indexOf('{'))) as {
      best: { name: string; url: string } | null;
      why: string;
      rejected: Array<{ name: string; reason: string }>;
    };
    return { code, ...json, out: p.output() };
  };

  test('osmo cloudlet pick: the lowest load wins; garbage is skipped with the reason; real agents read, without the service', async () => {
    const r = await pick();
    assert.equal(r.code, 0, r.out);
    assert.equal(r.best?.name, CL1);
    assert.equal(r.best?.url, `http://${ip(CL1)}:9999`);
    assert.match(r.why, /lowest load/);
    const reason = (n: string) => r.rejected.find((x) => x.name === n)?.reason ?? '';
    assert.match(reason(JUNK), /unexpected body/);
    // the agents' real /api/system answers are read; with no core their catalog is empty
    for (const ag of [AG1, AG2]) assert.equal(reason(ag), 'does not offer service "httpd"');
  });

  test('osmo cloudlet pick: a cloudlet already running the service wins over a less loaded one', async () => {
    writeFileSync(file(CL2), system(0.6, 8 * GiB, [{ service_id: 'httpd', running: true }]));
    const r = await pick();
    assert.equal(r.best?.name, CL2, r.out);
    assert.equal(r.why, 'already runs the service');
  });

  test('osmo cloudlet pick: on equal load the most free memory wins', async () => {
    writeFileSync(file(CL1), system(0.6, 2 * GiB, [{ service_id: 'httpd', running: false }]));
    writeFileSync(file(CL2), system(0.6, 8 * GiB, [{ service_id: 'httpd', running: false }]));
    const r = await pick();
    assert.equal(r.best?.name, CL2, r.out);
    assert.equal(r.why, 'most free memory');
  });

  test('osmo cloudlet pick: no cloudlet offers the service: exit 1, each one skipped with its reason', async () => {
    const p = osmoIn(host(DEV), ['cloudlet', 'pick', '--service', 'nope', '--timeout', '2']);
    assert.equal(await p.exited, 1);
    assert.ok(p.output().includes(`skipped dc-io-cl1 (http://${ip(CL1)}:9999): does not offer service "nope"`), p.output());
    assert.match(p.output(), /osmo: no cloudlet to run "nope" on: 5 answered within 2 s, none offers it/);
  });

  test('a name already announced on the LAN is not taken over: the second one is "name (2)" on its own host name', async () => {
    stubs[DUP] = await startStub(DUP, AG1);
    assert.match(stubs[DUP].output(), /announced as dc-io-ag1 \(2\)/);
    const ev = await zeroconf('_cloudlet._tcp.local.', (e) =>
      e.some((x) => x.event === 'add' && x.name === `${AG1} (2)._cloudlet._tcp.local.`),
    );
    const dup = ev.find((x) => x.name === `${AG1} (2)._cloudlet._tcp.local.`)!;
    assert.ok(dup.addresses?.includes(ip(DUP)), JSON.stringify(dup));
    assert.equal(dup.server, `${AG1}-2.local.`);
    const first = ev.find((x) => x.name === `${AG1}._cloudlet._tcp.local.`);
    assert.ok(first?.addresses?.includes(ip(AG1)), 'the first cloudlet keeps its name and address');
    await stubs[DUP].stop();
  });

  test('stopping an agent sends goodbyes: python3-zeroconf drops its cloudlet and its API at once, not after their TTL', async () => {
    const gone = await zeroconf(
      '_cloudlet._tcp.local.',
      (e) => e.some((x) => x.event === 'remove' && x.name === `${AG1}._cloudlet._tcp.local.`),
      async () => {
        assert.equal(await agents[AG1]!.stop(), 0);
      },
    );
    assert.ok(gone.some((x) => x.event === 'add' && x.name === `${AG1}._cloudlet._tcp.local.`));
    const agentGone = await zeroconf(
      '_osmo._tcp.local.',
      (e) => e.some((x) => x.event === 'remove' && x.name === `${AG2}._osmo._tcp.local.`),
      async () => {
        assert.equal(await agents[AG2]!.stop(), 0);
      },
    );
    assert.ok(agentGone.some((x) => x.event === 'add' && x.name === `${AG2}._osmo._tcp.local.`));
  });
});

test('osmo agent --mdns on a loopback address is refused with the reason', async () => {
  const data = tempDir('dc-io-lo-');
  const p = spawnOsmo(['agent', '--listen', '127.0.0.1:0', '--mdns', '--driver', 'process', '--data-dir', data]);
  assert.equal(await p.exit(30_000), 1);
  assert.match(p.output(), /--mdns: the agent listens on 127\.0\.0\.1, which other hosts cannot reach/);
  rmSync(data, { recursive: true, force: true });
});

async function waitEvents(
  p: HostProcess,
  events: () => ZcEvent[],
  until: (ev: ZcEvent[]) => boolean,
  timeoutMs = 20_000,
): Promise<ZcEvent[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ev = events();
    if (until(ev)) return ev;
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`python3-zeroconf did not see it within ${timeoutMs} ms; output:\n${p.output()}`);
}
