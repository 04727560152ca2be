// Deploy latency: PUT /api/v1/deploy of a local image until the container runs, against
// `docker run -d` of the same image, interleaved, N each. Target: ratio of medians <= 1.10.
//   DOCKER_HOST=unix:///tmp/osmo-docker.sock node --import tsx bench/agent-deploy.ts [n]
import { docker, median, startCompiledAgent } from './agent-lib.js';
import { AgentApi } from '../src/client/index.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const N = Number(process.argv[2] ?? 20);
const run = Math.random().toString(36).slice(2, 7);
const nodeId = `ag-benchd-${run}`;
const image = `ag-bench/sleeper:${run}`;
const exec = promisify(execFile);

docker(['tag', 'osmo-test/sleeper:1', image]);
const agent = await startCompiledAgent(nodeId);
const api = new AgentApi({ base: agent.url });
const viaAgent: number[] = [];
const viaCli: number[] = [];
const cliNames: string[] = [];
try {
  // one of each untimed: warm the engine's and the agent's caches
  await api.deploy({ image, name: `${nodeId}-warm` });
  await exec('docker', ['run', '-d', '--name', `${nodeId}-cli-warm`, image]);
  cliNames.push(`${nodeId}-cli-warm`);
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    // a refusal throws (ApiError, the agent's text); the answer is read with the route's schema
    await api.deploy({ image, name: `${nodeId}-a${i}` });
    viaAgent.push(performance.now() - t);
    t = performance.now();
    await exec('docker', ['run', '-d', '--name', `${nodeId}-cli${i}`, '--label', `io.osmo.bench=${nodeId}`, image]);
    viaCli.push(performance.now() - t);
    cliNames.push(`${nodeId}-cli${i}`);
  }
  const ma = median(viaAgent);
  const mc = median(viaCli);
  console.log(`n = ${N} each, interleaved, image ${image} (local)`);
  console.log('| path | median ms | min ms | max ms |');
  console.log('|---|---|---|---|');
  console.log(
    `| PUT /api/v1/deploy (compiled agent) | ${ma.toFixed(1)} | ${Math.min(...viaAgent).toFixed(1)} | ${Math.max(...viaAgent).toFixed(1)} |`,
  );
  console.log(`| docker run -d | ${mc.toFixed(1)} | ${Math.min(...viaCli).toFixed(1)} | ${Math.max(...viaCli).toFixed(1)} |`);
  console.log(`ratio of medians agent / docker run: ${(ma / mc).toFixed(3)} (target <= 1.10: ${ma / mc <= 1.1 ? 'met' : 'MISSED'})`);
} finally {
  await agent.stop();
  const ids = docker(['ps', '-aq', '--filter', `label=io.osmo.node=${nodeId}`])
    .split('\n')
    .filter(Boolean);
  if (ids.length) docker(['rm', '-f', ...ids]);
  docker(['rm', '-f', ...cliNames]);
  docker(['rmi', image]);
}
