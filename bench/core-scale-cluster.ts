// Control-plane scale on several cores (issue 13): the core-scale simulation (simulated agents
// in their own process, bench/core-scale-sims.ts) against two cores on one private PostgreSQL
// and one nats-server, side by side with one core on SQLite in the same invocation (the same
// fleet and MELs, one after the other, so they do not share the CPU). Agent i is given core
// i mod 2 first and the other after it, as `--core A,B` lists them, and settles on the leader;
// AGENT_CORES=one gives it core i mod 2 only (the follower's half reaches the leader through
// it, each heartbeat forwarded), AGENT_CORES=both runs the cluster once each way;
// AGENT_CORES=bus puts the agents on the NATS bus instead (as `osmo agent --bus`: register and
// heartbeat by NATS request to any core, commands by request on osmo.cmd.<id>, no listener).
// Per core: CPU (idle, steady heartbeats, while placing), RSS (idle, steady, peak); for the
// cluster: placements/s and replicas running/s (counted in the store, every 100 ms, by the bench
// itself: storeCounter in bench/core-scale-lib.ts says why not the core's /metrics), the core's own API
// latency histogram, and the client's GET latency through each core while placing.
// Usage (env-driven scale):
//   flock /tmp/osmo-heavy.lock env AGENTS=5000 REPLICAS=10000 MELS=100 STEADY_S=10 \
//     OSMO_CORE_BIN=<compiled cli/main.js> node --import tsx bench/core-scale-cluster.ts
// Printed per run: heartbeats forwarded per second at the leader (steady) and how many agents
// talk to each core at the end.
// CORES (default 2) cores in the cluster; SQLITE=0 skips the single-core run; PLACE_TIMEOUT_S
// (default 300) bounds the placing phase; CORE_NODE_ARGS as in bench/core-scale.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, tempDir, waitForHttp } from '../testing/proc.js';
import { copyClusterSecrets, coreRole, replicaCoreArgs, startPgNats, type PgNats } from '../testing/replica-cores.js';
import {
  coreArgv,
  cpuPercent,
  cpuTicks,
  f,
  forkSims,
  histogramOf,
  metric,
  minus,
  pct,
  placedAndRunningInStore,
  storeCounter,
  type StoreAt,
  quantiles,
  rssMiB,
  serverSide,
  settle,
  sleep,
} from './core-scale-lib.js';

const AGENTS = Number(process.env.AGENTS ?? 5000);
const REPLICAS = Number(process.env.REPLICAS ?? 10_000);
const MELS = Number(process.env.MELS ?? 100);
const STEADY_S = Number(process.env.STEADY_S ?? 10);
const CORES = Number(process.env.CORES ?? 2);
const PLACE_TIMEOUT_S = Number(process.env.PLACE_TIMEOUT_S ?? 300);
const WITH_SQLITE = process.env.SQLITE !== '0';
type AgentCores = 'list' | 'one' | 'bus';
const AGENT_CORES: AgentCores[] =
  process.env.AGENT_CORES === 'both'
    ? ['one', 'list']
    : process.env.AGENT_CORES === 'one' || process.env.AGENT_CORES === 'bus'
      ? [process.env.AGENT_CORES]
      : ['list'];
const FORWARDED_HB = 'osmo_core_forwarded_requests_total{route="/api/v1/agent/heartbeat"}';
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface CoreP {
  name: string;
  url: string;
  proc: ChildProcess;
  dataDir: string;
  log: () => string;
}

