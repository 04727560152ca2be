// A private nats-server for tests: one JetStream server, or a three-node JetStream cluster
// (routes between them, each its own store dir), on free ports of 127.0.0.1 in a temporary
// directory. stop() kills every server and removes the directory; a test file's exit kills
// what is left, so a failing test leaves no server behind. Single servers may be killed and
// started again on the same ports and store (the failover tests do).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from './proc.js';

export const NATS_SERVER = process.env.OSMO_NATS_SERVER ?? '/usr/sbin/nats-server';

export interface NatsNode {
  name: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  storeDir: string;
  /** the server's output so far (for failure messages) */
  output(): string;
  running(): boolean;
  /** SIGKILL: the way a machine is lost */
  kill(): Promise<void>;
  /** starts it again on the same ports and store; resolves when it is healthy */
  start(): Promise<void>;
}

export interface NatsCluster {
  /** nats://127.0.0.1:P,nats://127.0.0.1:Q,… — what --bus takes */
  url: string;
  nodes: NatsNode[];
  dir: string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

async function healthy(monitorPort: number, timeoutMs: number, out: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      // 2.9's healthz includes JetStream: 200 once the server (and its cluster's meta leader) is ready
      const r = await fetch(`http://127.0.0.1:${monitorPort}/healthz`);
      if (r.ok) return;
      last = `${r.status} ${await r.text()}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-server (monitor :${monitorPort}) not healthy after ${timeoutMs} ms: ${last}\n${out().slice(-2000)}`);
}

/**
 * Starts `size` nats-server processes with JetStream (1: a single server; 3: a cluster in
 * which R3 streams survive one server lost). Resolves when every server is healthy.
 */
export async function startNats(
  size: 1 | 3 = 1,
  opts: { timeoutMs?: number; /** more nats-server flags, e.g. --user/--pass */ args?: string[] } = {},
): Promise<NatsCluster> {
  const dir = tempDir('osmo-nats-');
  const spec: Array<{ name: string; port: number; clusterPort: number; monitorPort: number }> = [];
  for (let i = 0; i < size; i++)
    spec.push({ name: `n${i + 1}`, port: await freePort(), clusterPort: await freePort(), monitorPort: await freePort() });
  const nodes: NatsNode[] = spec.map((s) => {
    const storeDir = join(dir, s.name);
    mkdirSync(storeDir, { recursive: true });
    let child: ChildProcess | undefined;
    let out = '';
    let exited: Promise<void> = Promise.resolve();
    const args = [
      '-js',
      '-sd',
      storeDir,
      '-a',
      '127.0.0.1',
      '-p',
      String(s.port),
      '-m',
      String(s.monitorPort),
      '-n',
      s.name,
      ...(opts.args ?? []),
    ];
    if (size > 1) {
      const routes = spec.filter((o) => o !== s).map((o) => `nats://127.0.0.1:${o.clusterPort}`);
      args.push('--cluster_name', 'osmo-test', '--cluster', `nats://127.0.0.1:${s.clusterPort}`, '--routes', routes.join(','));
    }
    const node: NatsNode = {
      ...s,
      storeDir,
      output: () => out,
      running: () => !!child && child.exitCode === null && child.signalCode === null,
      async kill() {
        if (!node.running()) return;
        child!.kill('SIGKILL');
        await exited;
      },
      async start() {
        if (node.running()) return;
        const c = spawn(NATS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        child = c;
        live.add(c);
        c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
        exited = new Promise((r) =>
          c.once('exit', () => {
            live.delete(c);
            r();
          }),
        );
        // a cluster's servers are healthy only once they see each other: the caller waits for all
        if (size === 1) await healthy(s.monitorPort, opts.timeoutMs ?? 20_000, node.output);
      },
    };
    return node;
  });
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const n of nodes) await n.start();
    if (size > 1) await Promise.all(nodes.map((n) => healthy(n.monitorPort, opts.timeoutMs ?? 30_000, n.output)));
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(','), nodes, dir, stop };
}

/** Waits until a restarted server of a cluster is healthy again (JetStream caught up). */
export function natsHealthy(n: NatsNode, timeoutMs = 30_000): Promise<void> {
  return healthy(n.monitorPort, timeoutMs, n.output);
}
