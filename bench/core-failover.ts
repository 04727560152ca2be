// Failover of the control plane (issue 13): two cores on one PostgreSQL and one NATS, an agent
// given both URLs; kill -9 of the leader, then at once a MEL posted through a client that
// knows both cores (it moves on by itself while there is no leader). Measured from the kill,
// read from the store (lease row) and the event log (the new leader's start, the first
// placement): the lease taken, the API served by the new leader, the first placement by it.
// Baseline in the same run: one core alone, killed -9 and started again at once (what
// systemd's Restart=always does), to the same three points. N runs each (default 10).
//   DOCKER_HOST=unix:///tmp/osmo-docker.sock flock /tmp/osmo-heavy.lock node --import tsx bench/core-failover.ts [n]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CoreClient } from '../src/client/index.js';
import { copyClusterSecrets, coreRole, replicaCoreArgs, startPgNats } from '../testing/replica-cores.js';
import { eventually, freePort, spawnOsmo, tempDir, type OsmoProcess } from '../testing/proc.js';
import { agentArgs, QUIET_AGENT_FLAGS } from '../testing/agent-args.js';
import { cleanupNodes } from '../testing/cluster.js';

const N = Number(process.argv[2] ?? 10);
const run = Math.random().toString(36).slice(2, 7);
const nodeId = `replica-fo-${run}`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

const engines = await startPgNats('failover_bench');
const { store, nats } = engines;
const procs = new Set<OsmoProcess>();

interface Core {
  dir: string;
  port: number;
  url: string;
  proc?: OsmoProcess;
}
const cores: Core[] = [];
for (const name of ['a', 'b']) {
  const port = await freePort();
  cores.push({ dir: tempDir(`osmo-fo-${name}-`), port, url: `http://127.0.0.1:${port}` });
}

function start(c: Core): void {
  c.proc = spawnOsmo(replicaCoreArgs({ port: c.port, dataDir: c.dir, store, bus: nats.url }));
  procs.add(c.proc);
}
const role = (c: Core) => coreRole(c.url);
async function kill(c: Core): Promise<void> {
  c.proc!.child.kill('SIGKILL');
  await c.proc!.exit(10_000).catch(() => undefined);
  procs.delete(c.proc!);
}

start(cores[0]!);
await eventually(async () => (await role(cores[0]!)) === 'leader', 60_000, 'core a leads');
copyClusterSecrets(cores[0]!.dir, cores[1]!.dir);
const token = readFileSync(join(cores[0]!.dir, 'join-token'), 'utf8').trim();
const agent = spawnOsmo(
  agentArgs({
    port: await freePort(),
    id: nodeId,
    dataDir: tempDir('osmo-fo-agent-'),
    core: cores.map((c) => c.url).join(','),
    token,
    flags: ['--capacity-cpus', '8', '--capacity-memory', '8g', ...QUIET_AGENT_FLAGS],
  }),
);
procs.add(agent);
let api = new CoreClient({ base: cores.map((c) => c.url).join(','), token, failoverMs: 180_000 });

interface Sample {
  lease: number;
  serving: number;
  placement: number;
}

/** kill -9 the leader, post a MEL at once; the three times from the kill */
async function once(i: number, label: string, restartAtOnce: boolean): Promise<Sample> {
  await eventually(async () => (await api.nodes()).some((n) => n.id === nodeId && n.status === 'ready'), 60_000, 'agent ready');
  const leader = (await Promise.all(cores.map(async (c) => ((await role(c)) === 'leader' ? c : undefined)))).find(Boolean)!;
  const mel = `fo-${run}-${label}-${i}`;
  const killedAt = Date.now();
  await kill(leader);
  if (restartAtOnce) start(leader);
  // one URL (the baseline): try again until the restarted core answers, as a supervisor's user would
  for (const until = Date.now() + 180_000; ;) {
    try {
      await api.createMel({ name: mel, image: 'osmo-test/sleeper:1', replicas: 1 });
      break;
    } catch (e) {
      // a create that reached the core before it died: it is there
      if ((e as { info?: { status?: number } }).info?.status === 409) break;
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let sample: Sample | undefined;
  await eventually(
    async () => {
      const cv = (await api.http.send('GET', '/api/v1/system/cores')).json as { leader?: { since: number } | null };
      const events = await api.eventHistory({ since: String(killedAt) });
      const served = events.find((e) => e.type === 'core' && (e.data as { action?: string }).action === 'start' && e.ts >= killedAt);
      const placed = events.find((e) => e.type === 'placement' && (e.data as { mel?: string }).mel === mel);
      if (!cv.leader || cv.leader.since < killedAt || !served || !placed) return false;
      sample = { lease: cv.leader.since - killedAt, serving: served.ts - killedAt, placement: placed.ts - killedAt };
      return true;
    },
    60_000,
    `run ${label} ${i}: the first placement by the new leader`,
  );
  await api.removeMel(mel);
  if (!restartAtOnce) {
    // the old leader comes back as a follower for the next run
    start(leader);
    await eventually(async () => (await role(leader)) === 'follower', 60_000, 'the old leader follows');
  }
  console.log(`${label} ${i}: ${JSON.stringify(sample)} (load ${loadavg()[0]!.toFixed(1)})`);
  return sample!;
}

function report(label: string, xs: Sample[]): void {
  const row = (k: keyof Sample) => {
    const v = xs.map((s) => s[k]);
    return `${k}: p50 ${pct(v, 50)} ms, p99 ${pct(v, 99)} ms (min ${Math.min(...v)}, max ${Math.max(...v)})`;
  };
  console.log(`${label} (${xs.length} runs)\n  ${row('lease')}\n  ${row('serving')}\n  ${row('placement')}`);
}

try {
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  start(cores[1]!);
  await eventually(async () => (await role(cores[1]!)) === 'follower', 60_000, 'core b follows');
  const failover: Sample[] = [];
  for (let i = 0; i < N; i++) failover.push(await once(i, 'fo', false));
  // baseline: one core alone, restarted at once after the kill
  const follower = (await Promise.all(cores.map(async (c) => ((await role(c)) === 'follower' ? c : undefined)))).find(Boolean)!;
  follower.proc!.child.kill('SIGTERM');
  await follower.proc!.exit(20_000);
  procs.delete(follower.proc!);
  const alone = cores.find((c) => c !== follower)!;
  cores.splice(0, cores.length, alone);
  api = new CoreClient({ base: alone.url, token, failoverMs: 180_000 });
  const restart: Sample[] = [];
  for (let i = 0; i < N; i++) restart.push(await once(i, 'rs', true));
  report('failover to the follower (2 cores, kill -9 of the leader)', failover);
  report('baseline: one core, kill -9 and started again at once', restart);
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} catch (e) {
  for (const c of cores) if (c.proc) console.error(`--- core ${c.url}:\n${c.proc.output().slice(-3000)}`);
  throw e;
} finally {
  for (const p of procs) await p.stop('SIGKILL');
  cleanupNodes([nodeId]);
  await engines.stop();
}
