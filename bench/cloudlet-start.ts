// Cloudlet start latency as a device sees it: GET /api/servicevm/start?join=false until the
// answer (the service's port accepts connections), against `docker run -d -p` of the same
// local image plus the same port wait, interleaved, N each; then join=true on a running
// instance. Targets (issue 12): cold <= 1.2x the docker path, joined <= 20 ms.
//   DOCKER_HOST=unix:///tmp/osmo-docker.sock node --import tsx bench/cloudlet-start.ts [n]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreClient } from '../src/client/index.js';
import { defaultAddress } from '../src/agent/cloudlet/server.js';
import { waitPort } from '../src/agent/cloudlet/instances.js';
import { agentArgs } from '../testing/agent-args.js';
import { spawnCore } from '../testing/cluster.js';
import { freePort, spawnOsmo, tempDir } from '../testing/proc.js';
import { docker, median } from './agent-lib.js';

const N = Number(process.argv[2] ?? 15);
const exec = promisify(execFile);
const run = Math.random().toString(36).slice(2, 7);
const nodeId = `cl-bench-${run}`;
const image = 'osmo-test/httpd:1';
const address = defaultAddress();
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const core = await spawnCore(tempDir('osmo-cl-bench-core-'));
const { url: coreUrl, token } = core;
const clPort = await freePort();
const agent = spawnOsmo(
  agentArgs({
    port: await freePort(),
    id: nodeId,
    dataDir: tempDir('osmo-cl-bench-agent-'),
    core: coreUrl,
    token,
    flags: ['--cloudlet', String(clPort), '--cloudlet-address', address],
  }),
);
const cl = `http://${address}:${clPort}/api`;
const api = new CoreClient({ base: coreUrl, token });
const cliNames: string[] = [];

async function get(url: string, device: string): Promise<Record<string, unknown>> {
  const r = await fetch(url, { headers: { 'x-device-id': device } });
  const j = (await r.json()) as Record<string, unknown>;
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

try {
  await api.cloudlets.addService({ id: 'bench.httpd', image, port: 80 });
  for (;;) {
    const r = await fetch(`${cl}/services`).catch(() => undefined);
    if (r?.ok && ((await r.json()) as unknown[]).length === 1) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const viaCloudlet: number[] = [];
  const viaDocker: number[] = [];
  const joined: number[] = [];
  // one of each untimed: warm caches
  const warm = await get(`${cl}/servicevm/start?serviceId=bench.httpd&join=false`, 'warm');
  await get(`${cl}/servicevm/stop?instanceId=${warm.INSTANCE_ID as string}`, 'warm');
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    const s = await get(`${cl}/servicevm/start?serviceId=bench.httpd&join=false`, `d${i}`);
    viaCloudlet.push(performance.now() - t);
    const port = await freePort();
    const name = `${nodeId}-cli${i}`;
    t = performance.now();
    await exec('docker', ['run', '-d', '--name', name, '-p', `${address}:${port}:80`, image]);
    await waitPort(address, port, 60_000);
    viaDocker.push(performance.now() - t);
    cliNames.push(name);
    // joins on the running instance
    for (let k = 0; k < 5; k++) {
      t = performance.now();
      await get(`${cl}/servicevm/start?serviceId=bench.httpd&join=true`, `j${i}-${k}`);
      joined.push(performance.now() - t);
    }
    for (let k = 0; k < 5; k++) await get(`${cl}/servicevm/stop?instanceId=${s.INSTANCE_ID as string}`, `j${i}-${k}`);
    await get(`${cl}/servicevm/stop?instanceId=${s.INSTANCE_ID as string}`, `d${i}`);
    docker(['rm', '-f', name]);
  }
  const mc = median(viaCloudlet);
  const md = median(viaDocker);
  console.log(`n = ${N} cold starts each (interleaved) and ${joined.length} joins; image ${image} (local); address ${address}`);
  console.log('| path | median ms | p90 ms | min ms | max ms |');
  console.log('|---|---|---|---|---|');
  const row = (what: string, xs: number[]) =>
    console.log(
      `| ${what} | ${median(xs).toFixed(1)} | ${pct(xs, 90).toFixed(1)} | ${Math.min(...xs).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`,
    );
  row('GET /api/servicevm/start?join=false (ready)', viaCloudlet);
  row('docker run -d -p + port wait', viaDocker);
  row('GET /api/servicevm/start?join=true (running)', joined);
  console.log(`ratio of medians cloudlet / docker: ${(mc / md).toFixed(3)} (target <= 1.2: ${mc / md <= 1.2 ? 'met' : 'MISSED'})`);
  console.log(`joined median ${median(joined).toFixed(1)} ms (target <= 20: ${median(joined) <= 20 ? 'met' : 'MISSED'})`);
} finally {
  for (const n of cliNames) await exec('docker', ['rm', '-f', n]).catch(() => undefined);
  await agent.stop();
  await core.proc.stop();
  const left = docker(['ps', '-aq', '--filter', `label=io.osmo.node=${nodeId}`])
    .split('\n')
    .filter(Boolean);
  if (left.length) docker(['rm', '-f', ...left]);
}
