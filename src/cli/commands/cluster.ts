// The cluster CLI: talks to the core's API (--core / OSMO_CORE, token from --token /
// OSMO_TOKEN / ./.osmo/join-token). Human tables by default, --json for scripts.
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import YAML from 'yaml';
import type { OsmoEvent } from '../../bus/events.js';
import type { Resources } from '../../model/index.js';

interface Common {
  core?: string;
  token?: string;
  json?: boolean;
}

type Json = Record<string, unknown>;

class CoreApi {
  readonly base: string;
  private readonly token: string | undefined;

  constructor(o: Common) {
    this.base = (o.core ?? process.env.OSMO_CORE ?? 'http://127.0.0.1:7700').replace(/\/+$/, '');
    this.token = o.token ?? process.env.OSMO_TOKEN ?? (existsSync('.osmo/join-token') ? readFileSync('.osmo/join-token', 'utf8').trim() : undefined);
  }

  headers(body: boolean): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) };
  }

  async call<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    let r: Response;
    try {
      r = await fetch(`${this.base}${path}`, { method, headers: this.headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new Error(`cannot reach the core at ${this.base} (${(e as Error).message}); start it with "osmo up" or pass --core URL`);
    }
    const text = await r.text();
    const json = text ? (JSON.parse(text) as Json) : {};
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${String(json.error ?? text)}`);
    return json as T;
  }

  /** Follows the SSE stream, calling `on` per event until `until` returns true or the stream ends. */
  async follow(query: string, on: (e: OsmoEvent) => boolean | void, signal?: AbortSignal): Promise<void> {
    const r = await fetch(`${this.base}/api/v1/events${query}`, { headers: this.headers(false), ...(signal ? { signal } : {}) });
    if (!r.ok || !r.body) throw new Error(`event stream: ${r.status} ${await r.text()}`);
    const dec = new TextDecoder();
    let buf = '';
    const reader = r.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!data) continue;
        // the stream's frames are the core's OsmoEvent union (its OpenAPI schema says so)
        const e: OsmoEvent = JSON.parse(data);
        if (on(e) === true) {
          await reader.cancel();
          return;
        }
      }
    }
  }
}

function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)}G`;

function withCommon(c: Command): Command {
  return c
    .option('--core <url>', 'core API base URL (default $OSMO_CORE or http://127.0.0.1:7700)')
    .option('--token <token>', 'API token (default $OSMO_TOKEN or ./.osmo/join-token)')
    .option('--json', 'machine-readable output');
}

function run<A extends unknown[]>(fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await fn(...a);
    } catch (e) {
      process.stderr.write(`osmo: ${(e as Error).message}\n`);
      process.exitCode = 1;
    }
  };
}

const print = (o: Common, json: unknown, human: () => string) => process.stdout.write(o.json ? `${JSON.stringify(json, null, 2)}\n` : human());

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function kv(flag: string, list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`${flag} wants KEY=VALUE, got "${s}"`);
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

/** "80" -> any host port; "8080:80" -> host 8080; "53/udp" keeps the protocol. */
export function parsePorts(list: string[] | undefined): Record<string, number | null> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, number | null> = {};
  for (const s of list) {
    const m = /^(?:(\d{1,5}):)?(\d{1,5})(\/(?:tcp|udp))?$/.exec(s);
    if (!m) throw new InvalidArgumentError(`--port wants CONTAINER or HOST:CONTAINER (optionally /udp), got "${s}"`);
    out[`${m[2]}${m[3] ?? '/tcp'}`] = m[1] ? Number(m[1]) : null;
  }
  return out;
}

function parseVolumes(list: string[] | undefined): Record<string, { bind: string; mode: 'rw' | 'ro' }> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, { bind: string; mode: 'rw' | 'ro' }> = {};
  for (const s of list) {
    const [src, bind, mode] = s.split(':');
    if (!src || !bind) throw new InvalidArgumentError(`--volume wants SOURCE:/path[:ro], got "${s}"`);
    out[src] = { bind, mode: mode === 'ro' ? 'ro' : 'rw' };
  }
  return out;
}