function spawnCore(name: string, args: string[], dataDir: string, port: number): CoreP {
  const proc = spawn(process.execPath, coreArgv(args).argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return { name, url: `http://127.0.0.1:${port}`, proc, dataDir, log: () => err };
}

async function stopCores(cores: CoreP[]): Promise<void> {
  for (const c of cores) c.proc.kill('SIGTERM');
  await Promise.all(cores.map((c) => Promise.race([new Promise((r) => c.proc.once('exit', r)), sleep(15_000)])));
  for (const c of cores) c.proc.kill('SIGKILL');
}

interface PerCore {
  name: string;
  cpuIdle: number;
  cpuSteady: number;
  cpuPlacing: number;
  rssIdle: number;
  rssSteady: number;
  rssPeak: number;
  /** client GET /api/v1/mels/{name} through this core while placing, ms */
  get: number[];
  /** agents talking to this core at the end */
  agents: number;
}
interface Result {
  label: string;
  /** what each agent was given: every core's URL, or one */
  agentCores: AgentCores;
  /** heartbeats per s that reached the leader through a follower, steady */
  forwardedPerS: number;
  regS: number;
  /** seconds from registration until the cores' CPU stopped falling, and its 5 s windows (all cores, %) */
  settled: { seconds: number; windows: number[] };
  ready: number;
  placeRate: number;
  /** ms from the first POST until every MEL was accepted, and until every replica was placed */
  tPosted: number;
  tPlaced: number;
  /** the leader's reconcile-pass commits over the whole run (osmo_reconcile_commit_seconds, bucket bounds) */
  commits: { p50: number; p99: number; count: number };
  runRate: number;
  hbPerS: number;
  hbServer: { p50: number; p99: number };
  api: { p50: number; p99: number };
  post: number[];
  cores: PerCore[];
  hbErrors: number;
  getErrors: string[];
  load: string;
}

/** The fleet against `cores` (the first leads): steady heartbeats, then REPLICAS placed in MELS MELs. */
async function measure(
  label: string,
  cores: CoreP[],
  token: string,
  store: StoreAt,
  agentCores: AgentCores = 'list',
  bus?: string,
): Promise<Result> {
  const leader = cores[0]!;
  const pids = cores.map((c) => c.proc.pid!);
  const rssIdle = pids.map(rssMiB);
  const cpuIdle = await Promise.all(pids.map((p) => cpuPercent(p, 3000)));
  let rssTimer: NodeJS.Timeout | undefined;
  const counter = await storeCounter(store);
  const sims = forkSims({
    CORE_URLS: cores.map((c) => c.url).join(','),
    AGENT_CORES: agentCores,
    ...(agentCores === 'bus' && bus ? { AGENT_BUS: bus } : {}),
    TOKEN: token,
    AGENTS: String(AGENTS),
    PREFIX: `cl-${label}-`,
  });
  try {
    const regS = Number((await sims.from('ready')).seconds);
    const settled = await settle(pids);
    const hbRoute = /agent\/heartbeat/;
    const s0 = await serverSide(leader.url, hbRoute);
    const fw0 = await metric(leader.url, FORWARDED_HB);
    const cpuSteady = await Promise.all(pids.map((p) => cpuPercent(p, STEADY_S * 1000)));
    const s1 = await serverSide(leader.url, hbRoute);
    const fw1 = await metric(leader.url, FORWARDED_HB);
    const rssSteady = pids.map(rssMiB);
    const ready = await metric(leader.url, 'osmo_nodes{status="ready"}');

    const peak = [...rssSteady];
    rssTimer = setInterval(() => pids.forEach((p, i) => (peak[i] = Math.max(peak[i]!, rssMiB(p)))), 100);
    const gets: number[][] = cores.map(() => []);
    const getErrors: string[] = [];
    const post: number[] = [];
    const cpu0 = pids.map(cpuTicks);
    const t0 = performance.now();
    let placing = true;
    const getter = (async () => {
      for (let k = 0; placing; k++) {
        const i = k % cores.length;
        const t = performance.now();
        try {
          const r = await fetch(`${cores[i]!.url}/api/v1/mels/cl-${label}-0`);
          await r.arrayBuffer();
          if (r.status === 200) gets[i]!.push(performance.now() - t);
        } catch (e) {
          getErrors.push(String((e as Error).cause ?? e));
        }
        await sleep(25);
      }
    })();
    // ten clients, spread over the cores as the agents are
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        const url = cores[w % cores.length]!.url;
        for (let m = w; m < MELS; m += 10) {
          const t = performance.now();
          const r = await fetch(`${url}/api/v1/mels`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              name: `cl-${label}-${m}`,
              image: 'osmo-test/sleeper:1',
              replicas: REPLICAS / MELS,
              resources: { cpus: 0.01, memoryBytes: 1024 ** 2 },
              placement: { spread: true },
            }),
          });
          const text = await r.text();
          post.push(performance.now() - t);
          if (r.status !== 201) throw new Error(`POST mel through ${url}: ${r.status} ${text.slice(0, 200)}`);
        }
      }),
    );
    // placements cannot finish before the last MEL is accepted: the clients' share of the time
    const tPosted = performance.now() - t0;
    const { tPlaced, tRunning } = await placedAndRunningInStore(counter, REPLICAS, t0, PLACE_TIMEOUT_S * 1000);
    placing = false;
    await getter;
    clearInterval(rssTimer);
    const secs = (performance.now() - t0) / 1000;
    const cpuPlacing = pids.map((p, i) => ((cpuTicks(p) - cpu0[i]!) / 100 / secs) * 100);
    const api = await serverSide(leader.url, /api\/v1\/(mels|nodes|instances)/);
    const commits = await histogramOf(leader.url, 'osmo_reconcile_commit_seconds');
    sims.proc.send({ kind: 'report' });
    const rep = (await sims.from('report')) as { hbErrors: number; perCore: Record<string, number> };
    const hbs = quantiles(minus(s1.buckets, s0.buckets));
    return {
      label,
      agentCores,
      forwardedPerS: (fw1 - fw0) / STEADY_S,
      regS,
      settled,
      ready,
      placeRate: REPLICAS / (tPlaced / 1000),
      tPosted,
      tPlaced,
      commits,
      runRate: REPLICAS / (tRunning / 1000),
      hbPerS: (s1.count - s0.count) / STEADY_S,
      hbServer: hbs,
      api: { p50: api.p50, p99: api.p99 },
      post,
      cores: cores.map((c, i) => ({
        name: c.name,
        cpuIdle: cpuIdle[i]!,
        cpuSteady: cpuSteady[i]!,
        cpuPlacing: cpuPlacing[i]!,
        rssIdle: rssIdle[i]!,
        rssSteady: rssSteady[i]!,
        rssPeak: peak[i]!,
        get: gets[i]!,
        agents: rep.perCore[c.url] ?? 0,
      })),
      hbErrors: rep.hbErrors,
      getErrors,
      load: load(),
    };
  } finally {
    clearInterval(rssTimer);
    sims.proc.kill('SIGKILL');
    await counter.close();
  }
}

