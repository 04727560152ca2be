// Soak: one core, 3 agents, 50 MELs under continuous churn (scale, replace, delete and
// recreate), host and guest monitors at 1 s on every agent. Every SAMPLE_S seconds: RSS and
// open file descriptors of each process, event lag (events the agents produced that the core
// has not ingested yet), and the store's size on disk. At the end: the slope of each series
// after the warm-up beside its noise (no monotonic growth means the growth over the run stays
// within the residual noise), events lost (produced − ingested after a drain, and the agents'
// own dropped counters), orphan containers; and a PNG of the series in docs/.
// Baseline in the same invocation: Debian's prometheus-node-exporter, scraped once a second,
// a long-running daemon with no known leak, sampled the same way.
//   DOCKER_HOST=unix:///tmp/osmo-docker.sock node --import tsx bench/soak.ts
//   env: SOAK_MIN=30 (run length), SAMPLE_S=30, WARMUP_MIN=5, MELS=50, PNG=docs/soak.png
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../src/planner/rng.js';
import { AgentApi, type MonitorOption } from '../src/client/index.js';
import { api, cleanupNodes, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../testing/cluster.js';
import { eventually, freePort, tempDir } from '../testing/proc.js';
import { launch } from '../testing/browser.js';
import { TABLE_HEAD, fitRow } from './soak-stats.js';
import { compiledCli, docker, procUsage, ROOT, sleep, waitHttp } from './agent-lib.js';

const SOAK_MIN = Number(process.env['SOAK_MIN'] ?? 30);
const SAMPLE_S = Number(process.env['SAMPLE_S'] ?? 30);
const WARMUP_MIN = Number(process.env['WARMUP_MIN'] ?? 5);
const MELS = Number(process.env['MELS'] ?? 50);
const PNG = process.env['PNG'] ?? join(ROOT, 'docs', 'soak.png');
const IDS = ['soak-a', 'soak-b', 'soak-c'];
const rnd = mulberry32(7);

interface Point {
  t: number; // minutes since start
  rss: Record<string, number>; // MiB
  fds: Record<string, number>;
  lag: number; // events
  storeMiB: number;
  heap: Record<string, number>; // MiB of V8 heap in use (live objects and not yet collected garbage)
}

const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const mib = (b: number) => b / 1024 / 1024;

async function metric(url: string, name: string, token?: string): Promise<number> {
  const r = await fetch(`${url}/metrics`, {
    signal: AbortSignal.timeout(20_000),
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  }).catch((e: unknown) => {
    throw new Error(`${url}/metrics: ${(e as Error).message}`);
  });
  const text = await r.text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'gm'))) sum += Number(m[1]);
  return sum;
}

function storeSize(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) if (/^osmo\.db(-wal|-shm)?$/.test(f)) n += statSync(join(dir, f)).size;
  return n;
}

// the compiled CLI, as users run it: under tsx every process would carry the loader's memory
compiledCli();
process.env['OSMO_SPAWN_COMPILED'] = '1';

