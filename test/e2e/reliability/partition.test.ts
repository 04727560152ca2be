// Partitions on a real network: a core and two agents, each host a network namespace on one
// bridge (testing/netns.ts), each agent with its own Docker engine (a private dockerd in its
// namespace: an edge host has its own engine, and "no orphan on any host" is asked of each).
// A host is cut by taking its switch port down, then healed. What is checked: a MEL's
// disconnect policy (lostAfter, reconcile rules, the agent's stopAfter), the instance count
// converging to the replica count with the rule's survivor, no container left behind on
// either host, and every event the cut agent produced meanwhile stored once by the core (by
// its sequence numbers). Short liveness settings (heartbeat 200 ms, down after 1 s) keep
// the file within a few minutes. Needs root (namespaces, dockerd).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';
import { makeLan, nsCurl, nsJson, type Host, type Lan } from '../../../testing/netns.js';
import { curlTrust } from '../../../testing/tls.js';
import { parseJoinToken } from '../../../src/shared/join-token.js';
import type { AgentEvent } from '../../../src/bus/events.js';

const SUBNET = '10.77.15';
const PORT = 7700;
const IMAGE = 'osmo-test/sleeper:1';
const HOSTS = ['h1', 'h2'] as const;
type HostName = (typeof HOSTS)[number];

let lan: Lan;
let core: OsmoProcess;
let coreHost: Host;
let token: string;
const agents = {} as Record<HostName, { proc: OsmoProcess; dir: string; events: string }>;
// off loopback the core speaks HTTPS with its own CA (docs/security.md): curl trusts that CA
let trust: string[] = [];
const coreUrl = () => `https://${coreHost.ip}:${PORT}`;
const nodeId = (h: HostName) => `part-${h}`;
const hostOf = (node: string | null) => HOSTS.find((h) => nodeId(h) === node)!;

interface Inst {
  id: string;
  name: string;
  node: string | null;
  state: string;
  desired: string;
  reason: string | null;
}

function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): { status: number; json: T } {
  return nsJson<T>(coreHost, [
    ...trust,
    '-X',
    method,
    '-H',
    `authorization: Bearer ${token}`,
    ...(body === undefined ? [] : ['-H', 'content-type: application/json', '--data', JSON.stringify(body)]),
    `${coreUrl()}${path}`,
  ]);
}
const instances = (mel: string) => call<{ instances: Inst[] }>('GET', `/api/v1/instances?mel=${mel}`).json.instances;
const nodeStatus = (h: HostName) => call<{ status: string }>('GET', `/api/v1/nodes/${nodeId(h)}`).json.status;
/** the MEL's containers on a host, as that host's own engine lists them (any state) */
const containers = (h: HostName, mel: string) =>
  execFileSync('docker', ['-H', lan.hosts[h]!.docker!, 'ps', '-a', '--filter', `label=io.osmo.mel=${mel}`, '--format', '{{.Names}}'])
    .toString()
    .split('\n')
    .filter(Boolean);

/** Resolves once `n` more reconcile passes ran: "nothing was placed" is judged only after that. */
async function passes(n = 2): Promise<void> {
  const count = () => {
    const text = nsCurl(coreHost, [...trust, '-H', `authorization: Bearer ${token}`, `${coreUrl()}/metrics`]).body;
    const m = /^osmo_reconcile_duration_seconds_count (\d+)/m.exec(text);
    return Number(m?.[1] ?? NaN);
  };
  const from = count();
  await eventually(() => count() >= from + n, 30_000, `${n} more reconcile passes`);
}

async function deploy(mel: string, body: Record<string, unknown>): Promise<Inst> {
  const r = call('PUT', `/api/v1/mels/${mel}`, { image: IMAGE, replicas: 1, ...body });
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.json));
  return eventually(() => instances(mel).find((i) => i.state === 'running'), 60_000, `${mel} running`);
}