async function sqliteRun(): Promise<Result> {
  const port = await freePort();
  const dir = tempDir('osmo-bench-cl-sqlite-');
  const core = spawnCore('sqlite', ['core', '--listen', `127.0.0.1:${port}`, '--data-dir', dir], dir, port);
  try {
    await waitForHttp(`${core.url}/healthz`, 60_000);
    return await measure('sqlite', [core], readFileSync(join(dir, 'join-token'), 'utf8').trim(), { sqlite: join(dir, 'osmo.db') });
  } catch (e) {
    console.error(e);
    console.error(`--- core ${core.name}:\n${core.log()}`);
    throw e;
  } finally {
    await stopCores([core]);
  }
}

async function clusterRun(agentCores: AgentCores): Promise<Result> {
  const engines: PgNats = await startPgNats('cluster_bench');
  const cores: CoreP[] = [];
  try {
    for (let i = 0; i < CORES; i++) {
      const port = await freePort();
      const dir = tempDir(`osmo-bench-cl-${i}-`);
      if (i > 0) copyClusterSecrets(cores[0]!.dataDir, dir);
      const c = spawnCore(
        i === 0 ? 'leader' : `follower ${i}`,
        replicaCoreArgs({ port, dataDir: dir, store: engines.store, bus: engines.nats.url }),
        dir,
        port,
      );
      cores.push(c);
      const want = i === 0 ? 'leader' : 'follower';
      await eventually(async () => (await coreRole(c.url)) === want, 90_000, `core ${i} ${want}`);
    }
    const token = readFileSync(join(cores[0]!.dataDir, 'join-token'), 'utf8').trim();
    return await measure(`pg-${agentCores}`, cores, token, { postgres: engines.store }, agentCores, engines.nats.url);
  } catch (e) {
    console.error(e);
    for (const c of cores) console.error(`--- core ${c.name}:\n${c.log()}`);
    throw e;
  } finally {
    await stopCores(cores);
    await engines.stop();
  }
}