let core: CoreProc | undefined;
const agents: AgentProc[] = [];
const nePort = await freePort();
const neUrl = `http://127.0.0.1:${nePort}`;
const ne = spawn('/usr/bin/prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
let churning = true;
try {
  cleanupNodes(IDS);
  core = await spawnCore(tempDir('osmo-soak-core-'));
  for (const id of IDS) agents.push(await spawnAgent(core, id, 'edge', 'site'));
  const c = core;
  await eventually(
    async () =>
      ((await api(c, 'GET', '/api/v1/nodes')).json.nodes as Array<{ status: string }>).filter((n) => n.status === 'ready').length === 3,
    60_000,
    'three nodes ready',
  );
  for (const a of agents) {
    const agentApi = new AgentApi({ base: a.url, token: c.token });
    for (const source of ['host', 'guest'] as const)
      for (const m of ['cpu', 'mem'] as MonitorOption[]) await agentApi.monitor(m, { time: 1, source });
  }
  const names = Array.from({ length: MELS }, (_, k) => `soak-m${k}`);
  for (const name of names) await api(c, 'PUT', `/api/v1/mels/${name}`, { image: 'osmo-test/sleeper:1', replicas: 1 });

  // churn: one operation every second, a client that retries through hiccups
  let ops = 0;
  const churn = (async () => {
    while (churning) {
      const name = names[Math.floor(rnd() * names.length)]!;
      const roll = rnd();
      try {
        if (roll < 0.5) await api(c, 'POST', `/api/v1/mels/${name}/scale`, { replicas: 1 + Math.floor(rnd() * 2) });
        else if (roll < 0.8)
          await api(c, 'PUT', `/api/v1/mels/${name}`, { image: 'osmo-test/sleeper:1', replicas: 1, env: { ROUND: String(ops) } });
        else {
          await api(c, 'DELETE', `/api/v1/mels/${name}`);
          await api(c, 'PUT', `/api/v1/mels/${name}`, { image: 'osmo-test/sleeper:1', replicas: 1 });
        }
        ops++;
      } catch {
        // counted as not done; the run goes on
      }
      await sleep(1000);
    }
  })();
  await waitHttp(`${neUrl}/metrics`);
  const scraper = (async () => {
    while (churning) {
      await fetch(`${neUrl}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      await sleep(1000);
    }
  })();

  const pids: Record<string, number> = { core: c.proc.child.pid!, node_exporter: ne.pid! };
  for (const a of agents) pids[a.id] = a.proc.child.pid!;
  const produced = async () => {
    let n = 0;
    for (const a of agents) n += await metric(a.url, 'osmo_agent_events_total', c.token);
    return n;
  };
  const ingested = () => metric(c.url, 'osmo_agent_events_total');
  const points: Point[] = [];
  let scrapeFailures = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < SOAK_MIN * 60_000) {
    await sleep(SAMPLE_S * 1000);
    const rss: Record<string, number> = {};
    const fds: Record<string, number> = {};
    for (const [k, pid] of Object.entries(pids)) {
      rss[k] = mib(procUsage(pid).rssBytes);
      fds[k] = fdCount(pid);
    }
    // ingested first: events produced between the two reads then count as lag, never as a
    // negative one (the figure is an upper bound of the events in flight)
    let lag = Number.NaN;
    try {
      const seen = await ingested();
      lag = (await produced()) - seen;
    } catch (e) {
      console.log(`(a /metrics read failed: ${(e as Error).message}; this point has no lag)`);
      scrapeFailures++;
    }
    // engine calls the agents hold open and keep waiting (src/runtime/docker-engine.ts)
    let engine = '';
    try {
      for (const state of ['active', 'queued']) {
        let n = 0;
        for (const a of agents) n += await metric(a.url, `osmo_agent_engine_requests\\{[^}]*state="${state}"[^}]*\\}`, c.token);
        engine += ` ${state} ${n}`;
      }
    } catch {
      engine = ' ?';
    }
    // V8's own view beside RSS: a heap in use that stays flat while RSS rises is memory the
    // allocator keeps, not objects osmo keeps
    const heap: Record<string, number> = {};
    try {
      heap['core'] = mib(await metric(c.url, 'osmo_core_nodejs_heap_size_used_bytes'));
      for (const a of agents) {
        heap[a.id] = mib(await metric(a.url, 'osmo_agent_nodejs_heap_size_used_bytes', c.token));
      }
    } catch {
      scrapeFailures++;
    }
    const p: Point = { t: (Date.now() - t0) / 60_000, rss, fds, lag, storeMiB: mib(storeSize(c.dataDir)), heap };
    points.push(p);
    console.log(
      `${p.t.toFixed(1)} min  rss ${Object.entries(rss)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(' ')} MiB  heap ${Object.entries(heap)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(
          ' ',
        )} MiB  fds core ${fds['core']}  lag ${lag}  store ${p.storeMiB.toFixed(1)} MiB  ops ${ops}  engine calls${engine}  load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  churning = false;
  await churn;
  await scraper;

  // drain: every event produced reaches the core
  for (const a of agents) {
    const agentApi = new AgentApi({ base: a.url, token: c.token });
    for (const source of ['host', 'guest'] as const)
      for (const m of ['cpu', 'mem'] as MonitorOption[]) await agentApi.stopMonitor(m, source).catch(() => undefined);
  }
  // Lost = produced by the end of the churn, yet not ingested after the drain. The core's
  // policy engine re-arms the guest monitors every 20 s, so events never stop coming: a
  // produced − ingested read at one moment counts the events in flight (the lag), not lost ones.
  // Ingestion is deduplicated by seq, so ingested ≥ what was produced at the snapshot means none
  // of those went missing.
  const producedAtEnd = await produced();
  let lost = Number.NaN;
  await eventually(
    async () => {
      lost = Math.max(0, producedAtEnd - (await ingested()));
      return lost === 0;
    },
    120_000,
    'every event produced by the end of the churn ingested',
  ).catch(() => undefined);
  let dropped = 0;
  let rejected = 0;
  for (const a of agents) {
    dropped += await metric(a.url, 'osmo_agent_outbox_dropped_events_total', c.token);
    rejected += await metric(a.url, 'osmo_agent_events_rejected_total', c.token);
  }

  // orphans: containers of our nodes whose instance the core does not know, in two reads 30 s
  // apart (one the core is removing at the first read is gone at the second)
  const unknown = async () => {
    const known = new Set(((await api(c, 'GET', '/api/v1/instances')).json.instances as Array<{ name: string }>).map((i) => i.name));
    return IDS.flatMap((id) =>
      docker(['ps', '-a', '--filter', `label=io.osmo.node=${id}`, '--format', '{{.Names}}'])
        .split('\n')
        .filter(Boolean),
    ).filter((n) => !known.has(n));
  };
  const firstRead = await unknown();
  await sleep(30_000);
  const secondRead = new Set(await unknown());
  const orphans = firstRead.filter((n) => secondRead.has(n));
  console.log(`containers the core did not know: ${firstRead.length} at the first read, ${orphans.length} of them still there 30 s later`);
  // what the orphans are (state, age, the instance id they carry), and what the agents warned
  // about: a batch the core rejected is produced, never ingested, and not counted as dropped
  for (const n of orphans.slice(0, 10))
    console.log(
      `orphan ${n}: ${docker(['inspect', '--format', '{{.State.Status}} created {{.Created}} instance {{index .Config.Labels "io.osmo.instance"}}', n]).trim()}`,
    );
  for (const a of agents) {
    const warnings = a.proc
      .output()
      .split('\n')
      .filter((l) => /warn|error/i.test(l));
    const kinds = new Map<string, number>();
    for (const l of warnings) {
      const k = l.replace(/[0-9a-f]{8,}|\d+/g, '#').slice(0, 160);
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    console.log(`${a.id}: ${warnings.length} warning lines`);
    for (const [k, n] of [...kinds].sort((x, y) => y[1] - x[1]).slice(0, 8)) console.log(`  ${n} × ${k}`);
  }

  const after = points.filter((p) => p.t >= WARMUP_MIN);
  console.log(
    `\nsoak ${SOAK_MIN} min, ${MELS} MELs, ${ops} churn operations, samples every ${SAMPLE_S} s, warm-up ${WARMUP_MIN} min excluded from the fits`,
  );
  console.log(TABLE_HEAD);
  const row = (label: string, series: Array<[number, number]>, unit: string) => console.log(fitRow(label, series, unit));
  if (after.length >= 3) {
    for (const k of Object.keys(pids))
      row(
        `RSS ${k}${k === 'node_exporter' ? ' (baseline)' : ''}`,
        after.map((p) => [p.t, p.rss[k]!]),
        'MiB',
      );
    for (const k of Object.keys(pids))
      row(
        `fds ${k}${k === 'node_exporter' ? ' (baseline)' : ''}`,
        after.map((p) => [p.t, p.fds[k]!]),
        '',
      );
    for (const k of ['core', ...IDS])
      row(
        `V8 heap in use ${k}`,
        after.filter((p) => p.heap[k] !== undefined).map((p) => [p.t, p.heap[k]!] as [number, number]),
        'MiB',
      );
    row(
      'event lag',
      after.filter((p) => Number.isFinite(p.lag)).map((p) => [p.t, p.lag] as [number, number]),
      'events',
    );
    row(
      'store size',
      after.map((p) => [p.t, p.storeMiB] as [number, number]),
      'MiB',
    );
  } else console.log('(too few samples after the warm-up for a fit: run longer)');
  console.log(
    `events lost (produced by the end of the churn, not ingested after the drain): ${lost}; dropped by the agents' outboxes: ${dropped}; refused by the core: ${rejected}; orphan containers: ${orphans.length}`,
  );
  console.log(`/metrics reads that failed (20 s timeout): ${scrapeFailures}`);
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  await plot(points, PNG);
  console.log(`plot: ${PNG}`);
} finally {
  churning = false;
  for (const a of agents) await a.proc.stop('SIGKILL');
  await core?.proc.stop('SIGKILL');
  ne.kill('SIGKILL');
  cleanupNodes(IDS);
}

/** Four panels of polylines as SVG, screenshotted to PNG by the test browser (chromium). */
async function plot(points: Point[], file: string): Promise<void> {
  if (points.length < 2) return;
  const W = 900;
  const H = 200;
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#7f7f7f'];
  const panel = (title: string, series: Record<string, number[]>, y0: number) => {
    const all = Object.values(series).flat();
    const max = Math.max(1, ...all) * 1.1;
    const tmax = points[points.length - 1]!.t;
    const x = (t: number) => 60 + (t / tmax) * (W - 80);
    const y = (v: number) => y0 + H - 20 - (v / max) * (H - 40);
    const lines = Object.entries(series).map(([name, ys], k) => {
      const d = ys.map((v, i) => `${x(points[i]!.t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${colors[k % colors.length]}" stroke-width="1.5" points="${d}"/><text x="${W - 180}" y="${y0 + 20 + k * 14}" font-size="11" fill="${colors[k % colors.length]}">${name}</text>`;
    });
    return `<text x="10" y="${y0 + 14}" font-size="13" font-weight="bold">${title}</text><text x="10" y="${y0 + 30}" font-size="10">max ${max.toFixed(0)}</text><line x1="60" x2="${W - 20}" y1="${y(0)}" y2="${y(0)}" stroke="#ccc"/><text x="${W - 60}" y="${y0 + H - 4}" font-size="10">${tmax.toFixed(0)} min</text>${lines.join('')}`;
  };
  const keys = Object.keys(points[0]!.rss);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * 4}" style="background:#fff;font-family:sans-serif">${[
    panel('RSS (MiB)', Object.fromEntries(keys.map((k) => [k, points.map((p) => p.rss[k]!)])), 0),
    panel('open file descriptors', Object.fromEntries(keys.map((k) => [k, points.map((p) => p.fds[k]!)])), H),
    panel('event lag (events produced, not yet ingested)', { lag: points.map((p) => p.lag) }, 2 * H),
    panel('store size (MiB)', { store: points.map((p) => p.storeMiB) }, 3 * H),
  ].join('')}</svg>`;
  const b = await launch({ width: W, height: H * 4 });
  try {
    await b.page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await b.page.screenshot({ path: file, fullPage: true });
  } finally {
    await b.close();
  }
}
