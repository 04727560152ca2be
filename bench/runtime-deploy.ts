// Deploy latency of the docker driver against the docker CLI, same engine, same image, same
// port publishing, interleaved so engine load drifts hit both alike.
//   node --import tsx bench/runtime-deploy.ts [rounds=20]
// Prints per-side median / p90 and the ratio of medians (DockerRuntime.deploy / docker run -d);
// then the same for remove (1 s grace) vs `docker stop -t 1` + `docker rm`, and one-shot stats latency.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DockerRuntime } from '../src/runtime/docker.js';

const rounds = Number(process.argv[2] ?? 20);
const IMAGE = 'osmo-test/httpd:1';
const uid = randomBytes(3).toString('hex');
const rt = new DockerRuntime({ nodeId: `rt-bench-${uid}`, stopGraceSeconds: 1 });

function docker(args: string[]): void {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const fmt = (xs: number[]) => `median ${q(xs, 0.5).toFixed(1)} ms, p90 ${q(xs, 0.9).toFixed(1)} ms`;

async function time(f: () => unknown): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const deployOsmo: number[] = [];
const deployCli: number[] = [];
const removeOsmo: number[] = [];
const removeCli: number[] = [];
try {
  // warm both paths once (image cache, CLI binary in page cache)
  await rt.deploy({ name: `rt-bench-${uid}-w`, image: IMAGE, ports: { '80/tcp': null } });
  await rt.remove(`rt-bench-${uid}-w`, { removeImage: false });
  docker(['run', '-d', '--name', `rt-bench-${uid}-wc`, '-p', '127.0.0.1::80', IMAGE]);
  docker(['rm', '-f', `rt-bench-${uid}-wc`]);

  for (let i = 0; i < rounds; i++) {
    const a = `rt-bench-${uid}-o${i}`;
    const b = `rt-bench-${uid}-c${i}`;
    const pair = [
      async () => deployOsmo.push(await time(() => rt.deploy({ name: a, image: IMAGE, ports: { '80/tcp': null } }))),
      async () =>
        deployCli.push(
          await time(() => docker(['run', '-d', '--name', b, '-p', '127.0.0.1::80', '--label', `io.osmo.node=rt-bench-${uid}`, IMAGE])),
        ),
    ];
    // alternate which goes first
    if (i % 2) pair.reverse();
    for (const f of pair) await f();
    const rm = [
      async () => removeOsmo.push(await time(() => rt.remove(a, { removeImage: false }))),
      async () => removeCli.push(await time(() => (docker(['stop', '-t', '1', b]), docker(['rm', b])))),
    ];
    if (i % 2) rm.reverse();
    for (const f of rm) await f();
  }

  // stats: one call = the engine's two reads ~1 s apart (stream:false without one-shot)
  await rt.deploy({ name: `rt-bench-${uid}-s`, image: 'osmo-test/burn:1' });
  const statsMs: number[] = [];
  for (let i = 0; i < 5; i++) statsMs.push(await time(() => rt.stats(`rt-bench-${uid}-s`)));
  await rt.remove(`rt-bench-${uid}-s`, { removeImage: false });

  const ratio = q(deployOsmo, 0.5) / q(deployCli, 0.5);
  console.log(`rounds: ${rounds}, image ${IMAGE}, port published on 127.0.0.1`);
  console.log(`deploy  DockerRuntime.deploy : ${fmt(deployOsmo)}`);
  console.log(`deploy  docker run -d        : ${fmt(deployCli)}`);
  console.log(`deploy  ratio of medians (osmo / docker run): ${ratio.toFixed(3)}  (target <= 1.10)`);
  console.log(`remove  DockerRuntime.remove : ${fmt(removeOsmo)}`);
  console.log(`remove  docker stop -t 1 + rm: ${fmt(removeCli)}`);
  console.log(`remove  ratio of medians: ${(q(removeOsmo, 0.5) / q(removeCli, 0.5)).toFixed(3)}`);
  console.log(`stats   DockerRuntime.stats  : ${fmt(statsMs)} (engine-side two-read interval included)`);
} finally {
  const left = spawnSync('docker', ['ps', '-aq', '--filter', `name=rt-bench-${uid}`], { encoding: 'utf8' }).stdout.trim();
  if (left) spawnSync('docker', ['rm', '-f', ...left.split('\n')]);
  await rt.close();
}
