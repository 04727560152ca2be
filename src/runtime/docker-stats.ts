// Docker Engine stats JSON -> GuestStats, computed the way the docker CLI does
// (cli/command/container/stats_helpers.go), plus network totals, which the seed left out.
// Every field is optional here: the engine omits blocks (networks with --net=none,
// blkio on some cgroup setups, precpu on one-shot reads), and a missing block is 0, not a crash.
import type { GuestStats } from './types.js';

interface CpuBlock {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface EngineStats {
  read?: string;
  cpu_stats?: CpuBlock;
  precpu_stats?: CpuBlock;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number | undefined> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
}

/** % of one core (100 = one core busy), as `docker stats` prints it. */
export function cpuPercent(s: EngineStats): number {
  const cur = s.cpu_stats;
  const pre = s.precpu_stats;
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cur?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  // An empty precpu block (first or one-shot read) has no interval to measure over.
  if (!pre?.system_cpu_usage || sysDelta <= 0 || cpuDelta < 0) return 0;
  const cpus = cur?.online_cpus || cur?.cpu_usage?.percpu_usage?.length || 1;
  return (cpuDelta / sysDelta) * cpus * 100;
}

/** Usage minus the page cache that can be dropped: cgroup v1 total_inactive_file, v2 inactive_file. */
export function memUsage(s: EngineStats): number {
  const usage = s.memory_stats?.usage ?? 0;
  const st = s.memory_stats?.stats ?? {};
  const inactive = st['total_inactive_file'] ?? st['inactive_file'];
  return inactive !== undefined && inactive < usage ? usage - inactive : usage;
}

export function netTotals(s: EngineStats): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  const nets = s.networks;
  for (const k in nets) {
    rx += nets[k]!.rx_bytes ?? 0;
    tx += nets[k]!.tx_bytes ?? 0;
  }
  return { rx, tx };
}

/** cgroup v1 reports ops "Read"/"Write", v2 "read"/"write". */
export function blkTotals(s: EngineStats): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    else if (op === 'write') write += e.value;
  }
  return { read, write };
}

/** What a guest sample needs of one engine document: GuestStats without the name. */
export type StatsReading = Omit<GuestStats, 'name'> & {
  /** false for the zero-time document the engine sends for a container that is not running */
  live: boolean;
};

/**
 * Reads the fields a guest sample needs out of one engine document, so the document itself
 * (about 2 KB of JSON, a few hundred objects once parsed) can die young.
 */
export function toReading(s: EngineStats): StatsReading {
  const net = netTotals(s);
  const blk = blkTotals(s);
  const ts = s.read ? Date.parse(s.read) : NaN;
  return {
    ts: Number.isFinite(ts) && ts > 0 ? ts : Date.now(),
    live: !!s.read && !s.read.startsWith('0001-'),
    cpuPercent: cpuPercent(s),
    memUsageBytes: memUsage(s),
    memLimitBytes: s.memory_stats?.limit ?? 0,
    netRxBytes: net.rx,
    netTxBytes: net.tx,
    blkReadBytes: blk.read,
    blkWriteBytes: blk.write,
  };
}

export function withName(name: string, r: StatsReading): GuestStats {
  return {
    name,
    ts: r.ts,
    cpuPercent: r.cpuPercent,
    memUsageBytes: r.memUsageBytes,
    memLimitBytes: r.memLimitBytes,
    netRxBytes: r.netRxBytes,
    netTxBytes: r.netTxBytes,
    blkReadBytes: r.blkReadBytes,
    blkWriteBytes: r.blkWriteBytes,
  };
}

export function toGuestStats(name: string, s: EngineStats): GuestStats {
  return withName(name, toReading(s));
}
