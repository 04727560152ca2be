// The OpenAPI fuzz run, as one process meant to run inside a network namespace with only
// loopback (test/e2e/reliability/openapi-fuzz.test.ts puts it there): a private, empty
// dockerd (so that a fuzzed image name reaches no registry: pulls fail at once), a real core,
// a real agent registered with it, and one Stoplight Prism validation proxy in front of each.
// For every operation of each server's own /openapi.json it sends generated valid requests
// and mutated negative ones (requests.ts) through Prism and checks every answer (check.ts).
// Prints one JSON report on stdout; exits 1 when anything failed.
//   OSMO_FUZZ_SEED (default 15), OSMO_FUZZ_VALID (valid requests per operation, default 3),
//   OSMO_FUZZ_NEGATIVE (negative ones, default 5), OSMO_FUZZ_ONLY (a substring of "METHOD /path").
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, spawnCore } from '../cluster.js';
import { freePort, ROOT, tempDir, waitForHttp } from '../proc.js';
import { check, type Failure, type Target } from './check.js';
import { operationsOf, requestsFor, type FuzzRequest } from './requests.js';

const seed = Number(process.env.OSMO_FUZZ_SEED ?? 15);
const valid = Number(process.env.OSMO_FUZZ_VALID ?? 3);
const negative = Number(process.env.OSMO_FUZZ_NEGATIVE ?? 5);
const only = process.env.OSMO_FUZZ_ONLY;

/**
 * Operations not fuzzed, each with its reason: rotating the join token takes the fuzzer's
 * own credential away (and the agent's) halfway through the run.
 */
const SKIP: Record<string, string> = {
  'POST /api/v1/join-token/rotate': 'would revoke the credential the rest of the run uses',
};

const children: ChildProcess[] = [];
const dirs: string[] = [];

function log(line: string) {
  process.stderr.write(`fuzz: ${line}\n`);
}

async function startDockerd(): Promise<string> {
  const base = tempDir('osmo-fuzz-docker-');
  dirs.push(base);
  const sock = join(base, 'docker.sock');
  const proc = spawn(
    'dockerd',
    [
      '--host',
      `unix://${sock}`,
      '--data-root',
      join(base, 'data'),
      '--exec-root',
      join(base, 'exec'),
      '--pidfile',
      join(base, 'docker.pid'),
      // no bridge, no NAT rules: nothing is ever run, and the namespace has no way out anyway
      '--bridge',
      'none',
      '--iptables=false',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(proc);
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-3000)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = spawn('docker', ['-H', `unix://${sock}`, 'version', '--format', '{{.Server.Version}}'], { stdio: 'ignore' });
      c.on('exit', (code) => resolve(code === 0));
    });
    if (ok) return `unix://${sock}`;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`dockerd did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startPrism(docUrl: string, upstream: string, name: string): Promise<string> {
  const doc = (await (await fetch(docUrl)).json()) as { security?: unknown; paths: Record<string, Record<string, { security?: unknown }>> };
  // Prism judges the answers only: who may call what is the server's to answer (and its 401 is
  // an answer Prism then checks), so its own security gate is taken out of its copy
  delete doc.security;
  for (const item of Object.values(doc.paths)) for (const op of Object.values(item)) delete op.security;
  const dir = tempDir(`osmo-fuzz-${name}-`);
  dirs.push(dir);
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const port = await freePort();
  const proc = spawn(
    join(ROOT, 'node_modules/.bin/prism'),
    ['proxy', file, upstream, '--errors', '--validate-request', 'false', '-p', String(port), '-h', '127.0.0.1', '-v', 'error'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(proc);
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-3000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, 90_000);
  } catch (e) {
    throw new Error(`prism for ${name} did not start: ${(e as Error).message}\n${err}`, { cause: e });
  }
  return url;
}

async function fuzz(t: Target, docUrl: string, token: string): Promise<{ operations: number; requests: number; failures: Failure[] }> {
  const doc = (await (await fetch(docUrl)).json()) as Parameters<typeof operationsOf>[0];
  const failures: Failure[] = [];
  let requests = 0;
  let operations = 0;
  for (const [i, op] of operationsOf(doc).entries()) {
    const name = `${op.method} ${op.path}`;
    if (SKIP[name] || (only && !name.includes(only))) continue;
    operations++;
    const batch: FuzzRequest[] = requestsFor(op, { seed: seed + i, valid, negative, token });
    for (const r of batch) {
      requests++;
      const f = await check(t, r);
      if (f) failures.push(f);
    }
  }
  // still alive and answering after all of it
  const h = await fetch(`${t.direct}/healthz`).catch((e: Error) => ({ status: 0, statusText: e.message }));
  if (h.status !== 200)
    failures.push({
      target: t.name,
      op: 'GET /healthz',
      kind: 'after the run',
      request: 'GET /healthz',
      status: h.status,
      problem: 'not healthy after the fuzz run',
    });
  return { operations, requests, failures };
}

async function main(): Promise<number> {
  const started = Date.now();
  const docker = await startDockerd();
  process.env.DOCKER_HOST = docker;
  log(`dockerd ${docker}`);
  const core = await spawnCore(tempDir('osmo-fuzz-core-'));
  children.push(core.proc.child);
  dirs.push(core.dataDir);
  const agent = await spawnAgent(core, 'fuzz-agent', 'edge', 'fuzz');
  children.push(agent.proc.child);
  dirs.push(agent.dataDir);
  log(`core ${core.url}, agent ${agent.url}`);
  const [corePrism, agentPrism] = await Promise.all([
    startPrism(`${core.url}/openapi.json`, core.url, 'core'),
    startPrism(`${agent.url}/openapi.json`, agent.url, 'agent'),
  ]);
  log(`prism ${corePrism} -> core, ${agentPrism} -> agent`);
  const results = {
    core: await fuzz({ name: 'core', direct: core.url, prism: corePrism }, `${core.url}/openapi.json`, core.token),
    agent: await fuzz(
      {
        name: 'agent',
        direct: agent.url,
        prism: agentPrism,
        // the namespace has no network: a pull can only fail as "registry unreachable", which
        // is the agent's documented 503 for it (a registry that answered would give 404)
        expected5xx: (r, status, body) =>
          r.op.path === '/api/v1/deploy' && r.method === 'PUT' && status === 503 && body.includes('registry unreachable or pull failed'),
      },
      `${agent.url}/openapi.json`,
      core.token,
    ),
  };
  const failures = [...results.core.failures, ...results.agent.failures];
  const report = {
    seed,
    valid,
    negative,
    seconds: Math.round((Date.now() - started) / 1000),
    core: { operations: results.core.operations, requests: results.core.requests, failures: results.core.failures.length },
    agent: { operations: results.agent.operations, requests: results.agent.requests, failures: results.agent.failures.length },
    failures,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  // the processes' own words about any 5xx (the core writes a trace line for each)
  if (failures.length)
    log(`core output (tail):\n${core.proc.output().slice(-4000)}\nagent output (tail):\n${agent.proc.output().slice(-4000)}`);
  await agent.proc.stop();
  await core.proc.stop();
  return failures.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`run failed: ${(e as Error).stack ?? String(e)}`);
} finally {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // a dockerd mount still held: the namespace's removal takes it with it
    }
  }
}
process.exit(code);
