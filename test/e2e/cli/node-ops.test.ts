// cordon, migrate and drain from the CLI against a real core and real agents (process
// driver: supervised child processes, no container engine needed). First one node, where
// a migration has nowhere to go (the core's 409 as one line, no stack), then two.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoreClient } from '../../../src/client/index.js';
import { eventually, spawnOsmo } from '../../../testing/proc.js';
import { spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';

const RUN = Math.random().toString(36).slice(2, 7);
const A = `cli-ops-a-${RUN}`;
const B = `cli-ops-b-${RUN}`;
const MEL = `cli-ops-${RUN}`;

let core: CoreProc;
let api: CoreClient;
const agents: AgentProc[] = [];

before(async () => {
  core = await spawnCore();
  api = new CoreClient({ base: core.url, token: core.token });
  agents.push(await spawnAgent(core, A, 'edge', 'd1', ['--driver', 'process']));
  await eventually(async () => (await api.nodes()).some((n) => n.id === A && n.status === 'ready'), 30_000, `${A} ready`);
});
after(async () => {
  await api?.removeMel(MEL).catch(() => undefined);
  for (const a of agents) await a.proc.stop();
  await core?.proc.stop();
});

async function osmo(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnOsmo([...args, '--core', core.url, '--token', core.token]);
  const t = setTimeout(() => void p.stop('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
  clearTimeout(t);
  return { code, out: p.output() };
}

async function runningOn(): Promise<string[]> {
  return (await api.instances({ mel: MEL })).filter((i) => i.desired === 'run' && i.state === 'running').map((i) => i.node ?? '-');
}

test('one node: deploy, cordon/uncordon, and a migrate with nowhere to go is one line and exit 1', async () => {
  const d = await osmo([
    'deploy',
    '--name',
    MEL,
    '--image',
    'osmo-test/sleeper:1',
    '--command',
    'sleep',
    '--command',
    '600',
    '--cpus',
    '0.5',
    '--timeout',
    '60',
    '--json',
  ]);
  assert.equal(d.code, 0, d.out);
  assert.deepEqual(await runningOn(), [A]);

  const cordon = await osmo(['cordon', A]);
  assert.equal(cordon.code, 0, cordon.out);
  assert.equal(cordon.out.trim(), `${A}: ready (cordoned)`);
  assert.equal((await api.node(A)).schedulable, false);
  const uncordon = await osmo(['uncordon', A]);
  assert.equal(uncordon.code, 0, uncordon.out);
  assert.equal(uncordon.out.trim(), `${A}: ready`);
  assert.equal((await api.node(A)).schedulable, true);

  const [inst] = await api.instances({ mel: MEL });
  const m = await osmo(['migrate', inst!.name]);
  assert.equal(m.code, 1, m.out);
  const lines = m.out.trimEnd().split('\n');
  assert.equal(lines.length, 1, m.out);
  assert.match(lines[0]!, new RegExp(`^osmo: POST /api/v1/instances/${inst!.name}/migrate: 409 \\S`));
  assert.doesNotMatch(m.out, /^\s+at /m);
  assert.deepEqual(await runningOn(), [A], 'nothing moved');
});

test('two nodes: migrate --node moves the instance; drain empties a node; undrain ends it', async () => {
  agents.push(await spawnAgent(core, B, 'edge', 'd1', ['--driver', 'process']));
  await eventually(async () => (await api.nodes()).filter((n) => n.status === 'ready').length === 2, 30_000, 'two ready nodes');
  const [inst] = await api.instances({ mel: MEL });

  const m = await osmo(['migrate', inst!.name, '--node', B]);
  assert.equal(m.code, 0, m.out);
  assert.match(m.out, new RegExp(`^${inst!.id} ${A} -> ${B} as \\S+ in \\d+ ms`));
  await eventually(async () => (await runningOn()).join() === B, 30_000, `the instance runs on ${B} only`);

  const drain = await osmo(['drain', B]);
  assert.equal(drain.code, 0, drain.out);
  assert.match(drain.out.trim(), new RegExp(`^${B}: draining`));
  await eventually(
    async () => (await runningOn()).join() === A && (await api.instances({ node: B })).length === 0,
    60_000,
    `${B} drained, the replacement on ${A}`,
  );

  const undrain = await osmo(['undrain', B]);
  assert.equal(undrain.code, 0, undrain.out);
  assert.equal((await api.node(B)).status, 'ready');
  assert.equal((await api.node(B)).draining, false);
});
