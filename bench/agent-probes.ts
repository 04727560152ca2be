// Agent cost of 100 OCCI collectors at 1 s (issue 10). cpu/mem/net/disk collectors of one
// node share the agent's one monitor per (metric, source), so what grows with collectors is
// the probes (http-probe, tcp-reachable): this puts 100 probes at 1 s (half HTTP GETs, half
// TCP dials of a local server this bench runs) on the compiled `osmo agent` (no core, events
// to a file) and reads its CPU time and RSS from /proc over a window, beside the same agent
// idle in the window before (the baseline, same run).
//   flock /tmp/osmo-heavy.lock node --import tsx bench/agent-probes.ts [seconds] [probes]
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { procUsage, sleep, startCompiledAgent } from './agent-lib.js';
import { AgentApi } from '../src/client/index.js';

const SECONDS = Number(process.argv[2] ?? 30);
const PROBES = Number(process.argv[3] ?? 100);

const server = createServer((_req, res) => res.end('ok'));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as { port: number }).port;
const events = join(mkdtempSync(join(tmpdir(), 'osmo-bench-probes-')), 'events.jsonl');
const agent = await startCompiledAgent(`bench-probes-${process.pid}`, ['--events-file', events]);
const api = new AgentApi({ base: agent.url });
const pid = agent.child.pid!;

const window = async () => {
  const a = procUsage(pid);
  const t = performance.now();
  await sleep(SECONDS * 1000);
  const b = procUsage(pid);
  return { cpuPct: ((b.cpuSeconds - a.cpuSeconds) / ((performance.now() - t) / 1000)) * 100, rssMb: b.rssBytes / 2 ** 20 };
};

try {
  const load0 = loadavg()[0]!;
  await sleep(3000); // start-up settles
  const idle = await window();
  for (let i = 0; i < PROBES; i++) {
    await api.probe(
      `bench-${i}`,
      i % 2
        ? { kind: 'tcp', host: '127.0.0.1', port, timeoutMs: 500, time: 1 }
        : { kind: 'http', host: '127.0.0.1', port, path: '/', timeoutMs: 2000, time: 1 },
    );
  }
  await sleep(3000);
  const before = (await api.probes()).reduce((n, p) => n + p.samples, 0);
  const busy = await window();
  const after = (await api.probes()).reduce((n, p) => n + p.samples, 0);
  console.log(`load average at start ${load0.toFixed(1)}; window ${SECONDS} s; ${PROBES} probes at 1 s`);
  console.log('| agent | CPU % of one core | RSS MB | probe runs/s |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| idle (baseline, same run) | ${idle.cpuPct.toFixed(2)} | ${idle.rssMb.toFixed(1)} | 0 |`);
  console.log(
    `| ${PROBES} probes at 1 s | ${busy.cpuPct.toFixed(2)} | ${busy.rssMb.toFixed(1)} | ${((after - before) / SECONDS).toFixed(1)} |`,
  );
} finally {
  await agent.stop();
  server.close();
}