const cut = async (h: HostName) => {
  const from = Date.now();
  lan.cut(h);
  await eventually(() => nodeStatus(h) === 'down', 30_000, `${nodeId(h)} down`);
  // a cut host cannot refuse the connect probe (its agent lives; nothing answers at all): the
  // down is the detector's, by silence alone (docs/reliability.md)
  type Ev = { data: { action?: string; status?: string; reason?: string; probe?: string } };
  const evs = call<{ events: Ev[] }>('GET', `/api/v1/events?follow=false&type=node&node=${nodeId(h)}&since=${from}`).json.events;
  const down = evs.find((e) => e.data.action === 'status' && e.data.status === 'down');
  assert.ok(down, `a down event for ${nodeId(h)}`);
  assert.equal(down.data.probe, undefined, `down by the detector, not the probe: ${down.data.reason}`);
  assert.match(down.data.reason ?? '', /^no heartbeat for \d+ ms/);
};
const heal = async (h: HostName) => {
  lan.heal(h);
  await eventually(() => nodeStatus(h) === 'ready', 60_000, `${nodeId(h)} ready again`);
};

/**
 * The converged state: exactly `survivor` runs, as the only instance of the MEL in the core and
 * the only container of the MEL on either host.
 */
async function convergedTo(mel: string, survivor: Inst): Promise<void> {
  await eventually(
    () => {
      const all = instances(mel);
      return all.length === 1 && all[0]!.id === survivor.id && all[0]!.state === 'running' ? all : undefined;
    },
    60_000,
    `${mel}: only ${survivor.name} left in the core`,
  );
  await eventually(
    () => HOSTS.every((h) => JSON.stringify(containers(h, mel)) === JSON.stringify(h === hostOf(survivor.node) ? [survivor.name] : [])),
    60_000,
    `${mel}: only ${survivor.name} left on the hosts`,
  );
}

/** Makes the cut agent produce logged events while it is cut off (a monitor switched on and off through its own API). */
function eventsWhileCut(h: HostName): void {
  const host = lan.hosts[h]!;
  const agent = (method: string, path: string, body: unknown) =>
    nsCurl(host, [
      ...trust,
      '-X',
      method,
      '-H',
      // the agent's own API takes the join token's secret, without the CA pin
      `authorization: Bearer ${parseJoinToken(token).secret}`,
      '-H',
      'content-type: application/json',
      '--data',
      JSON.stringify(body),
      `https://${host.ip}:5000${path}`,
    ]);
  assert.equal(agent('PUT', '/api/v1/monitor/disk', { time: 3600, source: 'host' }).status, 200);
  assert.equal(agent('DELETE', '/api/v1/monitor/disk', { source: 'host' }).status, 200);
}

/**
 * Every event the agent of `h` wrote to its events file that the core keeps in its log (all
 * but samples and probes, which go to the samples table and live subscribers) is in the
 * core's log exactly once, under the agent's sequence number.
 */
async function deliveredOnce(h: HostName): Promise<number> {
  const produced = () =>
    readFileSync(agents[h].events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AgentEvent)
      .filter((e) => e.type !== 'sample' && e.type !== 'probe')
      .map((e) => e.seq);
  const stored = () =>
    call<{ events: Array<{ origin: string; seq: number | null }> }>('GET', `/api/v1/events?follow=false&node=${nodeId(h)}&limit=10000`)
      .json.events.filter((e) => e.origin === nodeId(h))
      .map((e) => e.seq!);
  const want = produced();
  const last = Math.max(...want);
  const got = await eventually(
    () => {
      const seqs = stored();
      return want.every((s) => seqs.includes(s)) ? seqs.filter((s) => s <= last) : undefined;
    },
    60_000,
    `the events of ${nodeId(h)} in the core`,
  );
  assert.deepEqual(
    [...got].sort((a, b) => a - b),
    want,
    `${nodeId(h)}: each event once`,
  );
  return want.length;
}