function print(results: Result[]): void {
  const cols = results.flatMap((r) => r.cores.map((c) => ({ r, c })));
  const given = (r: Result) =>
    r.agentCores === 'one' ? 'each agent one core URL' : r.agentCores === 'bus' ? 'agents on the bus' : 'agents given every core URL';
  const head = cols.map(({ r, c }) => (r.label === 'sqlite' ? 'SQLite, one core' : `PostgreSQL + NATS, ${given(r)}: ${c.name}`));
  const row = (name: string, cell: (r: Result, c: PerCore, first: boolean) => string) =>
    console.log(`| ${name} | ${cols.map(({ r, c }) => cell(r, c, c === r.cores[0])).join(' | ')} |`);
  const once = (g: (r: Result) => string) => (r: Result, _c: PerCore, first: boolean) => (first ? g(r) : '″');
  console.log(`\n${AGENTS} simulated agents, ${REPLICAS} replicas in ${MELS} MELs, ${CORES} cores on PostgreSQL + NATS`);
  console.log(`| figure | ${head.join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|`);
  row(
    'agents registered (ready at the leader)',
    once((r) => `${r.ready} in ${f(r.regS)} s`),
  );
  row(
    'after registration: s until CPU stopped falling (5 s windows, all cores, %)',
    once((r) => `${f(r.settled.seconds, 0)} s (${r.settled.windows.map((w) => f(w, 0)).join(' → ')})`),
  );
  row(
    'placements/s (committed)',
    once((r) => f(r.placeRate, 0)),
  );
  row(
    's from the first POST to the last MEL accepted / to every replica placed',
    once((r) => `${f(r.tPosted / 1000, 1)} / ${f(r.tPlaced / 1000, 1)}`),
  );
  row(
    'reconcile pass commits at the leader, whole run: count, p50 / p99 ms (bucket bounds)',
    once((r) => (r.commits.count ? `${r.commits.count}, ${f(r.commits.p50, 0)} / ${f(r.commits.p99, 0)}` : 'n/a (no such metric)')),
  );
  row(
    'replicas running/s (acknowledged)',
    once((r) => f(r.runRate, 0)),
  );
  row(
    'heartbeats per s at the leader, steady',
    once((r) => f(r.hbPerS, 0)),
  );
  row(
    'heartbeat p50 / p99 ms inside the leader, steady',
    once((r) => `${f(r.hbServer.p50, 0)} / ${f(r.hbServer.p99, 0)}`),
  );
  row(
    'API p50 / p99 ms inside the leader (mels, nodes, instances; forwarded ones too)',
    once((r) => `${f(r.api.p50, 0)} / ${f(r.api.p99, 0)}`),
  );
  row(
    'POST /api/v1/mels p50 / p99 ms at the client',
    once((r) => `${f(pct(r.post, 50), 1)} / ${f(pct(r.post, 99), 1)}`),
  );
  row(
    'GET /api/v1/mels/{name} p50 / p99 ms through this core, placing',
    (_r, c) => `${f(pct(c.get, 50), 1)} / ${f(pct(c.get, 99), 1)} (${c.get.length})`,
  );
  row('CPU % of one core: idle / steady heartbeats / placing', (_r, c) => `${f(c.cpuIdle)} / ${f(c.cpuSteady)} / ${f(c.cpuPlacing)}`);
  row('RSS MiB: idle / steady / peak', (_r, c) => `${f(c.rssIdle, 0)} / ${f(c.rssSteady, 0)} / ${f(c.rssPeak, 0)}`);
  row(
    'RSS MiB per 1,000 nodes, steady: total / above idle',
    (_r, c) => `${f(c.rssSteady / (AGENTS / 1000), 0)} / ${f((c.rssSteady - c.rssIdle) / (AGENTS / 1000), 0)}`,
  );
  row(
    'CPU % of one core, steady heartbeats, all cores together',
    once((r) => f(r.cores.reduce((s, c) => s + c.cpuSteady, 0))),
  );
  row(
    'heartbeat errors (sims) / client GET errors',
    once((r) => `${r.hbErrors} / ${r.getErrors.length}${r.getErrors[0] ? ` (${r.getErrors[0]})` : ''}`),
  );
  row(
    'heartbeats per s reaching the leader through a follower, steady',
    once((r) => f(r.forwardedPerS, 0)),
  );
  row('agents talking to this core at the end', (r, c) => (r.agentCores === 'bus' ? 'any (bus queue group)' : String(c.agents)));
  row(
    'load average at the end (1/5/15 min, 2 cores)',
    once((r) => r.load),
  );
}

console.log(`load average at start: ${load()}`);
const results: Result[] = [];
if (WITH_SQLITE) {
  results.push(await sqliteRun());
  // printed at once too: a failed cluster run must not lose the single core's figures
  print(results);
}
for (const mode of AGENT_CORES) {
  results.push(await clusterRun(mode));
  print(results);
}
process.exit(0);
