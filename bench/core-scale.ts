// Control-plane scale: one core process, N simulated agents (real protocol over HTTP on
// 127.0.0.1: register, a heartbeat per second each, a tiny in-memory deploy API) in a
// second process (bench/core-scale-sims.ts), then R replicas submitted as M MELs. This
// process is the client: it times API calls and the heartbeats of a few probe agents of
// its own, so what it sees is the core's latency, not the simulator's event-loop lag. Prints placements/s, API latency, core CPU and RSS, each
// next to a baseline measured in the same run:
//   - latency: a bare node:http server in its own process, timed at the same moments
//   - CPU: the same core with no agents
//   - placements: schedule() alone, in process, over the same snapshot (no store, no HTTP)
// Usage: node --import tsx bench/core-scale.ts   (env: AGENTS=1000 REPLICAS=10000 MELS=100
//        PROBES=10 OSMO_CORE_BIN=<compiled cli/main.js> to run the core without tsx,
//        CORE_ARGS="--rollout-busy-max 1" for more `osmo core` flags,
//        CORE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/x" for the core's node flags; by
//        default those of the core's launcher, bin/osmo-core.js, what a deployed core runs with)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, tempDir, waitForHttp } from '../testing/proc.js';
import { SimAgent } from '../testing/sim-agent.js';
import { schedule } from '../src/core/scheduler/index.js';
import {
  connectionError,
  coreArgv,
  cpuPercent,
  cpuTicks,
  f,
  forkSims,
  metric,
  metrics,
  minus,
  pct,
  placedAndRunning,
  quantiles,
  rssMiB,
  serverSide,
  settle,
  sleep,
} from './core-scale-lib.js';
import type { ClusterSnapshot } from '../src/core/scheduler/types.js';

const AGENTS = Number(process.env.AGENTS ?? 1000);
const REPLICAS = Number(process.env.REPLICAS ?? 10_000);
const MELS = Number(process.env.MELS ?? 100);
const STEADY_S = Number(process.env.STEADY_S ?? 10);
const PROBES = Number(process.env.PROBES ?? 10);
let simsProc: ChildProcess | undefined;
let bareProc: ChildProcess | undefined;

/**
 * The latency baseline: a bare node:http server in its own process, answering a JSON POST
 * the size of a heartbeat. The client times it interleaved with its calls to the core, so
 * both see the same machine (the other engineers' load on the 2 shared cores included).
 */
