// Two ways to read `docker stats` once a second for N containers, side by side on the same
// engine, each in its own child process so RSS is its own:
//   parallel: every second, one `stats?stream=false` call per container, fired without
//             waiting for the previous ones (each takes ~2 s: the engine samples twice)
//   stream:   one long-lived `stats?stream=true` connection per container; the engine pushes a
//             document a second and a 1 s tick takes the newest
//   cgroup:   no engine call per tick: the container's cgroup files (cpu, memory, block I/O,
//             found once from /proc/<pid>/cgroup, v1 or v2) and /proc/<pid>/net/dev read
//             directly every second — possible only on the engine's own host
// Per mode: distinct engine readings per container per second, CPU of the reading process,
// its peak RSS (VmHWM), and the CPU of dockerd + containerd over the window (the engine is
// shared with other test runs, so that figure is noisy: modes are interleaved a, b, b, a).
//   DOCKER_HOST=unix:///tmp/osmo-docker.sock node --import tsx bench/guest-stats-modes.ts [containers=10] [seconds=30]
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import Docker from 'dockerode';
import { onJsonLines } from '../src/runtime/json-lines.js';
import { procUsage } from './agent-lib.js';

type Mode = 'parallel' | 'stream' | 'cgroup';

/** The files one guest sample reads, per container (cgroup v1 controller paths, or the v2 unified one). */
function cgroupFiles(pid: number): string[] {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const path = (ctl: string) => lines.find((l) => l.split(':')[1]!.split(',').includes(ctl))?.split(':')[2];
  const v1 = path('cpuacct');
  if (v1 !== undefined)
    return [
      `/sys/fs/cgroup/cpuacct${v1}/cpuacct.usage`,
      `/sys/fs/cgroup/memory${path('memory')}/memory.usage_in_bytes`,
      `/sys/fs/cgroup/memory${path('memory')}/memory.stat`,
      `/sys/fs/cgroup/blkio${path('blkio')}/blkio.throttle.io_service_bytes`,
      `/proc/${pid}/net/dev`,
    ];
  const v2 = lines.find((l) => l.startsWith('0::'))!.slice(3);
  return ['cpu.stat', 'memory.current', 'memory.stat', 'io.stat'].map((f) => `/sys/fs/cgroup${v2}/${f}`).concat(`/proc/${pid}/net/dev`);
}
const CLK_TCK = 100;

interface ChildResult {
  mode: Mode;
  readingsPerContainerPerS: number;
  cpuMsPerS: number;
  peakRssMb: number;
}

async function child(mode: Mode, ids: string[], seconds: number): Promise<void> {
  const docker = new Docker();
  const seen = ids.map(() => new Set<string>());
  let running = true;
  const streams: NodeJS.ReadableStream[] = [];
  const latest: Array<string | undefined> = ids.map(() => undefined);
  if (mode === 'stream') {
    await Promise.all(
      ids.map(async (id, i) => {
        const s = await docker.getContainer(id).stats({ stream: true });
        streams.push(s);
        onJsonLines(s, (o) => (latest[i] = (o as { read?: string }).read));
      }),
    );
  }
  const files =
    mode === 'cgroup' ? await Promise.all(ids.map(async (id) => cgroupFiles((await docker.getContainer(id).inspect()).State.Pid))) : [];
  let reads = 0;
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  const timer = setInterval(() => {
    ids.forEach((id, i) => {
      if (mode === 'cgroup') {
        // what a sampler needs from each file: its numbers, parsed
        void Promise.all(files[i]!.map((f) => readFile(f, 'utf8')))
          .then((texts) => {
            let sum = 0;
            for (const t of texts) for (const m of t.matchAll(/\d+/g)) sum += Number(m[0]);
            if (running && sum >= 0) seen[i]!.add(String(reads++));
          })
          .catch(() => {});
        return;
      }
      if (mode === 'stream') {
        if (latest[i]) seen[i]!.add(latest[i]);
        return;
      }
      docker
        .getContainer(id)
        .stats({ stream: false })
        .then((s) => {
          if (running && s.read) seen[i]!.add(s.read);
        })
        .catch(() => {});
    });
  }, 1000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  clearInterval(timer);
  const wall = (Date.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  for (const s of streams) (s as NodeJS.ReadableStream & { destroy(): void }).destroy();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const out: ChildResult = {
    mode,
    readingsPerContainerPerS: seen.reduce((a, s) => a + s.size, 0) / ids.length / wall,
    cpuMsPerS: (c.user + c.system) / 1000 / wall,
    peakRssMb: Number(hwm?.[1] ?? 0) / 1024,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

function enginePids(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      if (comm === 'dockerd' || comm === 'containerd') pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}
const engineCpuSeconds = (pids: number[]) => pids.reduce((a, p) => a + procUsage(p).cpuSeconds, 0);

async function runChild(mode: Mode, ids: string[], seconds: number): Promise<ChildResult & { engineCpuPct: number }> {
  const pids = enginePids();
  const e0 = engineCpuSeconds(pids);
  const t0 = Date.now();
  const p = spawn(process.execPath, ['--import', 'tsx', process.argv[1]!, '--child', mode, String(seconds), ...ids], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => p.once('exit', r));
  const engineCpuPct = ((engineCpuSeconds(pids) - e0) / ((Date.now() - t0) / 1000)) * 100;
  return { ...(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult), engineCpuPct };
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as Mode, process.argv.slice(5), Number(process.argv[4]));
} else {
  const n = Number(process.argv[2] ?? 10);
  const seconds = Number(process.argv[3] ?? 30);
  const label = `osmo-bench-stats-${Math.random().toString(36).slice(2, 7)}`;
  const ids: string[] = [];
  try {
    for (let i = 0; i < n; i++)
      ids.push(execFileSync('docker', ['run', '-d', '--label', label, 'osmo-test/sleeper:1'], { encoding: 'utf8' }).trim());
    const results: Array<ChildResult & { engineCpuPct: number }> = [];
    const order: Mode[] = ['stream', 'cgroup', 'parallel', 'parallel', 'cgroup', 'stream'];
    for (const mode of order) results.push(await runChild(mode, ids, seconds));
    console.log(`${n} containers, ${seconds} s per run, 1 s period, runs interleaved ${order.join(', ')}; CLK_TCK ${CLK_TCK}`);
    console.log('| mode | readings / container / s | reader CPU ms/s | reader peak RSS MB | dockerd + containerd CPU % |');
    console.log('|---|---|---|---|---|');
    for (const r of results) {
      console.log(
        `| ${r.mode} | ${r.readingsPerContainerPerS.toFixed(2)} | ${r.cpuMsPerS.toFixed(1)} | ${r.peakRssMb.toFixed(1)} | ${r.engineCpuPct.toFixed(1)} |`,
      );
    }
  } finally {
    if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
}
