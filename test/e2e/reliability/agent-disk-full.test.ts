// The agent's data dir on a real full filesystem (a 2 MiB tmpfs, filled by the test): the
// agent never crashes (a schema-driven fuzz run found an unhandled ENOSPC while it saved its
// outbox position), keeps serving and delivering, its outbox drops the oldest events first
// and counts every one in /metrics, and once space is back delivery is normal again.
// Needs root for `mount -t tmpfs` (CI runs as root); the mount goes even when the test fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, tempDir } from '../../../testing/proc.js';
import { api, startAgentProc, RUN, type AgentProc } from '../../../testing/agent-proc.js';
import { startCoreStubPeer, type CoreStubPeer } from '../../../testing/core-stub.js';
import { cleanupNodes } from '../../../testing/cluster.js';

const TOKEN = 'rel-disk-token';
const NODE = `rel-${RUN}-disk`;
const auth = { authorization: `Bearer ${TOKEN}` };
const mnt = tempDir('osmo-rel-tmpfs-');
let mounted = false;
let agent: AgentProc | undefined;
const peers: CoreStubPeer[] = [];

after(async () => {
  await agent?.proc.stop('SIGKILL');
  for (const p of peers) await p.close().catch(() => undefined);
  cleanupNodes([NODE]);
  if (mounted) execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** Writes zeros until the filesystem says ENOSPC. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  try {
    for (;;) {
      try {
        writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw e;
      }
    }
    // the last pages a smaller write still fits in
    for (const size of [4096, 512, 64, 1]) {
      try {
        for (;;) writeSync(fd, chunk.subarray(0, size));
      } catch {
        /* full at this size */
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A metric of the agent's /metrics, summed over its label sets. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${agent!.url}/metrics`, { headers: auth })).text();
  const all = [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'gm'))];
  if (all.length === 0) throw new Error(`no ${name}`);
  return all.reduce((t, m) => t + Number(m[1]), 0);
}

const seqs = () => new Set(peers.flatMap((p) => p.events.map((e) => e.seq)));
const maxSeq = () => Math.max(0, ...seqs());

test(
  'agent data dir on a full tmpfs: no crash, the outbox drops oldest first and counts it, normal again when space is back',
  { timeout: 240_000 },
  async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
    mounted = true;
    const dataDir = join(mnt, 'agent');
    mkdirSync(dataDir);
    const filler = join(mnt, 'filler');
    const corePort = await freePort();
    peers.push(await startCoreStubPeer({ port: corePort, token: TOKEN }));
    agent = await startAgentProc({
      nodeId: NODE,
      dataDir,
      args: ['--core', `http://127.0.0.1:${corePort}`, '--token', TOKEN, '--outbox-max', '256k', '--log-level', 'warn'],
    });
    for (const m of ['cpu', 'net', 'disk'])
      assert.equal((await api(agent.url, 'PUT', `/api/v1/monitor/${m}`, { time: 0.1, source: 'host' }, auth)).status, 200);
    await eventually(() => maxSeq() >= 20, 30_000, 'events delivered before the disk fills');
    const running = (name: string) =>
      execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', name], { encoding: 'utf8' }).trim() === 'true';
    assert.equal((await api(agent.url, 'PUT', '/api/v1/deploy', { image: 'osmo-test/sleeper:1', name: `${NODE}-a` }, auth)).status, 200);

    // 1. the disk is full while the core is up: every ack must save the cursor on it
    fill(filler);
    const atFill = maxSeq();
    await eventually(() => maxSeq() >= atFill + 100, 60_000, '100 more events delivered with the disk full');
    assert.equal(agent.proc.child.exitCode, null, `the agent is alive:\n${agent.proc.output()}`);
    assert.equal((await fetch(`${agent.url}/healthz`)).status, 200);

    // 2. the core goes away: the outbox grows until the disk has no room, then drops oldest first
    await peers[0]!.close();
    const beforeOutage = maxSeq();
    const droppedBefore = await metric('osmo_agent_outbox_dropped_events_total');
    await eventually(
      async () => (await metric('osmo_agent_outbox_dropped_events_total')) > droppedBefore,
      90_000,
      'events dropped during the outage counted in /metrics',
    );
    assert.match(agent.proc.output(), /event outbox full: dropped \d+ undelivered events/);
    assert.equal(
      (await api(agent.url, 'PUT', '/api/v1/monitor/mem', { time: 0.1, source: 'host' }, auth)).status,
      200,
      'the agent still serves',
    );
    // instances keep running, and new ones start (containers do not live in the data dir)
    assert.equal((await api(agent.url, 'PUT', '/api/v1/deploy', { image: 'osmo-test/sleeper:1', name: `${NODE}-b` }, auth)).status, 200);
    assert.ok(running(`${NODE}-a`) && running(`${NODE}-b`), 'both containers run');
    assert.equal(agent.proc.child.exitCode, null, `the agent is alive:\n${agent.proc.output()}`);

    // 3. space back, core back: delivery resumes and reaches what the agent produces now
    unlinkSync(filler);
    peers.push(await startCoreStubPeer({ port: corePort, token: TOKEN }));
    const produced = await metric('osmo_agent_events_total');
    await eventually(() => maxSeq() >= produced + 20, 60_000, 'events produced after space came back delivered');
    const lost = await metric('osmo_agent_outbox_dropped_events_total');
    const got = seqs();
    const top = maxSeq();
    const missing: number[] = [];
    for (let s = 1; s <= top; s++) if (!got.has(s)) missing.push(s);
    assert.equal(missing.length, lost, 'every event that did not arrive was counted as dropped');
    // oldest first: what the outage kept is one unbroken run up to the newest event
    const kept = [...got].filter((s) => s > beforeOutage).sort((a, b) => a - b);
    assert.ok(kept.length > 0);
    assert.equal(kept.at(-1)! - kept[0]! + 1, kept.length, 'the events kept through the outage have no holes: the dropped ones were older');
    assert.ok(
      missing.some((s) => s > beforeOutage),
      'the outage itself cost events (the disk was the bound)',
    );
    assert.equal(agent.proc.child.exitCode, null);
  },
);
