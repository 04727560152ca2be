// Real processes for the end-to-end tests: `osmo core` and `osmo agent` children on
// 127.0.0.1, a real Docker engine, and cleanup of exactly the containers they made.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentArgs } from './agent-args.js';
import { eventually, freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from './proc.js';

/** waitForHttp, with the process's own output in the error (why it did not come up) */
async function ready(proc: OsmoProcess, url: string): Promise<void> {
  try {
    await waitForHttp(url, 60_000);
  } catch (e) {
    await proc.stop('SIGKILL');
    throw new Error(
      `${(e as Error).message}; exit code ${proc.child.exitCode ?? proc.child.signalCode}; output:\n${proc.output().slice(-3000)}`,
      { cause: e },
    );
  }
}

export interface CoreProc {
  proc: OsmoProcess;
  url: string;
  port: number;
  dataDir: string;
  token: string;
}

/** `extra`: more flags, e.g. `['--store', 'postgres://…']` */
export async function spawnCore(dataDir = tempDir('osmo-co-core-'), port?: number, extra: string[] = []): Promise<CoreProc> {
  const p = port ?? (await freePort());
  const proc = spawnOsmo(['core', '--listen', `127.0.0.1:${p}`, '--data-dir', dataDir, ...extra]);
  const url = `http://127.0.0.1:${p}`;
  await ready(proc, `${url}/healthz`);
  return { proc, url, port: p, dataDir, token: readFileSync(join(dataDir, 'join-token'), 'utf8').trim() };
}

export interface AgentProc {
  id: string;
  proc: OsmoProcess;
  url: string;
  port: number;
  dataDir: string;
  args: string[];
}

export async function spawnAgent(
  core: CoreProc,
  id: string,
  layer: string,
  domain: string,
  extra: string[] = [],
  reuse?: AgentProc,
  /** e.g. `{ DOCKER_HOST }` of a private engine */
  env: NodeJS.ProcessEnv = {},
): Promise<AgentProc> {
  const port = reuse?.port ?? (await freePort());
  const dataDir = reuse?.dataDir ?? tempDir(`osmo-${id}-`);
  const args = agentArgs({ port, id, layer, domain, dataDir, core: core.url, token: core.token, extra });
  const proc = spawnOsmo(args, env);
  const url = `http://127.0.0.1:${port}`;
  await ready(proc, `${url}/healthz`);
  return { id, proc, url, port, dataDir, args };
}

export async function api(
  core: { url: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${core.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export interface Inst {
  id: string;
  mel: string;
  node: string | null;
  name: string;
  state: string;
  reason: string | null;
}

export async function instances(core: { url: string }, mel: string): Promise<Inst[]> {
  return (await api(core, 'GET', `/api/v1/instances?mel=${mel}`)).json.instances as Inst[];
}

/** Containers of a MEL that exist in the engine, running or not (name + node label). */
export function containersOf(mel: string): Array<{ name: string; node: string; running: boolean }> {
  const out = execFileSync(
    'docker',
    ['ps', '-a', '--filter', `label=io.osmo.mel=${mel}`, '--format', '{{.Names}}|{{.Label "io.osmo.node"}}|{{.State}}'],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, node, state] = l.split('|');
      return { name: name!, node: node!, running: state === 'running' };
    });
}

/** Removes the containers our test nodes made (never anyone else's). */
export function cleanupNodes(ids: string[]): void {
  for (const id of ids) {
    const list = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.osmo.node=${id}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    if (list.length) execFileSync('docker', ['rm', '-f', ...list], { stdio: 'ignore' });
  }
}

/** A counter from a core's own /metrics (e.g. osmo_reconcile_duration_seconds_count). */
export async function coreCounter(core: { url: string }, name: string): Promise<number> {
  const text = await (await fetch(`${core.url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text);
  if (!m) throw new Error(`the core exports no ${name}`);
  return Number(m[1]);
}

async function morePasses(core: { url: string }, name: string, n: number, timeoutMs: number): Promise<void> {
  const start = await coreCounter(core, name);
  await eventually(async () => (await coreCounter(core, name)) >= start + n, timeoutMs, `${n} more of ${name}`);
}

/**
 * Resolves once `n` more reconcile passes finished (n ≥ 2: at least one started after the
 * call). "Nothing changed" is only meaningful after the core has had its chance to change it.
 */
export async function reconcileRoundsPass(core: { url: string }, n = 2, timeoutMs = 30_000): Promise<void> {
  await morePasses(core, 'osmo_reconcile_duration_seconds_count', n, timeoutMs);
}

/** Resolves once `n` more rebalance rounds of the policy engine ran (same reasoning). */
export async function rebalanceRoundsPass(core: { url: string }, n = 2, timeoutMs = 60_000): Promise<void> {
  await morePasses(core, 'osmo_rebalance_rounds_total', n, timeoutMs);
}
