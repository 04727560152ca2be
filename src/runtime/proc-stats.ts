// Usage of a supervised process read from /proc (Linux): the process and everything it forked,
// so `sh -c "..."` wrappers count their children's work too.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** USER_HZ is 100 on every Linux ABI Node supports; /proc/<pid>/stat counts in it. */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** cpu seconds used by the group so far (reaped children included) */
  cpuSeconds: number;
  rssBytes: number;
  readBytes: number;
  writeBytes: number;
  /** wall clock of the sample, ms */
  at: number;
}

interface StatLine {
  pid: number;
  pgrp: number;
  ticks: number;
  starttime: number;
}

/** Fields after the "(comm)" which may itself hold spaces and parens. */
export function parseStat(text: string): StatLine | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field n is f[n - 3].
  const n = (i: number) => Number(f[i - 3] ?? 0);
  return { pid, pgrp: n(5), ticks: n(14) + n(15) + n(16) + n(17), starttime: n(22) };
}

async function readStat(pid: number): Promise<StatLine | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Start time in ticks since boot: with the pid it identifies one process across pid reuse. */
export async function processStartTime(pid: number): Promise<number | undefined> {
  return (await readStat(pid))?.starttime;
}

async function groupMembers(pgid: number): Promise<StatLine[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const stats = await Promise.all(entries.filter((e) => /^\d+$/.test(e)).map((e) => readStat(Number(e))));
  return stats.filter((s): s is StatLine => s !== undefined && s.pgrp === pgid);
}

/** Live pids in a process group (zombies included until reaped). */
export async function groupPids(pgid: number): Promise<number[]> {
  return (await groupMembers(pgid)).map((m) => m.pid);
}

async function rssOf(pid: number): Promise<number> {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function ioOf(pid: number): Promise<{ read: number; write: number }> {
  try {
    const t = await readFile(`/proc/${pid}/io`, 'utf8');
    const v = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
    return { read: v('read_bytes'), write: v('write_bytes') };
  } catch {
    return { read: 0, write: 0 };
  }
}

/**
 * The process and its descendants, found through /proc/<pid>/task/<tid>/children: a handful of
 * reads instead of a scan of every process (13 ms of cpu per sample with 120 processes, which
 * a 1 s guest monitor over 10 instances cannot afford). Kernels without that file get the scan.
 */
async function treeMembers(root: number): Promise<StatLine[]> {
  const out: StatLine[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const st = await readStat(pid);
    if (!st) continue;
    out.push(st);
    let tids: string[];
    try {
      tids = await readdir(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let text: string;
      try {
        text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && pid === root && tid === String(root)) {
          // no CONFIG_PROC_CHILDREN (or the root just exited): fall back to the group scan
          return existsSync(`/proc/${root}`) ? groupMembers(root) : out;
        }
        continue;
      }
      for (const c of text.split(' ')) if (c.trim()) queue.push(Number(c));
    }
  }
  return out;
}

export async function sampleGroup(pgid: number): Promise<ProcSample> {
  const members = await treeMembers(pgid);
  const [rss, io] = await Promise.all([Promise.all(members.map((m) => rssOf(m.pid))), Promise.all(members.map((m) => ioOf(m.pid)))]);
  return {
    cpuSeconds: members.reduce((a, m) => a + m.ticks, 0) / TICKS_PER_SECOND,
    rssBytes: rss.reduce((a, b) => a + b, 0),
    readBytes: io.reduce((a, b) => a + b.read, 0),
    writeBytes: io.reduce((a, b) => a + b.write, 0),
    at: Date.now(),
  };
}

/** % of one core between two samples of the same group. */
export function cpuPercentBetween(a: ProcSample, b: ProcSample): number {
  const wall = (b.at - a.at) / 1000;
  if (wall <= 0) return 0;
  return Math.max(0, ((b.cpuSeconds - a.cpuSeconds) / wall) * 100);
}
