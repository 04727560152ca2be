// Footprint of the compiled `osmo agent`: cpu, mem, net and disk monitors at 1 s on host AND
// guest, 10 running containers, over 60 s: RSS and CPU % of one core from /proc/<pid>,
// measured side by side in the same run with Debian's prometheus-node-exporter scraped once a
// second. Targets (issue 14): RSS <= 60 MB at the peak, CPU <= 0.5 % of a core. The agent runs
// with the node flags of its launcher, bin/osmo-agent.js, unless AGENT_NODE_FLAGS says otherwise. Prints the sample rate each monitor
// achieved beside the configured one (a footprint of half the work would be no footprint),
// and the peak RSS of the whole run (VmHWM: start-up and warm-up included) beside the window's.
//   DOCKER_HOST=unix:///tmp/osmo-docker.sock [WARMUP_S=5] [AGENT_GUEST_STATS=engine] node --import tsx bench/agent-footprint.ts [seconds]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextSwitches, docker, freePort, launcherFlags, peakRss, procUsage, sleep, startCompiledAgent, waitHttp } from './agent-lib.js';
import { AgentApi, type MonitorOption } from '../src/client/index.js';

const SECONDS = Number(process.argv[2] ?? 60);
// WARMUP_S: seconds between starting the monitors and the window (default 5). V8's memory
// reducer runs three full collections some 10-20 s after start-up; a longer warm-up leaves
// them out and measures the steady state.
const WARMUP_S = Number(process.env.WARMUP_S ?? 5);
const CONTAINERS = 10;
const METRICS = ['cpu', 'mem', 'net', 'disk'] as const;
const PERIOD_S = 1;
const run = Math.random().toString(36).slice(2, 7);
const nodeId = `ag-bench-${run}`;
const image = `ag-bench/sleeper:${run}`;

docker(['tag', 'osmo-test/sleeper:1', image]);
const events = join(mkdtempSync(join(tmpdir(), 'osmo-bench-ev-')), 'events.jsonl');
// AGENT_GUEST_STATS=engine: guest stats from the engine's streams even where cgroup files are reachable
const guestStats = process.env.AGENT_GUEST_STATS ?? 'auto'; // the figures in docs/benchmarks.md were taken with the cgroup files (the default is engine)
const agent = await startCompiledAgent(nodeId, ['--events-file', events, '--guest-stats', guestStats]);
const api = new AgentApi({ base: agent.url });
const nePort = await freePort();
const ne = spawn('/usr/bin/prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
let scraping = true;
try {
  await waitHttp(`http://127.0.0.1:${nePort}/metrics`);
  for (let i = 0; i < CONTAINERS; i++) {
    await api.deploy({ image, name: `${nodeId}-c${i}` });
  }
  for (const source of ['host', 'guest'] as const) {
    for (const m of METRICS as readonly MonitorOption[]) await api.monitor(m, { time: PERIOD_S, source });
  }
  // node_exporter is scraped once a second, as Prometheus would
  void (async () => {
    while (scraping) {
      await fetch(`http://127.0.0.1:${nePort}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      await sleep(1000);
    }
  })();
  await sleep(WARMUP_S * 1000); // warm-up: JIT, first guest stats
  const pids = { agent: agent.child.pid!, ne: ne.pid! };
  const start = { agent: procUsage(pids.agent), ne: procUsage(pids.ne), cs: contextSwitches(pids.agent), t: Date.now() };
  const rss = { agent: [] as number[], ne: [] as number[] };
  for (let s = 0; s < SECONDS; s++) {
    await sleep(1000);
    rss.agent.push(procUsage(pids.agent).rssBytes);
    rss.ne.push(procUsage(pids.ne).rssBytes);
  }
  const end = { agent: procUsage(pids.agent), ne: procUsage(pids.ne), cs: contextSwitches(pids.agent), t: Date.now() };
  const wall = (end.t - start.t) / 1000;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = (name: string, k: 'agent' | 'ne') => {
    const cpu = ((end[k].cpuSeconds - start[k].cpuSeconds) / wall) * 100;
    return { name, rssAvg: avg(rss[k]), rssMax: Math.max(...rss[k]), rssPeak: peakRss(pids[k]), cpu };
  };
  const a = row('osmo agent (compiled)', 'agent');
  const n = row('prometheus-node-exporter', 'ne');
  const lines = (await import('node:fs')).readFileSync(events, 'utf8').split('\n').filter(Boolean);
  const samples = lines
    .map((l) => JSON.parse(l) as { type: string; ts: number; source?: string; metric?: string })
    .filter((e) => e.type === 'sample');
  const inWindow = samples.filter((e) => e.ts >= start.t && e.ts < end.t);
  console.log(
    `agent node flags: "${process.env.AGENT_NODE_FLAGS ?? launcherFlags()}"; --guest-stats ${guestStats}; load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `window ${wall.toFixed(1)} s after a ${WARMUP_S} s warm-up, ${CONTAINERS} containers, 8 monitors at ${PERIOD_S} s; ${samples.length} sample events written in total, ${inWindow.length} in the window`,
  );
  console.log('| monitor | targets | configured samples/s | achieved samples/s (window) | achieved / configured |');
  console.log('|---|---|---|---|---|');
  let configuredAll = 0;
  for (const source of ['host', 'guest'] as const) {
    for (const m of METRICS) {
      const targets = source === 'host' ? 1 : CONTAINERS;
      const configured = targets / PERIOD_S;
      configuredAll += configured;
      const achieved = inWindow.filter((e) => e.source === source && e.metric === m).length / wall;
      console.log(
        `| ${m}/${source} | ${targets} | ${configured.toFixed(1)} | ${achieved.toFixed(2)} | ${(achieved / configured).toFixed(2)} |`,
      );
    }
  }
  console.log(
    `| all | | ${configuredAll.toFixed(1)} | ${(inWindow.length / wall).toFixed(2)} | ${(inWindow.length / wall / configuredAll).toFixed(2)} |`,
  );
  console.log('| process | RSS avg MB (window) | RSS max MB (window) | RSS peak MB (whole run, VmHWM) | CPU % of one core |');
  console.log('|---|---|---|---|---|');
  for (const r of [a, n]) console.log(`| ${r.name} | ${mb(r.rssAvg)} | ${mb(r.rssMax)} | ${mb(r.rssPeak)} | ${r.cpu.toFixed(2)} |`);
  console.log(`ratio agent / node_exporter: RSS ${(a.rssAvg / n.rssAvg).toFixed(2)}x, CPU ${(a.cpu / Math.max(n.cpu, 0.01)).toFixed(2)}x`);
  console.log(
    `agent context switches/s (wakeups): main thread ${((end.cs.main - start.cs.main) / wall).toFixed(1)}, all threads ${((end.cs.all - start.cs.all) / wall).toFixed(1)}`,
  );
  console.log(
    `targets (issue 14): RSS <= 60 MB (whole-run peak) ${a.rssPeak <= 60 * 1024 * 1024 ? 'met' : 'MISSED'}, CPU <= 0.5 % ${a.cpu <= 0.5 ? 'met' : 'MISSED'}`,
  );
} finally {
  scraping = false;
  ne.kill('SIGTERM');
  await agent.stop();
  const ids = docker(['ps', '-aq', '--filter', `label=io.osmo.node=${nodeId}`])
    .split('\n')
    .filter(Boolean);
  if (ids.length) docker(['rm', '-f', ...ids]);
  docker(['rmi', image]);
}
