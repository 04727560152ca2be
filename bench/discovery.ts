// Discovery latency: how long a device's python3-zeroconf (a ServiceBrowser, then
// get_service_info, as pycloud's CloudletFinder does) takes to find AND resolve a newly
// announced `_cloudlet._tcp`, from the moment the announcer is asked to announce, across two
// network namespaces. Three announcers of the same service, interleaved run by run:
//   osmo        src/discovery/announcer.ts (listens 750 ms for the name, then announces)
//   zeroconf    python3-zeroconf's own register_service (probes, then announces)
//   avahi       avahi-publish -s to an avahi-daemon in the cloudlet's namespace (probes, then announces)
// Each run uses a new instance name and is withdrawn (goodbye seen by the browser) before the
// next. Times are CLOCK_MONOTONIC on both sides (same machine, so one clock).
//   flock /tmp/osmo-heavy.lock node --import tsx bench/discovery.ts [runs=20]
import { join } from 'node:path';
import { scriptIn, spawnIn, startAvahi, type HostProcess } from '../testing/lan-hosts.js';
import { makeLan } from '../testing/netns.js';
import { ROOT, tempDir } from '../testing/proc.js';

const runs = Number(process.argv[2] ?? 20);
const PY = '/usr/bin/python3';

interface Ev {
  event?: string;
  name?: string;
  resolved_ns?: string;
  heard_ns?: string;
  addresses?: string[];
  t0_ns?: string;
  up?: string;
  ready?: boolean;
}
const lines = (p: HostProcess): Ev[] =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Ev);

async function until<T>(f: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
};

const lan = makeLan('dc-bn', '10.213.31', ['cl', 'dev']);
const cl = lan.hosts.cl!;
const dev = lan.hosts.dev!;
const avahi = await startAvahi(cl, join(tempDir('dc-bn-'), 'avahi'), { hostName: 'dc-bn-av', publishAddresses: true });
try {
  const browser = spawnIn(dev, [PY, join(ROOT, 'testing/zc-browse.py'), '_cloudlet._tcp.local.', '3600']);
  await browser.waitFor(/"browsing"/);
  const osmo = scriptIn(cl, 'testing/announce-on-cue.ts', ['9999'], { stdin: true });
  const zc = spawnIn(cl, [PY, join(ROOT, 'testing/zc-register.py'), cl.ip, '9999'], {}, { stdin: true });
  await osmo.waitFor(/"ready"/);
  await zc.waitFor(/"ready"/);

  const found = (name: string) =>
    until(() => lines(browser).find((e) => e.event === 'add' && e.name === `${name}._cloudlet._tcp.local.`), `${name} found`);
  const removed = (name: string) =>
    until(() => lines(browser).find((e) => e.event === 'remove' && e.name === `${name}._cloudlet._tcp.local.`), `${name} removed`);

  type Kind = 'osmo' | 'zeroconf' | 'avahi';
  const onCue = async (p: HostProcess, name: string) => {
    p.child.stdin!.write(`announce ${name}\n`);
    const t0 = await until(() => lines(p).find((e) => e.name === name && e.t0_ns !== undefined), `${name} t0`);
    return BigInt(t0.t0_ns!);
  };
  const announcers: Record<Kind, (name: string) => Promise<{ t0: bigint; withdraw: () => Promise<void> }>> = {
    osmo: async (name) => ({ t0: await onCue(osmo, name), withdraw: async () => void osmo.child.stdin!.write('withdraw\n') }),
    zeroconf: async (name) => ({ t0: await onCue(zc, name), withdraw: async () => void zc.child.stdin!.write('withdraw\n') }),
    avahi: async (name) => {
      const t0 = process.hrtime.bigint();
      const p = spawnIn(cl, ['avahi-publish', '-s', name, '_cloudlet._tcp', '9999', 'encryption=disabled'], avahi.env);
      return { t0, withdraw: async () => void (await p.stop()) };
    },
  };

  const heard: Record<Kind, number[]> = { osmo: [], zeroconf: [], avahi: [] };
  const resolved: Record<Kind, number[]> = { osmo: [], zeroconf: [], avahi: [] };
  const kinds: Kind[] = ['osmo', 'zeroconf', 'avahi'];
  for (let i = 0; i < runs; i++) {
    // rotate who goes first, so a drift in machine load hits all three alike
    for (const kind of [...kinds.slice(i % 3), ...kinds.slice(0, i % 3)]) {
      const name = `bn-${kind}-${i}`;
      const a = await announcers[kind](name);
      const e = await found(name);
      if (!e.addresses?.includes(cl.ip)) throw new Error(`${name} resolved without ${cl.ip}: ${JSON.stringify(e)}`);
      heard[kind].push(Number(BigInt(e.heard_ns!) - a.t0) / 1e6);
      resolved[kind].push(Number(BigInt(e.resolved_ns!) - a.t0) / 1e6);
      await a.withdraw();
      await removed(name);
    }
  }
  console.log(`runs: ${runs} per announcer; device: python3-zeroconf ServiceBrowser + get_service_info, another namespace`);
  for (const k of kinds)
    console.log(
      `${k.padEnd(9)} found p50 ${q(heard[k], 0.5).toFixed(0)} ms, p99 ${q(heard[k], 0.99).toFixed(0)} ms; ` +
        `resolved p50 ${q(resolved[k], 0.5).toFixed(0)} ms, p99 ${q(resolved[k], 0.99).toFixed(0)} ms`,
    );
  await osmo.stop();
  await zc.stop();
  await browser.stop();
} finally {
  await avahi.close();
  await lan.close();
}
