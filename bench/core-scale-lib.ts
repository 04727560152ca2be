// What the core-scale benches share: a process's CPU and RSS from /proc, the core's own
// Prometheus figures (a counter, its latency histogram's quantiles), the simulated fleet in
// its own process (bench/core-scale-sims.ts, driven over IPC).
import { fork, type ChildProcess } from 'node:child_process';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../testing/proc.js';
import { launcherFlags } from './agent-lib.js';

export const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
export const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// the codes of a connection refused, reset or timed out, as node:net and undici (fetch) name them
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * Whether a fetch failed on its connection (refused, reset, cut or timed out: undici's
 * UND_ERR_*), read from the code of the error or of a cause down its chain, never its text.
 */
export function connectionError(e: unknown): boolean {
  for (let x = e; typeof x === 'object' && x !== null; x = (x as { cause?: unknown }).cause) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
  }
  return false;
}

export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(parts[11]) + Number(parts[12]); // utime + stime, clock ticks (100/s)
}
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
export async function cpuPercent(pid: number, ms: number): Promise<number> {
  const a = cpuTicks(pid);
  const t = performance.now();
  await sleep(ms);
  return ((cpuTicks(pid) - a) / 100 / ((performance.now() - t) / 1000)) * 100;
}

/**
 * Waits until the processes' CPU stops falling: after a fleet registers, a core still syncs
 * every node and arms its monitors for a while, and a "steady" figure taken then measures that
 * tail, not heartbeats. Windows of `windowMs` until one is no more than 10 % (or 2 points) below
 * the one before, at most `maxMs`; returns the seconds waited and the windows' figures.
 */
export async function settle(pids: number[], windowMs = 5000, maxMs = 180_000): Promise<{ seconds: number; windows: number[] }> {
  const t0 = performance.now();
  const windows: number[] = [];
  for (;;) {
    const per = await Promise.all(pids.map((p) => cpuPercent(p, windowMs)));
    const sum = per.reduce((a, b) => a + b, 0);
    const prev = windows[windows.length - 1];
    windows.push(sum);
    if ((prev !== undefined && sum >= Math.min(prev * 0.9, prev - 2)) || performance.now() - t0 > maxMs)
      return { seconds: (performance.now() - t0) / 1000, windows };
  }
}

export async function metric(url: string, name: string): Promise<number> {
  return (await metrics(url, [name]))[0]!;
}

/** Several values from one scrape (a scrape of a core with 10,000 instances costs it tens of ms). */
export async function metrics(url: string, names: string[]): Promise<number[]> {
  const lines = (await (await fetch(`${url}/metrics`)).text()).split('\n');
  return names.map((name) => {
    const line = lines.find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').pop()) : 0;
  });
}

/**
 * Waits until the core counts `replicas` placements and as many running instances; returns
 * when each was first seen (ms after `t0`, NaN if not within `timeoutMs`). Polled every 250 ms:
 * polling faster made the scrapes a visible part of the core's CPU while it placed.
 */
export async function placedAndRunning(
  url: string,
  replicas: number,
  t0: number,
  timeoutMs: number,
): Promise<{ tPlaced: number; tRunning: number; lagMaxMs: number; lagP99Ms: number }> {
  let tPlaced = NaN;
  // the core's event-loop delay (prom-client's histogram, reset at each scrape): the longest
  // stretch its loop was held while placing, and the worst p99 of a 250 ms window
  let lagMaxMs = 0;
  let lagP99Ms = 0;
  const done = (tRunning: number) => ({ tPlaced, tRunning, lagMaxMs, lagP99Ms });
  while (performance.now() - t0 < timeoutMs) {
    const [placed, running, lagMax, lagP99] = await metrics(url, [
      'osmo_placements_total',
      'osmo_instances{state="running"}',
      'osmo_core_nodejs_eventloop_lag_max_seconds',
      'osmo_core_nodejs_eventloop_lag_p99_seconds',
    ]);
    lagMaxMs = Math.max(lagMaxMs, lagMax! * 1000);
    lagP99Ms = Math.max(lagP99Ms, lagP99! * 1000);
    if (Number.isNaN(tPlaced) && placed! >= replicas) tPlaced = performance.now() - t0;
    if (running! >= replicas) return done(performance.now() - t0);
    await sleep(250);
  }
  return done(NaN);
}

/** The instances a core's store holds placed (on a node) and running, read by the bench itself. */
export interface StoreCounter {
  counts(): Promise<{ placed: number; running: number }>;
  close(): Promise<void>;
}

const COUNT_SQL =
  "select count(*) filter (where node is not null) as placed, count(*) filter (where state = 'running') as running from instances where desired = 'run'";

/**
 * A counter over a core's store: the SQLite file read-only (WAL lets a reader in beside the
 * core's writer) or a PostgreSQL URL. Asking the store, not the core's /metrics, costs the core
 * nothing: a scrape of a leader with 5,000 agents costs it ≈ 8 ms of its event loop
 * (`process_open_fds` reads /proc/self/fd), so a poll every 250 ms took ≈ 4 % of it while it
 * placed, and the 250 ms steps rounded a 5 s rollout by up to 5 %.
 */
export type StoreAt = { sqlite: string } | { postgres: string };

