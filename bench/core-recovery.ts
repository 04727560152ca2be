// Recovery: kill -9 of an agent -> all its instances running again elsewhere, with real
// containers, default settings (heartbeat 500 ms, accrual detector). One core and three agents
// as child processes on one Docker engine. Baselines in the same run: the time the same
// cluster takes to bring up the same number of fresh instances (the floor any recovery
// pays for starting containers), so the ratio shows what detection + rescheduling adds; and
// the whole series twice, first with the connect probe on suspicion off, then on (the
// default), each on a fresh core and agents, so the probe's effect is read within one run.
// Also counted: false downs (a suspect or down of a node nobody killed), the detector's
// reason for each down, and the load average per round (a loaded machine is the point).
// Usage: node --import tsx bench/core-recovery.ts   (env ROUNDS=10, CORE_ARGS="--heartbeat
//        1000 ..." to try other detector settings, PROBE=on|off|both (default both); needs
//        DOCKER_HOST: eval "$(bash scripts/test-docker.sh | tail -1)")
import { loadavg } from 'node:os';
import { cleanupNodes, containersOf, spawnAgent, spawnCore, type AgentProc } from '../testing/cluster.js';
import { CoreClient } from '../src/client/index.js';
import { eventually } from '../testing/proc.js';

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const CORE_ARGS = (process.env.CORE_ARGS ?? '').split(' ').filter(Boolean);
const PROBE = process.env.PROBE ?? 'both';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PER_NODE = 2;
const IDS = ['co-rb-a', 'co-rb-b', 'co-rb-c'];

interface Series {
  label: string;
  results: Array<{ baseline: number; down: number; recovered: number; load: number }>;
  reasons: string[];
  falseDowns: string[];
}

async function series(label: string, probeFlag: string): Promise<Series> {
  console.log(`\n## ${label} (osmo core ${[probeFlag, ...CORE_ARGS].join(' ')})`);
  cleanupNodes(IDS);
  const core = await spawnCore(undefined, undefined, [probeFlag, ...CORE_ARGS]);
  const api = new CoreClient({ base: core.url, token: core.token });
  const instances = (mel: string) => api.instances({ mel });
  const agents: AgentProc[] = [];
  for (const id of IDS) agents.push(await spawnAgent(core, id, 'edge', 'd1'));
  await eventually(async () => (await api.nodes()).length === 3, 30_000, 'nodes');
  const out: Series = { label, results: [], reasons: [], falseDowns: [] };
  /** when each victim was legitimately silent: [node, from, to] */
  const silent: Array<[string, number, number]> = [];
  const tStart = Date.now();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const mel = `co-rb-m${r}`;
      const n = PER_NODE * 3;
      const t0 = Date.now();
      await api.createMel({ name: mel, image: 'osmo-test/sleeper:1', replicas: n, placement: { spread: true } });
      await eventually(async () => (await instances(mel)).filter((i) => i.state === 'running').length === n, 60_000, 'fresh start');
      const baseline = Date.now() - t0;
      const victim = agents[r % 3]!;
      const onVictim = (await instances(mel)).filter((i) => i.node === victim.id).length;
      const load = loadavg()[0]!;
      const t1 = Date.now();
      await victim.proc.stop('SIGKILL');
      let down = NaN;
      // polled every 50 ms (eventually() polls every 200 ms, which would blur the figure)
      for (;;) {
        if (Date.now() - t1 > 60_000) throw new Error('not recovered within 60 s');
        if (Number.isNaN(down) && (await api.node(victim.id)).status === 'down') down = Date.now() - t1;
        const l = (await instances(mel)).filter((i) => i.state === 'running');
        if (l.length === n && l.every((i) => i.node !== victim.id)) break;
        await sleep(50);
      }
      const recovered = Date.now() - t1;
      out.results.push({ baseline, down, recovered, load });
      console.log(
        `round ${r + 1}: ${onVictim} instance(s) on the killed node; fresh start of ${n}: ${baseline} ms; down after ${down} ms; all running elsewhere after ${recovered} ms; load average ${load.toFixed(1)}`,
      );
      const back = await spawnAgent(core, victim.id, 'edge', 'd1', [], victim);
      silent.push([victim.id, t1, Date.now()]);
      agents.splice(agents.indexOf(victim), 1, back);
      await eventually(async () => containersOf(mel).length === n, 60_000, 'originals removed after return');
      await api.removeMel(mel);
      await eventually(() => containersOf(mel).length === 0, 60_000, 'cleanup');
    }
    // every suspect or down outside a victim's own silence is a false one
    const evs = await api.eventHistory({ type: 'node', since: String(tStart), limit: 10_000 });
    for (const e of evs) {
      const d = e.data as { action?: string; status?: string; reason?: string };
      if (d.action !== 'status' || (d.status !== 'down' && d.status !== 'suspect')) continue;
      const legit = silent.some(([id, from, to]) => id === e.node && e.ts >= from && e.ts <= to);
      if (!legit) out.falseDowns.push(`${e.node} ${d.status} at +${e.ts - tStart} ms: ${d.reason}`);
      else if (d.status === 'down') out.reasons.push(d.reason ?? '');
    }
  } finally {
    for (const a of agents) await a.proc.stop('SIGKILL');
    await core.proc.stop('SIGKILL');
    cleanupNodes(IDS);
  }
  console.log('down reasons:\n  ' + out.reasons.join('\n  '));
  console.log(`false suspects/downs (nodes nobody killed): ${out.falseDowns.length}${out.falseDowns.map((f) => `\n  ${f}`).join('')}`);
  return out;
}

// nearest rank: with 10 rounds, p99 is the slowest round
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toLocaleString('en')} ms`;

function table(all: Series[]): void {
  const loads = all.flatMap((s) => s.results.map((x) => x.load));
  console.log(
    `\n| figure (${ROUNDS} rounds each, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} at the kills) | median | p99 (slowest) | baseline (same run): fresh start of ${PER_NODE * 3} | target |`,
  );
  console.log('|---|---|---|---|---|');
  for (const s of all) {
    const d = s.results.map((x) => x.down);
    const rec = s.results.map((x) => x.recovered);
    const b = med(s.results.map((x) => x.baseline));
    const downs = s.falseDowns.filter((f) => / down at /.test(f)).length;
    const met = med(rec) <= 3000 && q(rec, 0.99) <= 5000 && downs === 0;
    console.log(`| ${s.label}: kill -9 agent → node \`down\` | ${ms(med(d))} | ${ms(q(d, 0.99))} | | |`);
    console.log(
      `| ${s.label}: kill -9 agent → all its instances running elsewhere | **${ms(med(rec))}** | ${ms(q(rec, 0.99))} | ${ms(b)} (ratio ${(med(rec) / b).toFixed(2)}) | ≤ 3 s / ≤ 5 s — ${met ? 'met' : '**missed**'} |`,
    );
    console.log(
      `| ${s.label}: false \`down\` / false \`suspect\` (nodes not killed) | ${downs} / ${s.falseDowns.length - downs} | | | no false downs — ${downs === 0 ? 'met' : '**missed**'} |`,
    );
  }
}

async function main(): Promise<void> {
  const all: Series[] = [];
  if (PROBE !== 'on') all.push(await series('probe off', '--no-probe-on-suspect'));
  if (PROBE !== 'off') all.push(await series('probe on', '--probe-on-suspect'));
  table(all);
}

await main();
process.exit(0);
