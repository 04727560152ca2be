// One sampler per (metric, source). A sampler keeps the previous reading so counters become
// rates; sample() returns the flat field maps of one tick (one per target).
import { statfsSync } from 'node:fs';
import type { Field, MetricName, SampleSource } from '../../model/index.js';
import type { GuestStats } from '../../runtime/types.js';
import { cpuPercent, parseDiskstats, parseMeminfo, parseMounts, parseNetDev, parseProcStat, readProc, type CpuTimes } from './procfs.js';

export type Fields = Record<string, Field>;
export interface Reading {
  target: string;
  fields: Fields;
}

export interface Sampler {
  /** takes the baseline reading that the first rate is computed against */
  prime(): Promise<void>;
  sample(): Promise<Reading[]>;
}

const f = (value: number, unit: string): Field => ({ value: Number.isFinite(value) ? round(value) : 0, unit });
const round = (v: number): number => Math.round(v * 1000) / 1000;
const rate = (cur: number, prev: number | undefined, dtMs: number): number =>
  prev === undefined || dtMs <= 0 || cur < prev ? 0 : ((cur - prev) * 1000) / dtMs;

export interface ProcPaths {
  stat: string;
  meminfo: string;
  netdev: string;
  diskstats: string;
  mounts: string;
}
export const PROC: ProcPaths = {
  stat: '/proc/stat',
  meminfo: '/proc/meminfo',
  netdev: '/proc/net/dev',
  diskstats: '/proc/diskstats',
  mounts: '/proc/mounts',
};

class HostCpu implements Sampler {
  private prev = new Map<string, CpuTimes>();
  constructor(private readonly p: ProcPaths) {}
  async prime(): Promise<void> {
    this.prev = parseProcStat(await readProc(this.p.stat));
  }
  async sample(): Promise<Reading[]> {
    const cur = parseProcStat(await readProc(this.p.stat));
    const pct = cpuPercent(this.prev, cur);
    this.prev = cur;
    const fields: Fields = {};
    for (const [name, v] of pct) fields[name === 'cpu' ? 'total' : name.replace(/^cpu/, 'core')] = f(v, 'percent');
    return [{ target: 'host', fields }];
  }
}

class HostMem implements Sampler {
  constructor(private readonly p: ProcPaths) {}
  async prime(): Promise<void> {}
  async sample(): Promise<Reading[]> {
    const m = parseMeminfo(await readProc(this.p.meminfo));
    const g = (k: string): number => m.get(k) ?? 0;
    const total = g('MemTotal');
    const available = m.get('MemAvailable') ?? g('MemFree') + g('Buffers') + g('Cached');
    const used = total - available;
    const swapTotal = g('SwapTotal');
    const swapFree = g('SwapFree');
    return [
      {
        target: 'host',
        fields: {
          total: f(total, 'bytes'),
          used: f(used, 'bytes'),
          free: f(g('MemFree'), 'bytes'),
          available: f(available, 'bytes'),
          buffers: f(g('Buffers'), 'bytes'),
          cached: f(g('Cached'), 'bytes'),
          used_percent: f(total > 0 ? (used / total) * 100 : 0, 'percent'),
          swap_total: f(swapTotal, 'bytes'),
          swap_used: f(swapTotal - swapFree, 'bytes'),
          swap_free: f(swapFree, 'bytes'),
        },
      },
    ];
  }
}

class HostNet implements Sampler {
  private prev = new Map<string, { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number }>();
  private prevTs = 0;
  constructor(private readonly p: ProcPaths) {}
  async prime(): Promise<void> {
    this.prev = parseNetDev(await readProc(this.p.netdev));
    this.prevTs = Date.now();
  }
  async sample(): Promise<Reading[]> {
    const cur = parseNetDev(await readProc(this.p.netdev));
    const now = Date.now();
    const dt = now - this.prevTs;
    const fields: Fields = {};
    for (const [ifc, c] of cur) {
      const p = this.prev.get(ifc);
      fields[`${ifc}.rx_bytes`] = f(c.rxBytes, 'bytes');
      fields[`${ifc}.tx_bytes`] = f(c.txBytes, 'bytes');
      fields[`${ifc}.rx_packets`] = f(c.rxPackets, 'packets');
      fields[`${ifc}.tx_packets`] = f(c.txPackets, 'packets');
      fields[`${ifc}.rx_bytes_rate`] = f(rate(c.rxBytes, p?.rxBytes, dt), 'bytes/s');
      fields[`${ifc}.tx_bytes_rate`] = f(rate(c.txBytes, p?.txBytes, dt), 'bytes/s');
      fields[`${ifc}.rx_packets_rate`] = f(rate(c.rxPackets, p?.rxPackets, dt), 'packets/s');
      fields[`${ifc}.tx_packets_rate`] = f(rate(c.txPackets, p?.txPackets, dt), 'packets/s');
    }
    this.prev = cur;
    this.prevTs = now;
    return [{ target: 'host', fields }];
  }
}

