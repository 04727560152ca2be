// Shared bits of the agent benchmarks: build check, starting the compiled agent, reading a
// process's CPU time and RSS from /proc, and medians.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { agentArgs, QUIET_AGENT_FLAGS } from '../testing/agent-args.js';
import { freePort, launcherFlagsOf } from '../testing/proc.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLK_TCK = 100;

/** The compiled CLI; builds it when missing (type errors elsewhere in the tree do not stop tsc's emit). */
export function compiledCli(): string {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(main) || !existsSync(join(ROOT, 'dist', 'agent', 'index.js'))) {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      /* emitted anyway */
    }
  }
  if (!existsSync(main)) throw new Error('dist/cli/main.js missing: run `npm run build` first');
  return main;
}

export { freePort };

/** The node flags on the first line of a launcher in bin/ (`#!/usr/bin/env -S node FLAGS`): osmo-agent.js, osmo-core.js. */
export function launcherFlags(launcher = 'osmo-agent.js'): string {
  return launcherFlagsOf(launcher.replace(/^osmo-|\.js$/g, '')).join(' ');
}

export async function waitHttp(url: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Agent {
  url: string;
  nodeId: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startCompiledAgent(nodeId: string, extra: string[] = []): Promise<Agent> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'osmo-bench-agent-'));
  // AGENT_NODE_FLAGS: V8/node flags for the agent process, e.g. "--max-semi-space-size=1";
  // by default those of the agent's launcher, bin/osmo-agent.js (what a deployed agent runs with)
  const nodeFlags = (process.env.AGENT_NODE_FLAGS ?? launcherFlags()).split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeFlags, compiledCli(), ...agentArgs({ port, id: nodeId, dataDir, flags: QUIET_AGENT_FLAGS, extra })],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`);
  return {
    url,
    nodeId,
    child,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

/** utime + stime of a process in seconds, and its RSS in bytes. */
export function procUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
}

/**
 * Context switches of a process, summed over its threads (and of its main thread alone): a
 * voluntary switch is the thread going to sleep (epoll_wait, a futex), so the count is the
 * number of wakeups without perf or strace.
 */
export function contextSwitches(pid: number): { all: number; main: number } {
  const read = (path: string): number => {
    try {
      const s = readFileSync(path, 'utf8');
      const v = /voluntary_ctxt_switches:\s+(\d+)/.exec(s);
      const n = /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(s);
      return Number(v?.[1] ?? 0) + Number(n?.[1] ?? 0);
    } catch {
      return 0; // a thread that ended between the listing and the read
    }
  };
  let all = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) all += read(`/proc/${pid}/task/${tid}/status`);
  return { all, main: read(`/proc/${pid}/task/${pid}/status`) };
}

/** The process's peak RSS over its whole life so far (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', env: process.env }).trim();
}