function startAgent(h: HostName): void {
  const host = lan.hosts[h]!;
  const dir = tempDir(`osmo-part-${h}-`);
  const events = join(dir, 'events.jsonl');
  const proc = spawnOsmo(
    [
      'agent',
      '--listen',
      `${host.ip}:5000`,
      '--node-id',
      nodeId(h),
      '--data-dir',
      dir,
      '--core',
      coreUrl(),
      '--token',
      token,
      '--capacity-cpus',
      '2',
      // sleep ignores SIGTERM: without this every removal waits the engine's 10 s
      '--stop-grace',
      '1',
      '--events-file',
      events,
    ],
    { DOCKER_HOST: host.docker! },
    undefined,
    host.enter,
  );
  agents[h] = { proc, dir, events };
}

describe('partitions on a real network: the disconnect policy', { timeout: 600_000 }, () => {
  before(async () => {
    lan = makeLan('part', SUBNET, ['core', ...HOSTS]);
    coreHost = lan.hosts.core!;
    await Promise.all([lan.dockerd('h1', '10.78.1.1/24', [IMAGE]), lan.dockerd('h2', '10.78.2.1/24', [IMAGE])]);
    const coreDir = tempDir('osmo-part-core-');
    core = spawnOsmo(
      [
        'core',
        '--listen',
        `${coreHost.ip}:${PORT}`,
        '--data-dir',
        coreDir,
        '--heartbeat',
        '200',
        '--suspect-after',
        '500',
        '--down-after',
        '1000',
      ],
      {},
      undefined,
      coreHost.enter,
    );
    await eventually(
      () =>
        existsSync(join(coreDir, 'join-token')) &&
        existsSync(join(coreDir, 'ca.pem')) &&
        nsCurl(coreHost, [...curlTrust(coreDir), `${coreUrl()}/healthz`]).status === 200,
      60_000,
      'core up',
    );
    token = readFileSync(join(coreDir, 'join-token'), 'utf8').trim();
    trust = curlTrust(coreDir);
    for (const h of HOSTS) startAgent(h);
    await eventually(() => HOSTS.every((h) => nodeStatus(h) === 'ready'), 60_000, 'both agents ready');
  });

  // a test that failed halfway must not leave a host cut or a MEL behind for the next one
  const reset = async () => {
    for (const h of HOSTS) {
      lan.heal(h);
      call('POST', `/api/v1/nodes/${nodeId(h)}/uncordon`);
    }
    const mels = (call<{ mels: Array<{ name: string }> }>('GET', '/api/v1/mels').json.mels ?? []).map((m) => m.name);
    for (const m of mels) call('DELETE', `/api/v1/mels/${m}`);
    await eventually(
      () => mels.every((m) => instances(m).length === 0 && HOSTS.every((h) => containers(h, m).length === 0)),
      60_000,
      'every MEL of the test gone from the core and the hosts',
    );
  };

  after(async () => {
    for (const a of Object.values(agents)) await a.proc.stop('SIGKILL');
    await core?.stop('SIGKILL');
    await lan?.close();
  });

  describe('one host cut with four MELs on it, then healed', () => {
    // all four on h1 (h2 cordoned while they are placed), so one cut tries every policy at once
    const m = { short: 'part-short', orig: 'part-orig', repl: 'part-repl', once: 'part-once' };
    const originals = {} as Record<keyof typeof m, Inst>;
    const replacements = {} as Record<'orig' | 'repl' | 'once', Inst>;
    before(async () => {
      assert.equal(call('POST', `/api/v1/nodes/${nodeId('h2')}/cordon`).status, 200);
      originals.short = await deploy(m.short, { disconnect: { lostAfter: 120 } });
      originals.orig = await deploy(m.orig, { disconnect: { lostAfter: 1, reconcile: 'keep-original' } });
      originals.repl = await deploy(m.repl, { disconnect: { lostAfter: 1, reconcile: 'keep-replacement' } });
      originals.once = await deploy(m.once, { disconnect: { stopAfter: 2 } });
      assert.equal(call('POST', `/api/v1/nodes/${nodeId('h2')}/uncordon`).status, 200);
      for (const o of Object.values(originals)) assert.equal(o.node, nodeId('h1'));
    });

    test('cut: lost instances are replaced on h2, the unknown one is not; the agent stops only the stopAfter MEL', async () => {
      await cut('h1');
      for (const k of ['orig', 'repl', 'once'] as const) {
        replacements[k] = await eventually(
          () => instances(m[k]).find((i) => i.id !== originals[k].id && i.state === 'running' && i.node === nodeId('h2')),
          60_000,
          `a replacement of ${m[k]} running on h2`,
        );
        assert.equal(instances(m[k]).find((i) => i.id === originals[k].id)?.state, 'lost');
      }
      await eventually(() => containers('h1', m.once).length === 0, 30_000, `the cut agent to remove ${originals.once.name}`);
      eventsWhileCut('h1');
      await passes();
      assert.deepEqual(
        instances(m.short).map((i) => [i.id, i.state]),
        [[originals.short.id, 'unknown']],
        'no replacement while lostAfter runs',
      );
      assert.equal(call<{ status: { unknown?: number } }>('GET', `/api/v1/mels/${m.short}`).json.status.unknown, 1);
      // edge autonomy: everything else keeps running on the cut host
      for (const k of ['short', 'orig', 'repl'] as const) assert.deepEqual(containers('h1', m[k]), [originals[k].name]);
      assert.equal(nodeStatus('h1'), 'down', 'still cut off');
    });

    test('healed: each MEL converges to one instance, the survivor its rule says, and no container is left over', async () => {
      assert.ok(replacements.once, 'the cut test ran');
      await heal('h1');
      await convergedTo(m.short, originals.short); // shorter than lostAfter: the same container runs on
      await convergedTo(m.orig, originals.orig); // keep-original
      await convergedTo(m.repl, replacements.repl); // keep-replacement
      await convergedTo(m.once, replacements.once); // stopped by its agent: the replacement
    });

    test('healed: what the cut agent produced meanwhile reached the core once, its stopAfter removal with the reason', async () => {
      assert.ok((await deliveredOnce('h1')) > 0);
      const removal = call<{ events: Array<{ origin: string; data: { name?: string; state?: string; reason?: string } }> }>(
        'GET',
        `/api/v1/events?follow=false&node=${nodeId('h1')}&type=instance&limit=10000`,
      ).json.events.find((e) => e.origin === nodeId('h1') && e.data.name === originals.once.name && e.data.state === 'removed');
      assert.match(removal?.data.reason ?? '', /stopAfter/);
    });

    after(reset);
  });

  test('best-score: healed, the copy on the better-ranked node stays even when it is the replacement', async (t) => {
    t.after(reset);
    // h2 carries ballast (half its CPUs, still counted while h2 is away), so h1 ranks better;
    // the original is placed on h2 while h1 is cordoned, its replacement goes to h1
    const ballast = await deploy('part-ballast', {
      resources: { cpus: 1 },
      placement: { node: nodeId('h2') },
      disconnect: { lostAfter: 120 },
    });
    assert.equal(ballast.node, nodeId('h2'));
    assert.equal(call('POST', `/api/v1/nodes/${nodeId('h1')}/cordon`).status, 200);
    const original = await deploy('part-best', { disconnect: { reconcile: 'best-score' } });
    assert.equal(original.node, nodeId('h2'));
    assert.equal(call('POST', `/api/v1/nodes/${nodeId('h1')}/uncordon`).status, 200);
    await cut('h2');
    const replacement = await eventually(
      () => instances('part-best').find((i) => i.id !== original.id && i.state === 'running' && i.node === nodeId('h1')),
      60_000,
      'a replacement running on h1',
    );
    await heal('h2');
    await convergedTo('part-best', replacement);
    await convergedTo('part-ballast', ballast);
    await deliveredOnce('h2');
  });
});
