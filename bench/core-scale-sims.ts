// The simulated fleet of bench/core-scale.ts, in its own process: its event loop is busy
// with a thousand agents, so the latency the client measures (in the parent) is not
// inflated by it. Driven over IPC: 'record' / 'stop-record' bracket the heartbeat
// round-trips it keeps, 'report' answers with its counters, 'exit' stops the agents.
// Env: CORE_URL (or CORE_URLS=A,B: agent i is given URL i mod n first, then the others, as
// `--core` lists them, and settles on the leader; with AGENT_CORES=one it is given URL i mod n
// only, and stays there, its heartbeats forwarded when that core follows), TOKEN, AGENTS,
// PREFIX (of the node ids, default co-sim-). AGENT_BUS=nats://…: the agents are on the bus
// instead (register nats://<id>, heartbeat by NATS request, take commands on osmo.cmd.<id>),
// all over this process's one connection.
import { connectBus } from '../src/bus/nats/connect.js';
import { SimAgent, serveSimCommands } from '../testing/sim-agent.js';

const urls = (process.env.CORE_URLS ?? process.env.CORE_URL!).split(',');
const oneCore = process.env.AGENT_CORES === 'one';
/** agent i's --core: URL i mod n, then the others (one URL only with AGENT_CORES=one) */
const coresOf = (i: number): string =>
  oneCore ? urls[i % urls.length]! : [...urls.slice(i % urls.length), ...urls.slice(0, i % urls.length)].join(',');
const prefix = process.env.PREFIX ?? 'co-sim-';
const token = process.env.TOKEN!;
const AGENTS = Number(process.env.AGENTS ?? 1000);

const bus = process.env.AGENT_BUS ? await connectBus({ url: process.env.AGENT_BUS, name: 'osmo-bench-sims' }) : undefined;
const byId = new Map<string, SimAgent>();
if (bus) serveSimCommands(bus, byId);

const hb: number[] = [];
let recording = false;
const agents: SimAgent[] = [];
const t0 = performance.now();
for (let i = 0; i < AGENTS; i += 50) {
  const wave = Array.from(
    { length: Math.min(50, AGENTS - i) },
    (_, k) =>
      new SimAgent({
        id: `${prefix}${i + k}`,
        core: coresOf(i + k),
        token,
        cpus: 16,
        memoryBytes: 64 * 1024 ** 3,
        // as real agents: the interval the core asks for (it grows past --max-heartbeats a second)
        heartbeatMs: 'core',
        onHeartbeat: (ms) => recording && hb.push(ms),
        ...(bus ? { bus } : {}),
      }),
  );
  for (const a of wave) byId.set(a.o.id, a);
  // a registration the busy core did not answer in time is tried again, not fatal
  await Promise.all(
    wave.map(async (a) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await a.start();
        } catch (e) {
          if (attempt === 3) throw e;
          console.error(`sim ${a.o.id}: start failed (${String((e as Error).cause ?? e)}), trying again`);
          await a.stop().catch(() => undefined);
        }
      }
    }),
  );
  agents.push(...wave);
}
process.send!({ kind: 'ready', seconds: (performance.now() - t0) / 1000 });

process.on('message', (m: { kind: string }) => {
  if (m.kind === 'record') {
    hb.length = 0;
    recording = true;
  } else if (m.kind === 'stop-record') recording = false;
  else if (m.kind === 'report')
    process.send!({
      kind: 'report',
      hb: [...hb],
      deploys: agents.reduce((s, a) => s + a.deploys, 0),
      hbErrors: agents.reduce((s, a) => s + a.heartbeatErrors, 0),
      // which core each agent talks to now: where the fleet settled
      perCore: Object.fromEntries(urls.map((u) => [u, agents.filter((a) => a.core === u).length])),
      hbFailures: Object.fromEntries(
        agents.flatMap((a) => [...a.heartbeatFailures]).reduce((m, [k, n]) => m.set(k, (m.get(k) ?? 0) + n), new Map<string, number>()),
      ),
    });
  else if (m.kind === 'exit') void Promise.all(agents.map((a) => a.stop())).finally(() => process.exit(0));
});
