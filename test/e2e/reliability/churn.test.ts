// kill -9 of agents and of the core at random moments during a scripted churn of 200
// operations (create/replace, scale, migrate, delete), as a client that retries would send
// them. At the end the actual state must equal the desired state: every MEL with exactly its
// replicas running, each in one container, no container of a deleted MEL or of an instance the
// core does not know, nothing doubled. Seeded: OSMO_CHURN_SEED=<n> replays a run.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mulberry32 } from '../../../src/planner/rng.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { api, cleanupNodes, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';

const SEED = Number(process.env['OSMO_CHURN_SEED'] ?? 20261130);
const OPS = 200;
const KILLS = 8; // half of them the core, half an agent
const IDS = ['rel-ch-a', 'rel-ch-b'];
const NAMES = Array.from({ length: 6 }, (_, k) => `rel-ch-m${k}`);
const rnd = mulberry32(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

let core: CoreProc;
const agents: AgentProc[] = [];
/** what the test asked for last and the core acknowledged: MEL name -> replicas */
const desired = new Map<string, number>();

/** One request as a retrying client sends it: connection errors (core down) are retried. */
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await api(core, method, path, body);
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${method} ${path}: no answer within 60 s`, { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function killCore(): Promise<void> {
  await core.proc.stop('SIGKILL');
  core = await spawnCore(core.dataDir, core.port);
}

async function killAgent(k: number): Promise<void> {
  const a = agents[k]!;
  await a.proc.stop('SIGKILL');
  agents[k] = await spawnAgent(core, a.id, 'edge', 'site', [], a);
}

async function operate(): Promise<string> {
  const name = pick(NAMES);
  const roll = rnd();
  if (roll < 0.35 || !desired.has(name)) {
    const replicas = Math.floor(rnd() * 4);
    const r = await call('PUT', `/api/v1/mels/${name}`, { image: 'osmo-test/sleeper:1', replicas });
    assert.ok(r.status === 200 || r.status === 201, `PUT ${name}: ${r.status} ${JSON.stringify(r.json)}`);
    desired.set(name, replicas);
    return `put ${name} ${replicas}`;
  }
  if (roll < 0.65) {
    const replicas = Math.floor(rnd() * 4);
    const r = await call('POST', `/api/v1/mels/${name}/scale`, { replicas });
    assert.equal(r.status, 200, `scale ${name}: ${JSON.stringify(r.json)}`);
    desired.set(name, replicas);
    return `scale ${name} ${replicas}`;
  }
  if (roll < 0.8) {
    const running = (await call('GET', `/api/v1/instances?mel=${name}`)).json.instances as Array<{
      id: string;
      state: string;
      node: string;
    }>;
    const one = running.filter((i) => i.state === 'running');
    if (one.length === 0) return `migrate ${name}: nothing running`;
    const i = pick(one);
    const to = IDS.find((id) => id !== i.node)!;
    const r = await call('POST', `/api/v1/instances/${i.id}/migrate`, { node: to });
    // 4xx is a fair answer here (the instance moved on, the target is down or full): the
    // point is that a migration in flight when something dies leaves no trace at the end
    assert.ok(r.status < 500, `migrate: ${r.status} ${JSON.stringify(r.json)}`);
    return `migrate ${i.id} -> ${to}: ${r.status}`;
  }
  const r = await call('DELETE', `/api/v1/mels/${name}`);
  assert.ok(r.status === 200 || r.status === 404, `delete ${name}: ${r.status}`);
  desired.delete(name);
  return `delete ${name}`;
}

/** The containers our two nodes have in the engine: name, MEL, instance id, state. */
function ourContainers(): Array<{ name: string; mel: string; instance: string; state: string }> {
  const out: Array<{ name: string; mel: string; instance: string; state: string }> = [];
  for (const id of IDS) {
    const lines = execFileSync(
      'docker',
      [
        'ps',
        '-a',
        '--filter',
        `label=io.osmo.node=${id}`,
        '--format',
        '{{.Names}}|{{.Label "io.osmo.mel"}}|{{.Label "io.osmo.instance"}}|{{.State}}',
      ],
      { encoding: 'utf8' },
    );
    for (const l of lines.split('\n').filter(Boolean)) {
      const [name, mel, instance, state] = l.split('|');
      out.push({ name: name!, mel: mel!, instance: instance!, state: state! });
    }
  }
  return out;
}

/** Actual vs desired; undefined when they agree, else what differs. */
async function difference(): Promise<string | undefined> {
  const mels = (await call('GET', '/api/v1/mels')).json.mels as Array<{ name: string; replicas: number }>;
  const ours = mels.filter((m) => m.name.startsWith('rel-ch-'));
  const byName = (a: [string, number], b: [string, number]) => a[0].localeCompare(b[0]);
  const want = [...desired.entries()].sort(byName);
  const have = ours.map((m) => [m.name, m.replicas] as [string, number]).sort(byName);
  if (JSON.stringify(want) !== JSON.stringify(have)) return `MELs ${JSON.stringify(have)} != desired ${JSON.stringify(want)}`;
  const containers = ourContainers();
  for (const [name, replicas] of desired) {
    const inst = await instances(core, name);
    const running = inst.filter((i) => i.state === 'running');
    if (inst.length !== replicas || running.length !== replicas)
      return `${name}: ${running.length}/${inst.length} instances running, want ${replicas}`;
    const c = containers.filter((x) => x.mel === name);
    if (c.length !== replicas || c.some((x) => x.state !== 'running'))
      return `${name}: containers ${JSON.stringify(c)}, want ${replicas} running`;
    if (!c.every((x) => running.some((i) => i.name === x.name && i.id === x.instance))) return `${name}: containers and instances differ`;
  }
  const stray = containers.filter((c) => !desired.has(c.mel));
  if (stray.length) return `containers of deleted MELs: ${stray.map((c) => c.name).join(', ')}`;
  const byInstance = new Set(containers.map((c) => c.instance));
  if (byInstance.size !== containers.length) return `an instance has two containers: ${JSON.stringify(containers)}`;
  return undefined;
}

describe('kill -9 of core and agents during a 200-operation churn', { timeout: 420_000 }, () => {
  before(async () => {
    cleanupNodes(IDS);
    core = await spawnCore(tempDir('osmo-rel-ch-core-'));
    for (const id of IDS) agents.push(await spawnAgent(core, id, 'edge', 'site'));
    await eventually(
      async () =>
        ((await api(core, 'GET', '/api/v1/nodes')).json.nodes as Array<{ status: string }>).filter((n) => n.status === 'ready').length ===
        2,
      30_000,
      'two nodes ready',
    );
  });
  after(async () => {
    for (const a of agents) await a.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes(IDS);
  });

  test(`actual state equals desired state at the end (seed ${SEED})`, async () => {
    // kill moments: op indexes, each fired a few ms into that operation so that some land
    // while a request, a reconcile pass or a deployment is in flight
    const kills = new Map<number, 'core' | 0 | 1>();
    while (kills.size < KILLS)
      kills.set(1 + Math.floor(rnd() * (OPS - 1)), kills.size % 2 === 0 ? 'core' : (((kills.size >> 1) % 2) as 0 | 1));
    const log: string[] = [];
    for (let n = 0; n < OPS; n++) {
      const victim = kills.get(n);
      const killing =
        victim === undefined
          ? undefined
          : new Promise<void>((r) => setTimeout(r, Math.floor(rnd() * 30))).then(() =>
              victim === 'core' ? killCore() : killAgent(victim),
            );
      // a restart that fails must fail the test here, not as an unhandled rejection meanwhile
      killing?.catch(() => undefined);
      log.push(`${n}: ${await operate()}${victim !== undefined ? ` [kill -9 ${victim === 'core' ? 'core' : IDS[victim]}]` : ''}`);
      await killing;
    }
    let last: string | undefined;
    try {
      await eventually(
        async () => {
          last = await difference();
          return last === undefined;
        },
        150_000,
        'actual state equals desired state',
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${last}\nlast operations:\n${log.slice(-20).join('\n')}`, { cause: e });
    }
    assert.equal(await difference(), undefined);
  });
});
