// What one guest-monitor round costs the agent process: list() + stats() of every instance,
// 10 instances, for each driver — cpu time of this process (not the engine's), per round.
//   node --import tsx bench/runtime-sample.ts [rounds=5]
// Baselines in the same run: docker — the bare dockerode calls the driver makes (list + inspect
// + stats, no ownership checks or arithmetic); process — reading /proc/<pid>/stat once per instance.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DockerRuntime } from '../src/runtime/docker.js';
import { ProcessRuntime } from '../src/runtime/process.js';

const rounds = Number(process.argv[2] ?? 5);
const N = 10;
const uid = randomBytes(3).toString('hex');

async function cpuOf(f: () => Promise<unknown>): Promise<{ cpuMs: number; wallMs: number }> {
  const c = process.cpuUsage();
  const w = performance.now();
  await f();
  const d = process.cpuUsage(c);
  return { cpuMs: (d.user + d.system) / 1000, wallMs: performance.now() - w };
}

/** Interleaves the two rounds (a, b, b, a, ...) so warm-up and machine load hit both alike. */
async function measurePair(
  labelA: string,
  a: () => Promise<unknown>,
  labelB: string,
  b: () => Promise<unknown>,
): Promise<[number, number]> {
  await a(); // warm
  await b();
  const cpu = [0, 0];
  const wall = [0, 0];
  for (let i = 0; i < rounds; i++) {
    const order: Array<[number, () => Promise<unknown>]> =
      i % 2
        ? [
            [1, b],
            [0, a],
          ]
        : [
            [0, a],
            [1, b],
          ];
    for (const [k, f] of order) {
      const r = await cpuOf(f);
      cpu[k]! += r.cpuMs;
      wall[k]! += r.wallMs;
    }
  }
  for (const [k, label] of [
    [0, labelA],
    [1, labelB],
  ] as const) {
    console.log(`${label}: ${(cpu[k]! / rounds).toFixed(1)} ms cpu, ${(wall[k]! / rounds).toFixed(0)} ms wall per round`);
  }
  return [cpu[0]! / rounds, cpu[1]! / rounds];
}

const docker = new Docker();
const drt = new DockerRuntime({ nodeId: `rt-sample-${uid}`, stopGraceSeconds: 1 });
const dir = await mkdtemp(join(tmpdir(), 'rt-sample-'));
const prt = await ProcessRuntime.open({ nodeId: `rt-sample-${uid}`, dir, stopGraceSeconds: 1 });
try {
  await Promise.all(Array.from({ length: N }, (_, i) => drt.deploy({ name: `rt-sample-${uid}-${i}`, image: 'osmo-test/sleeper:1' })));
  for (let i = 0; i < N; i++) await prt.deploy({ name: `rt-sample-${i}`, image: '', command: ['sleep', '600'] });

  const [dOurs, dBare] = await measurePair(
    `docker  DockerRuntime list()+stats() x${N}`,
    async () => {
      const l = await drt.list();
      await Promise.all(l.map((i) => drt.stats(i.name)));
    },
    `docker  bare dockerode list+inspect+stats x${N}`,
    async () => {
      const l = await docker.listContainers({ all: true, filters: { label: [`io.osmo.node=rt-sample-${uid}`] } });
      await Promise.all(l.map((c) => docker.getContainer(c.Id).inspect()));
      await Promise.all(l.map((c) => docker.getContainer(c.Id).stats({ stream: false })));
    },
  );
  const pids = (await prt.list()).map((i) => i.pid!);
  const [pOurs, pBare] = await measurePair(
    `process ProcessRuntime list()+stats() x${N}`,
    async () => {
      const l = await prt.list();
      await Promise.all(l.map((i) => prt.stats(i.name)));
    },
    `process bare read of /proc/<pid>/stat x${N}`,
    async () => {
      await Promise.all(pids.map((p) => readFile(`/proc/${p}/stat`, 'utf8')));
    },
  );
  console.log(`ratio docker  ours / bare: ${(dOurs / dBare).toFixed(2)}`);
  console.log(`ratio process ours / bare: ${(pOurs / pBare).toFixed(2)}`);
} finally {
  await prt.close();
  await rm(dir, { recursive: true, force: true });
  const mine = await docker.listContainers({ all: true, filters: { label: [`io.osmo.node=rt-sample-${uid}`] } });
  await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  await drt.close();
}
