// Guest stats read straight from the kernel, for an agent on the same host as its engine: the
// container's cgroup files (v1: cpuacct, memory, blkio; v2: cpu.stat, memory.*, io.stat) and
// its init process's /proc/<pid>/net/dev, the sources the engine itself reads. One read per
// file per tick, on the tick, instead of ten engine streams each pushing a JSON document on
// its own clock: the agent wakes once a second instead of eleven times (docs/decisions.md,
// 2026-12-01). Files stay open and are re-read from offset 0 (one pread each, no
// open/fstat/close per tick). Anything unexpected (another pid namespace, another cgroup
// namespace, an engine on another host, a file missing) returns undefined and the caller
// falls back to the engine's stats stream.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import type { StatsReading } from './docker-stats.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Where the cgroup hierarchies are mounted (from /proc/self/mountinfo). */
interface Mounts {
  /** v1 controller -> [mount point, mount root] */
  v1: Map<string, [string, string]>;
  /** the cgroup2 mount, if any */
  v2?: [string, string];
}

/** One container's open files. */
interface Files {
  version: 1 | 2;
  cpu: number;
  memUsage: number;
  memStat: number;
  memLimit: number;
  io: number;
  net: number;
  /** the cpu counter (ns) and when it was read (ns, monotonic): cpu % is over the last tick */
  prevCpuNs: number;
  prevAtNs: bigint;
}

const buf = Buffer.allocUnsafe(16 * 1024);

function pread(fd: number): string {
  const n = readSync(fd, buf, 0, buf.length, 0);
  return buf.toString('latin1', 0, n);
}

/** The value after `key ` on its own line of a flat-keyed file (memory.stat, cpu.stat). */
function keyed(text: string, key: string): number {
  const k = key + ' ';
  let from: number;
  if (text.startsWith(k)) from = k.length;
  else {
    const at = text.indexOf('\n' + k);
    if (at < 0) return NaN;
    from = at + 1 + k.length;
  }
  const end = text.indexOf('\n', from);
  return Number(text.slice(from, end < 0 ? undefined : end));
}

/** Sum of receive and transmit bytes over a network namespace's interfaces but lo (as the engine counts). */
function netTotals(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const cols = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    rx += Number(cols[0]) || 0;
    tx += Number(cols[8]) || 0;
  }
  return { rx, tx };
}

/** v1 blkio "8:0 Read 4096" lines; v2 io.stat "8:0 rbytes=4096 wbytes=0 …" lines. */
function ioTotals(text: string, version: 1 | 2): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    if (version === 1) {
      const [, op, v] = line.split(' ');
      if (op === 'Read') read += Number(v) || 0;
      else if (op === 'Write') write += Number(v) || 0;
    } else {
      for (const kv of line.split(' ')) {
        if (kv.startsWith('rbytes=')) read += Number(kv.slice(7)) || 0;
        else if (kv.startsWith('wbytes=')) write += Number(kv.slice(7)) || 0;
      }
    }
  }
  return { read, write };
}

function readMounts(): Mounts | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  const m: Mounts = { v1: new Map() };
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [, , , root, point] = line.slice(0, sep).split(' ');
    const [fstype, , opts] = line.slice(sep + 3).split(' ');
    if (!root || !point) continue;
    if (fstype === 'cgroup2') m.v2 ??= [point, root];
    else if (fstype === 'cgroup') for (const o of (opts ?? '').split(',')) m.v1.set(o, [point, root]);
  }
  return m.v1.size || m.v2 ? m : undefined;
}

/**
 * Reads guest stats from cgroup files. `available()` says whether this host has cgroups at all;
 * `read()` says, per container, whether its files are reachable from here.
 */
export class CgroupStats {
  private readonly mounts: Mounts | undefined;
  private readonly files = new Map<string, Files>();
  /** id -> the pid with which its files could not be read from here: the engine's stream serves it (a restart, with a new pid, tries again) */
  private readonly refused = new Map<string, number>();
  private hostMemBytes: number | undefined;

  constructor() {
    this.mounts = existsSync(CGROUP_ROOT) ? readMounts() : undefined;
  }

  available(): boolean {
    return this.mounts !== undefined;
  }