interface DeployFlags extends Common {
  file?: string;
  name?: string;
  image?: string;
  replicas?: string;
  command?: string[];
  port?: string[];
  env?: string[];
  volume?: string[];
  cpus?: string;
  memory?: string;
  layer?: string;
  preferLayer?: string;
  domain?: string;
  preferDomain?: string;
  nodeLabel?: string[];
  spread?: boolean;
  privileged?: boolean;
  detach?: boolean;
  timeout: string;
}

function melsFromFlags(f: DeployFlags): Json[] {
  if (f.file) {
    const text = readFileSync(f.file, 'utf8');
    const doc = (f.file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) as unknown;
    const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as Json).mels) ? ((doc as Json).mels as unknown[]) : [doc];
    return list as Json[];
  }
  if (!f.name || !f.image) throw new InvalidArgumentError('osmo deploy needs --name and --image (or -f FILE)');
  const placement: Json = {};
  if (f.layer) placement.layer = f.layer;
  if (f.preferLayer) placement.preferLayer = f.preferLayer;
  if (f.domain) placement.domain = f.domain;
  if (f.preferDomain) placement.preferDomain = f.preferDomain;
  if (f.nodeLabel?.length) placement.labels = kv('--node-label', f.nodeLabel);
  if (f.spread) placement.spread = true;
  const mel: Json = { name: f.name, image: f.image, placement };
  if (f.replicas !== undefined) mel.replicas = Number(f.replicas);
  if (f.command?.length) mel.command = f.command;
  const ports = parsePorts(f.port);
  if (ports) mel.ports = ports;
  const env = kv('--env', f.env);
  if (env) mel.env = env;
  const vols = parseVolumes(f.volume);
  if (vols) mel.volumes = vols;
  if (f.cpus || f.memory) mel.resources = { ...(f.cpus ? { cpus: Number(f.cpus) } : {}), ...(f.memory ? { memoryBytes: Number(f.memory) } : {}) };
  if (f.privileged) mel.privileged = true;
  return [mel];
}

