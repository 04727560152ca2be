// An idle agent's RSS second by second from its start, and its start-up peak (VmHWM): where
// the whole-run peak of bench/agent-footprint.ts comes from. Baseline in the same invocation:
// a bare Node process with the same flags doing nothing (the binary's own floor).
// Usage: node --import tsx bench/agent-startup-rss.ts [seconds=25]
//        (AGENT_NODE_FLAGS: the node flags of both; default those of bin/osmo-agent.js;
//        runs the compiled agent: `npx tsc -p tsconfig.json` first)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { launcherFlags, startCompiledAgent } from './agent-lib.js';

const SECONDS = Number(process.argv[2] ?? 25);
const flags = (process.env.AGENT_NODE_FLAGS ?? launcherFlags()).split(' ').filter(Boolean);

const mb = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
};

async function trace(pid: number): Promise<{ rss: number[]; hwm: number }> {
  const rss: number[] = [];
  for (let t = 0; t < SECONDS; t++) {
    rss.push(mb(pid, 'VmRSS'));
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { rss, hwm: mb(pid, 'VmHWM') };
}

const bare = spawn(process.execPath, [...flags, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const bareTrace = await trace(bare.pid!);
bare.kill('SIGKILL');

const agent = await startCompiledAgent(`ag-rss-${process.pid}`, ['--guest-stats', 'auto']);
const agentTrace = await trace(agent.child.pid!);
await agent.stop();

const f = (x: number) => x.toFixed(1);
console.log(`node flags: "${flags.join(' ')}"; ${SECONDS} s each, RSS read once a second`);
console.log('| process | RSS at 1 s | RSS at the end | start-up peak (VmHWM) | RSS each second (MB) |');
console.log('|---|---|---|---|---|');
for (const [name, t] of [
  ['osmo agent, idle (compiled)', agentTrace],
  ['bare node, same flags (baseline)', bareTrace],
] as const) {
  console.log(`| ${name} | ${f(t.rss[0]!)} | ${f(t.rss.at(-1)!)} | ${f(t.hwm)} | ${t.rss.map(f).join(' ')} |`);
}
console.log(
  `agent above bare node: ${f(agentTrace.hwm - bareTrace.hwm)} MB at the peak, ${f(agentTrace.rss.at(-1)! - bareTrace.rss.at(-1)!)} MB at the end`,
);
process.exit(0);