export async function storeCounter(at: StoreAt): Promise<StoreCounter> {
  if ('sqlite' in at) {
    const db = new Sqlite(at.sqlite, { readonly: true, fileMustExist: true });
    const q = db.prepare<[], { placed: number; running: number }>(COUNT_SQL);
    return {
      counts: async () => q.get()!,
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: at.postgres });
  await client.connect();
  return {
    counts: async () => {
      const r = (await client.query<{ placed: string; running: string }>(COUNT_SQL)).rows[0]!;
      return { placed: Number(r.placed), running: Number(r.running) };
    },
    close: () => client.end(),
  };
}

/**
 * Waits until the store holds `replicas` placed instances and as many running; returns when
 * each was first seen (ms after `t0`, NaN if not within `timeoutMs`), polled every 100 ms.
 */
export async function placedAndRunningInStore(
  counter: StoreCounter,
  replicas: number,
  t0: number,
  timeoutMs: number,
): Promise<{ tPlaced: number; tRunning: number }> {
  let tPlaced = NaN;
  while (performance.now() - t0 < timeoutMs) {
    const { placed, running } = await counter.counts();
    if (Number.isNaN(tPlaced) && placed >= replicas) tPlaced = performance.now() - t0;
    if (running >= replicas) return { tPlaced, tRunning: performance.now() - t0 };
    await sleep(100);
  }
  return { tPlaced, tRunning: NaN };
}

/** The cumulative buckets of histogram `name` in a /metrics text, summed over the series whose labels `keep` accepts. */
function bucketsOf(text: string, name: string, keep: (labels: string) => boolean = () => true): Map<number, number> {
  const buckets = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{(.*)\\} (\\d+)`);
  for (const l of text.split('\n')) {
    const m = re.exec(l);
    if (!m || !keep(m[1]!)) continue;
    const le = /le="([^"]*)"/.exec(m[1]!)?.[1] ?? '+Inf';
    const k = le === '+Inf' ? Infinity : Number(le);
    buckets.set(k, (buckets.get(k) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** p50/p99 (bucket upper bounds) and count of the core's own latency histogram for routes matching `route`. */
export async function serverSide(
  url: string,
  route: RegExp,
): Promise<{ p50: number; p99: number; count: number; buckets: Map<number, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = bucketsOf(text, 'osmo_api_request_duration_seconds', (labels) => route.test(/route="([^"]*)"/.exec(labels)?.[1] ?? ''));
  return { ...quantiles(buckets), count: buckets.get(Infinity) ?? 0, buckets };
}
/** p50/p99 (bucket upper bounds) and count of an unlabelled histogram of the core; count 0 when it has none of that name (an older build). */
export async function histogramOf(url: string, name: string): Promise<{ p50: number; p99: number; count: number }> {
  const buckets = bucketsOf(await (await fetch(`${url}/metrics`)).text(), name);
  return { ...quantiles(buckets), count: buckets.get(Infinity) ?? 0 };
}
export function quantiles(b: Map<number, number>): { p50: number; p99: number } {
  const les = [...b.keys()].sort((x, y) => x - y);
  const total = b.get(Infinity) ?? 0;
  const q = (p: number) => (les.find((le) => (b.get(le) ?? 0) >= p * total) ?? Infinity) * 1000;
  return { p50: q(0.5), p99: q(0.99) };
}
export function minus(a: Map<number, number>, b: Map<number, number>): Map<number, number> {
  return new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)]));
}

/**
 * The simulated fleet in its own process (env: CORE_URL or CORE_URLS, TOKEN, AGENTS, PREFIX);
 * `from(kind)` resolves with its next message of that kind.
 */
export function forkSims(env: Record<string, string>): { proc: ChildProcess; from: (kind: string) => Promise<Record<string, unknown>> } {
  const proc = fork(join(ROOT, 'bench/core-scale-sims.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const from = (kind: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const on = (m: Record<string, unknown>) => {
        if (m.kind !== kind) return;
        proc.off('message', on);
        resolve(m);
      };
      proc.on('message', on);
      proc.once('exit', (c) => reject(new Error(`simulator exited ${c}`)));
    });
  return { proc, from };
}

/**
 * The argv (after `node`) that starts a core for a bench: the compiled CLI of OSMO_CORE_BIN
 * or the sources through tsx, with CORE_NODE_ARGS as node flags or, by default, those of the
 * core's launcher bin/osmo-core.js (what a deployed core runs with).
 */
export function coreArgv(args: string[]): { argv: string[]; flags: string; compiled: boolean } {
  const bin = process.env.OSMO_CORE_BIN;
  const nodeArgs = (process.env.CORE_NODE_ARGS ?? launcherFlags('osmo-core.js')).split(' ').filter(Boolean);
  // CORE_ARGS: more `osmo core` flags, e.g. "--rollout-busy-max 1" (the headroom gate off)
  const coreArgs = (process.env.CORE_ARGS ?? '').split(' ').filter(Boolean);
  return {
    argv: [...nodeArgs, ...(bin ? [bin] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')]), ...args, ...coreArgs],
    flags: [nodeArgs.join(' ') || 'none', ...(coreArgs.length ? [`core flags: ${coreArgs.join(' ')}`] : [])].join('; '),
    compiled: Boolean(bin),
  };
}
