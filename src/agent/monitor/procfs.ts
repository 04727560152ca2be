// Small readers for the Linux /proc files the host monitors need. Each parser takes the
// file's text so it can be tested on fixed input; the read* helpers do the I/O.
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  /** jiffies spent busy (everything but idle and iowait) */
  busy: number;
  total: number;
}

/** /proc/stat: "cpu" (all cores) and "cpuN" lines. */
export function parseProcStat(text: string): Map<string, CpuTimes> {
  const out = new Map<string, CpuTimes>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const parts = line.trim().split(/\s+/);
    const name = parts[0]!;
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const v = parts.slice(1, 9).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    out.set(name, { busy: total - idle, total });
  }
  return out;
}

/** Busy % between two /proc/stat readings, per line name ("cpu" = total). */
export function cpuPercent(prev: Map<string, CpuTimes>, cur: Map<string, CpuTimes>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, c] of cur) {
    const p = prev.get(name);
    if (!p) continue;
    const dt = c.total - p.total;
    out.set(name, dt > 0 ? Math.min(100, Math.max(0, ((c.busy - p.busy) / dt) * 100)) : 0);
  }
  return out;
}

/** /proc/meminfo values in bytes, keyed by the file's names (MemTotal, Cached, ...). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return out;
}

export interface NetDev {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** /proc/net/dev: per interface counters. */
export function parseNetDev(text: string): Map<string, NetDev> {
  const out = new Map<string, NetDev>();
  for (const line of text.split('\n').slice(2)) {
    const idx = line.indexOf(':');
    if (idx < 0) continue;
    const name = line.slice(0, idx).trim();
    const v = line
      .slice(idx + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    out.set(name, { rxBytes: v[0] ?? 0, rxPackets: v[1] ?? 0, txBytes: v[8] ?? 0, txPackets: v[9] ?? 0 });
  }
  return out;
}

export interface DiskIo {
  readBytes: number;
  writeBytes: number;
}

/** /proc/diskstats: whole devices only (no partitions, loop or ram devices), sectors are 512 bytes. */
export function parseDiskstats(text: string): Map<string, DiskIo> {
  const out = new Map<string, DiskIo>();
  for (const line of text.split('\n')) {
    const v = line.trim().split(/\s+/);
    if (v.length < 10) continue;
    const name = v[2]!;
    if (/^(loop|ram|zram|dm-|sr|fd)/.test(name)) continue;
    // a partition of a listed whole device (sda1, vda2, nvme0n1p1) would double count
    if (/^(sd|vd|xvd|hd)[a-z]+\d+$/.test(name) || /^(nvme\d+n\d+|mmcblk\d+)p\d+$/.test(name)) continue;
    out.set(name, { readBytes: Number(v[5]) * 512, writeBytes: Number(v[9]) * 512 });
  }
  return out;
}

const VIRTUAL_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'tmpfs',
  'cgroup',
  'cgroup2',
  'overlay',
  'squashfs',
  'mqueue',
  'debugfs',
  'tracefs',
  'securityfs',
  'pstore',
  'bpf',
  'autofs',
  'hugetlbfs',
  'configfs',
  'fusectl',
  'nsfs',
  'binfmt_misc',
  'ramfs',
  'rpc_pipefs',
  'efivarfs',
  'fuse.lxcfs',
]);

/** Mount points of real (block-device backed) filesystems from /proc/mounts, one per device. */
export function parseMounts(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [dev, mnt, fstype] = line.split(' ');
    if (!dev || !mnt || !fstype || VIRTUAL_FS.has(fstype) || !dev.startsWith('/dev/')) continue;
    if (seen.has(dev)) continue;
    seen.add(dev);
    // /proc/mounts escapes spaces and friends as octal
    out.push(mnt.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

// Synchronous on purpose: the kernel renders a /proc file from memory in microseconds, while
// the promise API's open, fstat, read and close are four thread-pool round trips per file per
// tick (a visible share of a sampling agent's CPU).
export const readProc = async (path: string): Promise<string> => readFileSync(path, 'utf8');