  /**
   * The reading of container `id` whose init process is `pid` (as the engine's inspect says),
   * or undefined when its files are not reachable from here. `startedAt` (ms since epoch)
   * gives the first cpu % something to be measured over.
   */
  read(id: string, pid: number, startedAt: number): StatsReading | undefined {
    if (!this.mounts || !(pid > 0) || this.refused.get(id) === pid) return undefined;
    let f = this.files.get(id);
    if (!f) {
      f = this.open(id, pid, startedAt);
      if (!f) {
        this.refused.set(id, pid);
        return undefined;
      }
      this.files.set(id, f);
    }
    try {
      const nowNs = process.hrtime.bigint();
      const cpuNs = f.version === 1 ? Number(pread(f.cpu)) : keyed(pread(f.cpu), 'usage_usec') * 1000;
      const dtNs = Number(nowNs - f.prevAtNs);
      const cpuPercent = dtNs > 0 && cpuNs >= f.prevCpuNs ? ((cpuNs - f.prevCpuNs) / dtNs) * 100 : 0;
      f.prevCpuNs = cpuNs;
      f.prevAtNs = nowNs;
      const usage = Number(pread(f.memUsage));
      const inactive = keyed(pread(f.memStat), f.version === 1 ? 'total_inactive_file' : 'inactive_file');
      const limitText = pread(f.memLimit).trim();
      const host = this.hostMem();
      // no limit: v1 says 2^63 rounded to a page, v2 says "max"; the engine reports the host's memory then
      const limit = limitText === 'max' ? host : Math.min(Number(limitText), host);
      const io = ioTotals(pread(f.io), f.version);
      const net = netTotals(pread(f.net));
      if (!Number.isFinite(cpuNs) || !Number.isFinite(usage)) throw new Error('unreadable counters');
      return {
        ts: Date.now(),
        live: true,
        cpuPercent,
        memUsageBytes: inactive < usage ? usage - inactive : usage,
        memLimitBytes: limit,
        netRxBytes: net.rx,
        netTxBytes: net.tx,
        blkReadBytes: io.read,
        blkWriteBytes: io.write,
      };
    } catch {
      // the container stopped (its files went away) or its process exited: the caller asks
      // the engine, which knows; a later start opens the files afresh
      this.drop(id);
      return undefined;
    }
  }

  /** Closes the files of one container (removed or stopped). */
  drop(id: string): void {
    this.refused.delete(id);
    const f = this.files.get(id);
    this.files.delete(id);
    if (f) for (const fd of [f.cpu, f.memUsage, f.memStat, f.memLimit, f.io, f.net]) closeQuietly(fd);
  }

  close(): void {
    for (const id of [...this.files.keys()]) this.drop(id);
  }

  private open(id: string, pid: number, startedAt: number): Files | undefined {
    const m = this.mounts!;
    let cgroup: string;
    try {
      cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      return undefined; // not in our pid namespace, or the engine is on another host
    }
    // the pid must be that container's: another host's or namespace's pid 1234 is not ours
    if (!cgroup.includes(id)) return undefined;
    const paths = new Map<string, string>();
    for (const line of cgroup.split('\n')) {
      const a = line.indexOf(':');
      const b = line.indexOf(':', a + 1);
      if (a < 0 || b < 0) continue;
      const path = line.slice(b + 1);
      for (const c of line.slice(a + 1, b).split(',')) paths.set(c, path);
    }
    const under = (mount: [string, string] | undefined, path: string | undefined): string | undefined => {
      if (!mount || path === undefined) return undefined;
      const [point, root] = mount;
      // a cgroup namespace shows paths relative to its own root ("/.." escapes it): not reachable
      if (path.includes('/..')) return undefined;
      const rel = root !== '/' && path.startsWith(root) ? path.slice(root.length) : path;
      return point + rel;
    };
    const fds: number[] = [];
    const fd = (p: string): number => {
      const n = openSync(p, 'r');
      fds.push(n);
      return n;
    };
    try {
      const nowNs = process.hrtime.bigint();
      const sinceStartNs = Math.max(1, Date.now() - startedAt) * 1e6;
      const cpuDir = under(m.v1.get('cpuacct'), paths.get('cpuacct'));
      const memDir = under(m.v1.get('memory'), paths.get('memory'));
      const ioDir = under(m.v1.get('blkio'), paths.get('blkio'));
      let f: Files;
      if (cpuDir && memDir && ioDir) {
        f = {
          version: 1,
          cpu: fd(`${cpuDir}/cpuacct.usage`),
          memUsage: fd(`${memDir}/memory.usage_in_bytes`),
          memStat: fd(`${memDir}/memory.stat`),
          memLimit: fd(`${memDir}/memory.limit_in_bytes`),
          io: fd(`${ioDir}/blkio.throttle.io_service_bytes_recursive`),
          net: fd(`/proc/${pid}/net/dev`),
          prevCpuNs: 0,
          prevAtNs: 0n,
        };
        f.prevCpuNs = Number(pread(f.cpu));
      } else {
        const dir = under(m.v2, paths.get(''));
        if (!dir) throw new Error('no cgroup path');
        f = {
          version: 2,
          cpu: fd(`${dir}/cpu.stat`),
          memUsage: fd(`${dir}/memory.current`),
          memStat: fd(`${dir}/memory.stat`),
          memLimit: fd(`${dir}/memory.max`),
          io: fd(`${dir}/io.stat`),
          net: fd(`/proc/${pid}/net/dev`),
          prevCpuNs: 0,
          prevAtNs: 0n,
        };
        f.prevCpuNs = keyed(pread(f.cpu), 'usage_usec') * 1000;
      }
      if (!Number.isFinite(f.prevCpuNs)) throw new Error('unreadable cpu counter');
      // the first cpu % is the average since the container started, not a zero
      f.prevAtNs = nowNs - BigInt(Math.round(sinceStartNs));
      f.prevCpuNs = 0;
      return f;
    } catch {
      for (const n of fds) closeQuietly(n);
      return undefined;
    }
  }

  private hostMem(): number {
    if (this.hostMemBytes === undefined) {
      const kb = /MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
      this.hostMemBytes = kb ? Number(kb[1]) * 1024 : Number.MAX_SAFE_INTEGER;
    }
    return this.hostMemBytes;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already gone */
  }
}