/** Waits until every MEL runs all its replicas, showing a bar (and image pulls) on a terminal. */
async function waitConverged(api: CoreApi, names: string[], timeoutMs: number, quiet: boolean): Promise<void> {
  const tty = process.stderr.isTTY && !quiet;
  const bar = tty ? new SingleBar({ format: 'converging {bar} {value}/{total} running | {detail}', hideCursor: true, stream: process.stderr }, Presets.shades_classic) : undefined;
  const ac = new AbortController();
  let detail = 'placing';
  void api
    .follow(`?type=pull,placement,reconcile,instance-state`, (e) => {
      if (e.type === 'pull') {
        const d = e.data;
        detail = `pull ${d.image} ${d.status}${d.total ? ` ${Math.round(((d.current ?? 0) / d.total) * 100)}%` : ''}`;
      } else if (e.type === 'placement' || e.type === 'reconcile' || e.type === 'instance-state') {
        const d = e.data;
        const what = 'state' in d ? d.state : 'action' in d ? d.action : '';
        if (d.mel !== undefined && names.includes(d.mel)) detail = `${e.type} ${d.name ?? d.instance ?? ''} ${what} ${'node' in d ? `on ${d.node}` : ''}`.trim();
      }
    }, ac.signal)
    .catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  let started = false;
  try {
    for (;;) {
      let running = 0;
      let desired = 0;
      const reasons: string[] = [];
      for (const n of names) {
        const m = await api.call<{ status: { desired: number; running: number; reason?: string } }>('GET', `/api/v1/mels/${n}`);
        running += Math.min(m.status.running, m.status.desired);
        desired += m.status.desired;
        if (m.status.reason) reasons.push(`${n}: ${m.status.reason}`);
      }
      if (bar) {
        if (!started) bar.start(desired, running, { detail });
        started = true;
        bar.setTotal(desired);
        bar.update(running, { detail: reasons[0] ?? detail });
      }
      if (running >= desired) return;
      if (Date.now() > deadline) throw new Error(`not converged after ${timeoutMs / 1000}s: ${running}/${desired} running${reasons.length ? `; ${reasons.join('; ')}` : ''}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    bar?.stop();
    ac.abort();
  }
}

export function register(program: Command): void {
  withCommon(program.command('nodes').description('list the nodes of the cluster')).action(
    run(async (o: Common) => {
      const { nodes } = await new CoreApi(o).call<{ nodes: Array<Json & { capacity: Resources; allocated: Resources }> }>('GET', '/api/v1/nodes');
      print(o, { nodes }, () =>
        table([
          ['ID', 'STATUS', 'LAYER', 'DOMAIN', 'CPU', 'MEMORY', 'INSTANCES', 'HEARTBEAT', 'ADDRESS'],
          ...nodes.map((n) => [
            String(n.id),
            `${String(n.status)}${n.schedulable ? '' : ',cordoned'}`,
            String(n.layer),
            String(n.domain),
            `${n.allocated.cpus.toFixed(1)}/${n.capacity.cpus}`,
            `${gib(n.allocated.memoryBytes)}/${gib(n.capacity.memoryBytes)}`,
            String(n.instances),
            `${ago(String(n.lastHeartbeat))} ago`,
            String(n.address),
          ]),
        ]),
      );
    }),
  );

  withCommon(
    program
      .command('deploy')
      .description('create or update MELs from flags or a YAML/JSON file, then wait until all replicas run')
      .option('-f, --file <file>', 'YAML or JSON: one MEL, a list, or {mels: [...]}')
      .option('--name <name>', 'MEL name')
      .option('--image <image>', 'container image')
      .option('--replicas <n>', 'number of instances')
      .option('--command <arg>', 'one argv element (repeatable)', collect)
      .option('--port <port>', 'CONTAINER or HOST:CONTAINER[/udp] (repeatable)', collect)
      .option('--env <k=v>', 'environment variable (repeatable)', collect)
      .option('--volume <src:/path[:ro]>', 'volume (repeatable)', collect)
      .option('--cpus <n>', 'CPU request per instance')
      .option('--memory <bytes>', 'memory request per instance, bytes')
      .option('--layer <layer>', 'only nodes of this layer')
      .option('--prefer-layer <layer>', 'prefer this layer')
      .option('--domain <domain>', 'only nodes of this domain')
      .option('--prefer-domain <domain>', 'prefer this domain')
      .option('--node-label <k=v>', 'only nodes with this label (repeatable)', collect)
      .option('--spread', 'at most one replica per node while possible')
      .option('--privileged', 'run privileged (the agent must allow it)')
      .option('-d, --detach', 'do not wait for the replicas to run')
      .option('--timeout <seconds>', 'how long to wait', '300'),
  ).action(
    run(async (f: DeployFlags) => {
      const api = new CoreApi(f);
      const mels = melsFromFlags(f);
      const names: string[] = [];
      for (const m of mels) {
        const name = String(m.name ?? '');
        if (!name) throw new Error('every MEL needs a name');
        await api.call('PUT', `/api/v1/mels/${encodeURIComponent(name)}`, m);
        names.push(name);
        if (!f.json) process.stderr.write(`deployed ${name}\n`);
      }
      if (!f.detach) await waitConverged(api, names, Number(f.timeout) * 1000, !!f.json);
      const views = await Promise.all(names.map((n) => api.call('GET', `/api/v1/mels/${n}`)));
      print(f, { mels: views }, () => table([['MEL', 'RUNNING', 'DESIRED'], ...views.map((v) => { const s = v.status as Json; return [String(v.name), String(s.running), String(s.desired)]; })]));
    }),
  );

  withCommon(program.command('ps').description('list instances').option('--mel <name>', 'only this MEL').option('--node <id>', 'only this node')).action(
    run(async (o: Common & { mel?: string; node?: string }) => {
      const q = new URLSearchParams({ ...(o.mel ? { mel: o.mel } : {}), ...(o.node ? { node: o.node } : {}) }).toString();
      const { instances } = await new CoreApi(o).call<{ instances: Array<Json & { ports: Array<{ hostPort: number; containerPort: number; protocol: string }> }> }>('GET', `/api/v1/instances${q ? `?${q}` : ''}`);
      print(o, { instances }, () =>
        table([
          ['NAME', 'MEL', 'NODE', 'STATE', 'PORTS', 'AGE', 'REASON'],
          ...instances.map((i) => [String(i.name), String(i.mel), String(i.node ?? '-'), String(i.state), i.ports.map((p) => `${p.hostPort}->${p.containerPort}/${p.protocol}`).join(',') || '-', ago(String(i.createdAt)), String(i.reason ?? '')]),
        ]),
      );
    }),
  );

  withCommon(program.command('scale').description('set the replica count of a MEL').argument('<name>').argument('<replicas>').option('-d, --detach', 'do not wait').option('--timeout <seconds>', 'how long to wait', '300')).action(
    run(async (name: string, replicas: string, o: Common & { detach?: boolean; timeout: string }) => {
      const n = Number(replicas);
      if (!Number.isInteger(n) || n < 0) throw new Error(`replicas must be a whole number >= 0, got "${replicas}"`);
      const api = new CoreApi(o);
      await api.call('POST', `/api/v1/mels/${encodeURIComponent(name)}/scale`, { replicas: n });
      if (!o.detach) await waitConverged(api, [name], Number(o.timeout) * 1000, !!o.json);
      const v = await api.call('GET', `/api/v1/mels/${encodeURIComponent(name)}`);
      print(o, v, () => `${name} scaled to ${n}\n`);
    }),
  );

  withCommon(program.command('rm').description('delete a MEL (its instances are stopped)').argument('<name>')).action(
    run(async (name: string, o: Common) => {
      const r = await new CoreApi(o).call('DELETE', `/api/v1/mels/${encodeURIComponent(name)}`);
      print(o, r, () => `${name} removed\n`);
    }),
  );

  withCommon(program.command('logs').description("print an instance's newest output (stdout + stderr), by instance id or container name").argument('<instance>').option('--bytes <n>', 'how much of the end to show', '65536')).action(
    run(async (id: string, o: Common & { bytes: string }) => {
      const bytes = Number(o.bytes);
      if (!Number.isInteger(bytes) || bytes < 1) throw new Error(`--bytes must be a whole number >= 1, got "${o.bytes}"`);
      const r = await new CoreApi(o).call('GET', `/api/v1/instances/${encodeURIComponent(id)}/logs?bytes=${bytes}`);
      print(o, r, () => String((r as Json).logs ?? ''));
    }),
  );

  withCommon(program.command('events').description('follow the event stream').option('--type <types>', 'comma-separated types (node, mel, placement, reconcile, instance, pull, sample, ...)').option('--node <id>', 'only events about this node').option('--since <when>', 'replay from ms-since-epoch or an ISO date')).action(
    run(async (o: Common & { type?: string; node?: string; since?: string }) => {
      const q = new URLSearchParams({ ...(o.type ? { type: o.type } : {}), ...(o.node ? { node: o.node } : {}), ...(o.since ? { since: o.since } : {}) }).toString();
      await new CoreApi(o).follow(q ? `?${q}` : '', (e) => {
        if (o.json) process.stdout.write(`${JSON.stringify(e)}\n`);
        else {
          const summary = Object.entries(e.data).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}=${String(v)}`).join(' ');
          process.stdout.write(`${new Date(e.ts).toISOString()}  ${e.type.padEnd(14)} ${(e.node ?? '-').padEnd(12)} ${summary}\n`);
        }
      });
    }),
  );

  for (const [cmd, action, what] of [
    ['drain', 'drain', 'move every instance off a node and keep it empty'],
    ['undrain', 'undrain', 'end a drain'],
    ['cordon', 'cordon', 'stop placing new instances on a node'],
    ['uncordon', 'uncordon', 'let a node take new instances again'],
  ] as const) {
    withCommon(program.command(cmd).description(what).argument('<node>')).action(
      run(async (node: string, o: Common) => {
        const n = await new CoreApi(o).call('POST', `/api/v1/nodes/${encodeURIComponent(node)}/${action}`);
        print(o, n, () => `${node}: ${String(n.status)}${n.schedulable ? '' : ' (cordoned)'}\n`);
      }),
    );
  }
}