async function bareServer(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/core-scale-bare.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  proc.once('exit', (c, sig) => console.error(`bare server exited: ${c ?? sig}`));
  const port = await new Promise<string>((r) => proc.stdout.once('data', (d: Buffer) => r(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}/`, proc };
}

let bareErrors = 0;
async function timeBare(url: string, into: number[]): Promise<void> {
  const t = performance.now();
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"x","instances":[]}' });
    await r.arrayBuffer();
    into.push(performance.now() - t);
  } catch {
    bareErrors++;
  }
}

function schedulerBaseline(): number {
  const snap: ClusterSnapshot = {
    nodes: Array.from({ length: AGENTS }, (_, i) => ({
      id: `n${i}`,
      status: 'ready' as const,
      schedulable: true,
      layer: 'cloud' as const,
      domain: 'd1',
      labels: {},
      capacity: { cpus: 16, memoryBytes: 64 * 1024 ** 3 },
      allocated: { cpus: 0, memoryBytes: 0 },
      overloaded: false,
      acceptance: 'always' as const,
      pendingLoad: 0,
      images: [],
      mels: {},
    })),
  };
  const t = performance.now();
  for (let m = 0; m < MELS; m++) {
    const r = schedule(snap, {
      mel: { name: `m${m}`, image: 'x', resources: { cpus: 0.01, memoryBytes: 1024 ** 2 }, placement: { spread: true } },
      count: REPLICAS / MELS,
    });
    for (const p of r.placements) {
      const n = snap.nodes.find((x) => x.id === p.node)!;
      n.allocated.cpus += 0.01;
      n.allocated.memoryBytes += 1024 ** 2;
      n.mels[`m${m}`] = (n.mels[`m${m}`] ?? 0) + 1;
    }
  }
  return REPLICAS / ((performance.now() - t) / 1000);
}

/** the core's V8 heap as its /metrics tells (used / total, external), MiB */
async function heapOf(url: string): Promise<string> {
  const [used, total, external] = await metrics(url, [
    'osmo_core_nodejs_heap_size_used_bytes',
    'osmo_core_nodejs_heap_size_total_bytes',
    'osmo_core_nodejs_external_memory_bytes',
  ]);
  return `${f(used! / 2 ** 20, 0)} / ${f(total! / 2 ** 20, 0)}, ${f(external! / 2 ** 20, 0)}`;
}

async function main(): Promise<void> {
  const port = await freePort();
  const dataDir = tempDir('osmo-bench-core-');
  const cmd = coreArgv(['core', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
  const core = spawn(process.execPath, cmd.argv, {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, 60_000);
    const token = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
    const pid = core.pid!;
    console.log(
      `core pid ${pid} (${cmd.compiled ? 'compiled' : 'tsx'}, node flags: ${cmd.flags}), ${AGENTS} simulated agents, ${REPLICAS} replicas in ${MELS} MELs`,
    );

    const bareSrv = await bareServer();
    bareProc = bareSrv.proc;
    const bareIdle: number[] = [];
    for (let i = 0; i < 500; i++) await timeBare(bareSrv.url, bareIdle);
    const bareSteady: number[] = [];
    const bareBusy: number[] = [];
    await sleep(1000);
    const idleCpu = await cpuPercent(pid, 5000);
    const idleRss = rssMiB(pid);
    const idleHeap = await heapOf(url);

    // the fleet in its own process; the probes and API calls below are the client, here
    const { proc: sims, from: fromSims } = forkSims({ CORE_URL: url, TOKEN: token, AGENTS: String(AGENTS) });
    simsProc = sims;
    const regS = Number((await fromSims('ready')).seconds);
    // client-side probes: a few agents of their own whose heartbeat round-trips are measured here
    const hb: number[] = [];
    let recording = false;
    const probes = await Promise.all(
      Array.from({ length: PROBES }, (_, i) =>
        new SimAgent({
          id: `co-probe-${i}`,
          core: url,
          token,
          cpus: 16,
          memoryBytes: 64 * 1024 ** 3,
          onHeartbeat: (ms) => recording && hb.push(ms),
        }).start(),
      ),
    );
    const settled = await settle([pid]);
    recording = true;
    sims.send({ kind: 'record' });
    const hbRoute = /agent\/heartbeat/;
    const s0 = await serverSide(url, hbRoute);
    const steadyGet: number[] = [];
    const getErrors: string[] = [];
    let steadyOn = true;
    const steadyGetter = (async () => {
      while (steadyOn) {
        const t = performance.now();
        try {
          await (await fetch(`${url}/api/v1/nodes/co-sim-0`)).arrayBuffer();
          steadyGet.push(performance.now() - t);
        } catch (e) {
          getErrors.push(String((e as Error).cause ?? e));
        }
        await timeBare(bareSrv.url, bareSteady);
        await sleep(25);
      }
    })();
    const steadyCpu = await cpuPercent(pid, STEADY_S * 1000);
    steadyOn = false;
    await steadyGetter;
    const s1 = await serverSide(url, hbRoute);
    recording = false;
    sims.send({ kind: 'stop-record' });
    const steadyServer = quantiles(minus(s1.buckets, s0.buckets));
    const hbPerS = (s1.count - s0.count) / STEADY_S;
    const steadyRss = rssMiB(pid);
    const steadyHeap = await heapOf(url);
    const hbSteady = [...hb];
    const simSteady = (await (sims.send({ kind: 'report' }), fromSims('report'))) as { hb: number[] };
    hb.length = 0;
    const ready = await metric(url, 'osmo_nodes{status="ready"}');

    // submit
    const post: number[] = [];
    let postRetries = 0;
    let peakRss = steadyRss;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(pid))), 100);
    recording = true;
    sims.send({ kind: 'record' });
    const cpu0 = cpuTicks(pid);
    const t0 = performance.now();
    // the client's reads while placing: one GET every 25 ms, measured here, apart from the progress polls
    const get: number[] = [];
    let placing = true;
    const getter = (async () => {
      while (placing) {
        const t = performance.now();
        try {
          const r = await fetch(`${url}/api/v1/mels/co-b-0`);
          await r.arrayBuffer();
          if (r.status === 200) get.push(performance.now() - t);
        } catch (e) {
          getErrors.push(String((e as Error).cause ?? e));
        }
        await timeBare(bareSrv.url, bareBusy);
        await sleep(25);
      }
    })();
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let m = w; m < MELS; m += 10) {
          const t = performance.now();
          // a connect timeout on a starved machine is tried again (a 409 then means the first one landed)
          for (let attempt = 1; ; attempt++) {
            let r: Response;
            try {
              r = await fetch(`${url}/api/v1/mels`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({
                  name: `co-b-${m}`,
                  image: 'osmo-test/sleeper:1',
                  replicas: REPLICAS / MELS,
                  resources: { cpus: 0.01, memoryBytes: 1024 ** 2 },
                  placement: { spread: true },
                }),
              });
              await r.arrayBuffer();
            } catch (e) {
              if (attempt === 3 || !connectionError(e)) throw e;
              postRetries++;
              continue;
            }
            if (r.status === 201 || (r.status === 409 && attempt > 1)) break;
            throw new Error(`POST mel: ${r.status}`);
          }
          post.push(performance.now() - t);
        }
      }),
    );
    const { tPlaced, tRunning, lagMaxMs, lagP99Ms } = await placedAndRunning(url, REPLICAS, t0, 300_000);
    placing = false;
    await getter;
    const busyCpuS = (cpuTicks(pid) - cpu0) / 100;
    const busyCpu = (busyCpuS / ((performance.now() - t0) / 1000)) * 100;
    const s2 = await serverSide(url, hbRoute);
    const busyServer = quantiles(minus(s2.buckets, s1.buckets));
    const apiAll = await serverSide(url, /api\/v1\/(mels|nodes|instances)/);
    const endHeap = await heapOf(url);
    const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    recording = false;
    clearInterval(rssTimer);
    sims.send({ kind: 'report' });
    const simBusy = (await fromSims('report')) as {
      hb: number[];
      deploys: number;
      hbErrors: number;
      hbFailures: Record<string, number>;
    };
    const deploys = simBusy.deploys + probes.reduce((s, a) => s + a.deploys, 0);
    const hbErrors = simBusy.hbErrors + probes.reduce((s, a) => s + a.heartbeatErrors, 0);
    const schedRate = schedulerBaseline();

    const placeRate = REPLICAS / (tPlaced / 1000);
    const runRate = REPLICAS / (tRunning / 1000);
    const rows: Array<[string, string, string, string]> = [
      ['agents registered (ready)', `${ready} in ${f(regS)} s`, '', ''],
      [
        'after registration: s until CPU stopped falling (5 s windows, %)',
        `${f(settled.seconds, 0)} s (${settled.windows.map((w) => f(w, 0)).join(' → ')})`,
        '',
        '',
      ],
      [
        'placements/s (replicas committed to the store)',
        f(placeRate, 0),
        `schedule() alone: ${f(schedRate, 0)}/s`,
        `${f(placeRate / schedRate, 3)}x`,
      ],
      ['replicas running/s (agent deploy acknowledged)', f(runRate, 0), '', ''],
      ['heartbeats received by the core per s, steady', f(hbPerS, 0), `agents: ${AGENTS}`, `${f(hbPerS / AGENTS, 2)}x`],
      [
        'heartbeat p50 / p99 ms inside the core (server histogram, bucket bounds), steady',
        `${f(steadyServer.p50, 0)} / ${f(steadyServer.p99, 0)}`,
        '',
        '',
      ],
      ['heartbeat p50 / p99 ms inside the core, while placing', `${f(busyServer.p50, 0)} / ${f(busyServer.p99, 0)}`, '', ''],
      ['client API p50 / p99 ms inside the core (mels, nodes, instances)', `${f(apiAll.p50, 0)} / ${f(apiAll.p99, 0)}`, '', ''],
      [
        `heartbeat p50 / p99 ms, steady, at the client (${PROBES} probe agents, own process)`,
        `${f(pct(hbSteady, 50), 2)} / ${f(pct(hbSteady, 99), 2)}`,
        `bare http (own process, same moments): ${f(pct(bareSteady, 50), 2)} / ${f(pct(bareSteady, 99), 2)}`,
        `${f(pct(hbSteady, 99) / pct(bareSteady, 99))}x (p99)`,
      ],
      [
        'heartbeat p50 / p99 ms, while placing, at the client',
        `${f(pct(hb, 50), 2)} / ${f(pct(hb, 99), 2)}`,
        `bare http, same moments: ${f(pct(bareBusy, 50), 2)} / ${f(pct(bareBusy, 99), 2)}`,
        `${f(pct(hb, 99) / pct(bareBusy, 99))}x (p99)`,
      ],
      [
        'heartbeat p50 / p99 ms seen by the simulator process (steady / placing)',
        `${f(pct(simSteady.hb, 50), 1)} / ${f(pct(simSteady.hb, 99), 1)}; ${f(pct(simBusy.hb, 50), 1)} / ${f(pct(simBusy.hb, 99), 1)}`,
        '',
        '',
      ],
      [
        'GET /api/v1/nodes/{id} p50 / p99 ms, steady, at the client',
        `${f(pct(steadyGet, 50), 2)} / ${f(pct(steadyGet, 99), 2)}`,
        `bare http, before the fleet: ${f(pct(bareIdle, 50), 2)} / ${f(pct(bareIdle, 99), 2)}`,
        `${f(pct(steadyGet, 99) / pct(bareSteady, 99))}x (p99, bare same moments)`,
      ],
      ['POST /api/v1/mels p50 / p99 ms', `${f(pct(post, 50), 2)} / ${f(pct(post, 99), 2)}`, '', ''],
      [
        `GET /api/v1/mels/{name} p50 / p99 / max ms, while placing, at the client (${get.length} calls)`,
        `${f(pct(get, 50), 2)} / ${f(pct(get, 99), 2)} / ${f(Math.max(...get), 0)}`,
        `bare http, same moments: ${f(pct(bareBusy, 50), 2)} / ${f(pct(bareBusy, 99), 2)} / ${f(Math.max(...bareBusy), 0)}`,
        `${f(pct(get, 99) / pct(bareBusy, 99))}x (p99)`,
      ],
      ['core CPU % of one core, steady heartbeats', f(steadyCpu), `idle core: ${f(idleCpu)}`, `${f(steadyCpu / Math.max(idleCpu, 0.1))}x`],
      ['core CPU % while placing + deploying', f(busyCpu), '', ''],
      ["core event-loop delay while placing: max / worst 250 ms window's p99 (ms)", `${f(lagMaxMs, 0)} / ${f(lagP99Ms, 0)}`, '', ''],
      // the work done, not its rate: what a loaded machine changes least
      ['core CPU s from the first POST to all running (ms per replica)', `${f(busyCpuS)} (${f((busyCpuS * 1000) / REPLICAS, 2)})`, '', ''],
      [
        'core RSS MiB: idle / steady / peak',
        `${f(idleRss, 0)} / ${f(steadyRss, 0)} / ${f(peakRss, 0)}`,
        '',
        `${f(peakRss / idleRss)}x idle`,
      ],
      ['core V8 heap used / total, external MiB: idle; steady; after placing', `${idleHeap}; ${steadyHeap}; ${endHeap}`, '', ''],
      ['deploys acknowledged by simulated agents', String(deploys), '', ''],
      ['bare http baseline errors', String(bareErrors), '', ''],
      ['client GET errors (steady and placing)', `${getErrors.length}${getErrors.length ? ` (${getErrors[0]})` : ''}`, '', ''],
      ['POST /api/v1/mels tried again after a connection error', String(postRetries), '', ''],
      ['heartbeat errors (sim side)', `${hbErrors} ${JSON.stringify(simBusy.hbFailures)}`, '', ''],
      ['machine load average at the end (1/5/15 min, 2 cores)', loadavg, '', ''],
    ];
    console.log('\n| figure | value | baseline (same run) | ratio |\n|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    for (const a of probes) await a.stop();
    sims.send({ kind: 'exit' });
  } finally {
    simsProc?.kill('SIGKILL');
    bareProc?.kill('SIGKILL');
    // a graceful stop lets --cpu-prof write its profile
    core.kill('SIGTERM');
    await Promise.race([new Promise((r) => core.once('exit', r)), sleep(15_000)]);
    core.kill('SIGKILL');
  }
}

await main();
process.exit(0);