class HostDisk implements Sampler {
  private prev = new Map<string, { readBytes: number; writeBytes: number }>();
  private prevTs = 0;
  private mounts: string[] = [];
  constructor(private readonly p: ProcPaths) {}
  async prime(): Promise<void> {
    this.prev = parseDiskstats(await readProc(this.p.diskstats));
    this.prevTs = Date.now();
    this.mounts = parseMounts(await readProc(this.p.mounts));
  }
  async sample(): Promise<Reading[]> {
    const cur = parseDiskstats(await readProc(this.p.diskstats));
    const now = Date.now();
    const dt = now - this.prevTs;
    const fields: Fields = {};
    for (const [dev, c] of cur) {
      const p = this.prev.get(dev);
      fields[`${dev}.read_bytes`] = f(c.readBytes, 'bytes');
      fields[`${dev}.write_bytes`] = f(c.writeBytes, 'bytes');
      fields[`${dev}.read_bytes_rate`] = f(rate(c.readBytes, p?.readBytes, dt), 'bytes/s');
      fields[`${dev}.write_bytes_rate`] = f(rate(c.writeBytes, p?.writeBytes, dt), 'bytes/s');
    }
    this.prev = cur;
    this.prevTs = now;
    for (const mnt of this.mounts) {
      try {
        // synchronous like readProc: one quick syscall, not a thread-pool round trip per mount
        const s = statfsSync(mnt);
        const size = s.blocks * s.bsize;
        const free = s.bavail * s.bsize;
        const used = (s.blocks - s.bfree) * s.bsize;
        fields[`${mnt}.size`] = f(size, 'bytes');
        fields[`${mnt}.used`] = f(used, 'bytes');
        fields[`${mnt}.free`] = f(free, 'bytes');
        fields[`${mnt}.used_percent`] = f(used + free > 0 ? (used / (used + free)) * 100 : 0, 'percent');
      } catch {
        // unmounted since we listed it: skip this tick
      }
    }
    return [{ target: 'host', fields }];
  }
}

/** What the guest samplers need from the deploy side: running instance names and their stats. */
export interface GuestSource {
  running(): Promise<string[]>;
  stats(name: string): Promise<GuestStats>;
}

class Guest implements Sampler {
  private readonly prev = new Map<string, { st: GuestStats; fields: Fields }>();
  constructor(
    private readonly metric: MetricName,
    private readonly src: GuestSource,
  ) {}
  async prime(): Promise<void> {}
  async sample(): Promise<Reading[]> {
    const names = await this.src.running();
    const out: Reading[] = [];
    const settled = await Promise.allSettled(names.map((n) => this.src.stats(n)));
    for (const s of settled) {
      if (s.status !== 'fulfilled') continue; // removed between list and stats
      const st = s.value;
      const p = this.prev.get(st.name);
      // The engine reads a container about once a second, on its own clock: a tick may see the
      // same reading again. It is still the newest truth, rates included (not a zero rate).
      const fields = p && p.st.ts === st.ts ? p.fields : guestFields(this.metric, st, p?.st);
      out.push({ target: st.name, fields });
      this.prev.set(st.name, { st, fields });
    }
    for (const name of this.prev.keys()) if (!names.includes(name)) this.prev.delete(name);
    return out;
  }
}

export function guestFields(metric: MetricName, st: GuestStats, prev: GuestStats | undefined): Fields {
  const dt = prev ? st.ts - prev.ts : 0;
  switch (metric) {
    case 'cpu':
      return { total: f(st.cpuPercent, 'percent') };
    case 'mem':
      return {
        usage: f(st.memUsageBytes, 'bytes'),
        limit: f(st.memLimitBytes, 'bytes'),
        used_percent: f(st.memLimitBytes > 0 ? (st.memUsageBytes / st.memLimitBytes) * 100 : 0, 'percent'),
      };
    case 'net':
      return {
        rx_bytes: f(st.netRxBytes, 'bytes'),
        tx_bytes: f(st.netTxBytes, 'bytes'),
        rx_bytes_rate: f(rate(st.netRxBytes, prev?.netRxBytes, dt), 'bytes/s'),
        tx_bytes_rate: f(rate(st.netTxBytes, prev?.netTxBytes, dt), 'bytes/s'),
      };
    case 'disk':
      return {
        read_bytes: f(st.blkReadBytes, 'bytes'),
        write_bytes: f(st.blkWriteBytes, 'bytes'),
        read_bytes_rate: f(rate(st.blkReadBytes, prev?.blkReadBytes, dt), 'bytes/s'),
        write_bytes_rate: f(rate(st.blkWriteBytes, prev?.blkWriteBytes, dt), 'bytes/s'),
      };
  }
}

export function createSampler(metric: MetricName, source: SampleSource, guest: GuestSource, paths: ProcPaths = PROC): Sampler {
  if (source === 'guest') return new Guest(metric, guest);
  switch (metric) {
    case 'cpu':
      return new HostCpu(paths);
    case 'mem':
      return new HostMem(paths);
    case 'net':
      return new HostNet(paths);
    case 'disk':
      return new HostDisk(paths);
  }
}
