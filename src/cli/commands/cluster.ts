// The cluster CLI: talks to the core's API (--core / OSMO_CORE, token from --token /
// OSMO_TOKEN / ./.osmo/join-token). Human tables by default, --json for scripts.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import YAML from 'yaml';
import type { CoreClient, MelPutInput } from '../../client/index.js';
import { clientFlags as withCommon, print, table, type ClientFlags as Common } from '../common.js';
import { coreClient } from '../core-client.js';

type Json = Record<string, unknown>;

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)}G`;

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
  lostAfter?: string;
  replace?: boolean;
  reconcile?: string;
  stopAfter?: string;
  detach?: boolean;
  timeout: string;
}

/** A duration flag as the MEL takes it: seconds (a number) or ISO 8601 (checked by the core). */
const duration = (v: string): number | string => (/^\d+(\.\d+)?$/.test(v) ? Number(v) : v);

/** The disconnect block from --lost-after, --no-replace, --reconcile, --stop-after (undefined when none is given). */
function disconnectFromFlags(f: DeployFlags): Json | undefined {
  const d: Json = {};
  if (f.lostAfter !== undefined) d.lostAfter = duration(f.lostAfter);
  if (f.replace === false) d.replace = false;
  if (f.reconcile !== undefined) d.reconcile = f.reconcile;
  if (f.stopAfter !== undefined) d.stopAfter = duration(f.stopAfter);
  return Object.keys(d).length ? d : undefined;
}

function melsFromFlags(f: DeployFlags): Json[] {
  if (f.file) {
    const text = readFileSync(f.file, 'utf8');
    const doc = (f.file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) as unknown;
    const list = Array.isArray(doc)
      ? doc
      : doc && typeof doc === 'object' && Array.isArray((doc as Json).mels)
        ? ((doc as Json).mels as unknown[])
        : [doc];
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
  if (f.cpus || f.memory)
    mel.resources = { ...(f.cpus ? { cpus: Number(f.cpus) } : {}), ...(f.memory ? { memoryBytes: Number(f.memory) } : {}) };
  if (f.privileged) mel.privileged = true;
  const disconnect = disconnectFromFlags(f);
  if (disconnect) mel.disconnect = disconnect;
  return [mel];
}

/** Waits until every MEL runs all its replicas, showing a bar (and image pulls) on a terminal. */
async function waitConverged(api: CoreClient, names: string[], timeoutMs: number, quiet: boolean): Promise<void> {
  const tty = process.stderr.isTTY && !quiet;
  const bar = tty
    ? new SingleBar(
        { format: 'converging {bar} {value}/{total} running | {detail}', hideCursor: true, stream: process.stderr },
        Presets.shades_classic,
      )
    : undefined;
  const ac = new AbortController();
  let detail = 'placing';
  void api
    .follow(
      { type: 'pull,placement,reconcile,instance-state' },
      (e) => {
        if (e.type === 'pull') {
          const d = e.data;
          detail = `pull ${d.image} ${d.status}${d.total ? ` ${Math.round(((d.current ?? 0) / d.total) * 100)}%` : ''}`;
        } else if (e.type === 'placement' || e.type === 'reconcile' || e.type === 'instance-state') {
          const d = e.data;
          const what = 'state' in d ? d.state : 'action' in d ? d.action : '';
          if (d.mel !== undefined && names.includes(d.mel))
            detail = `${e.type} ${d.name ?? d.instance ?? ''} ${what} ${'node' in d ? `on ${d.node}` : ''}`.trim();
        }
      },
      ac.signal,
    )
    .catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  let started = false;
  try {
    for (;;) {
      let running = 0;
      let desired = 0;
      const reasons: string[] = [];
      for (const n of names) {
        const m = await api.mel(n);
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
      if (Date.now() > deadline)
        throw new Error(
          `not converged after ${timeoutMs / 1000}s: ${running}/${desired} running${reasons.length ? `; ${reasons.join('; ')}` : ''}`,
        );
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    bar?.stop();
    ac.abort();
  }
}

export function register(program: Command): void {
  const nodesCmd = program.command('nodes').description('list the nodes of the cluster');
  withCommon(
    nodesCmd
      .command('revoke')
      .description('cut a node off: its credential is refused from now on, it goes down; it may join again only after `osmo nodes rm`')
      .argument('<node>'),
  ).action(async (node: string, sub: Common) => {
    // `nodes` takes the same flags and, written after the subcommand, may have parsed them
    const o = { ...nodesCmd.opts<Common>(), ...sub };
    const n = await coreClient(o).revokeNode(node);
    print(o, n, () => `${node} revoked: ${n.status}\n`);
  });
  withCommon(
    nodesCmd
      .command('rm')
      .description('forget a node (refused while it runs instances, unless down); its id may join again with the join token')
      .argument('<node>'),
  ).action(async (node: string, sub: Common) => {
    const o = { ...nodesCmd.opts<Common>(), ...sub };
    const r = await coreClient(o).removeNode(node);
    print(o, r, () => `${node} removed\n`);
  });
  withCommon(nodesCmd).action(async (o: Common) => {
    const nodes = await coreClient(o).nodes();
    print(o, { nodes }, () =>
      table([
        ['ID', 'STATUS', 'LAYER', 'DOMAIN', 'CPU', 'MEMORY', 'INSTANCES', 'HEARTBEAT', 'ADDRESS'],
        ...nodes.map((n) => [
          n.id,
          `${n.status}${n.schedulable ? '' : ',cordoned'}`,
          n.layer,
          n.domain,
          `${n.allocated.cpus.toFixed(1)}/${n.capacity.cpus}`,
          `${gib(n.allocated.memoryBytes)}/${gib(n.capacity.memoryBytes)}`,
          String(n.instances),
          `${ago(n.lastHeartbeat)} ago`,
          n.address,
        ]),
      ]),
    );
  });

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
      .option(
        '--lost-after <duration>',
        "a down node's instances still count this long (seconds or ISO 8601, e.g. PT5M) before they are replaced",
      )
      .option('--no-replace', 'never replace the instances of a down node (the MEL runs short until it is back)')
      .option('--reconcile <rule>', 'a lost node back with its instances: keep-original, keep-replacement (default) or best-score')
      .option(
        '--stop-after <duration>',
        'the agent stops the instances once cut off from the core this long (for MELs that must not run twice)',
      )
      .option('-d, --detach', 'do not wait for the replicas to run')
      .option('--timeout <seconds>', 'how long to wait', '300'),
  ).action(async (f: DeployFlags) => {
    const api = coreClient(f);
    const mels = melsFromFlags(f);
    const names: string[] = [];
    for (const m of mels) {
      const name = String(m.name ?? '');
      if (!name) throw new Error('every MEL needs a name');
      // the file's content is checked by the core (400 naming the field), not here
      await api.putMel(name, m as MelPutInput);
      names.push(name);
      if (!f.json) process.stderr.write(`deployed ${name}\n`);
    }
    if (!f.detach) await waitConverged(api, names, Number(f.timeout) * 1000, !!f.json);
    const views = await Promise.all(names.map((n) => api.mel(n)));
    print(f, { mels: views }, () =>
      table([['MEL', 'RUNNING', 'DESIRED'], ...views.map((v) => [v.name, String(v.status.running), String(v.status.desired)])]),
    );
  });

  withCommon(
    program.command('ps').description('list instances').option('--mel <name>', 'only this MEL').option('--node <id>', 'only this node'),
  ).action(async (o: Common & { mel?: string; node?: string }) => {
    const instances = await coreClient(o).instances({ ...(o.mel ? { mel: o.mel } : {}), ...(o.node ? { node: o.node } : {}) });
    print(o, { instances }, () =>
      table([
        ['NAME', 'MEL', 'NODE', 'STATE', 'PORTS', 'AGE', 'REASON'],
        ...instances.map((i) => [
          i.name,
          i.mel,
          i.node ?? '-',
          i.state,
          i.ports.map((p) => `${p.hostPort}->${p.containerPort}/${p.protocol}`).join(',') || '-',
          ago(i.createdAt),
          i.reason ?? '',
        ]),
      ]),
    );
  });

  withCommon(
    program
      .command('scale')
      .description('set the replica count of a MEL')
      .argument('<name>')
      .argument('<replicas>')
      .option('-d, --detach', 'do not wait')
      .option('--timeout <seconds>', 'how long to wait', '300'),
  ).action(async (name: string, replicas: string, o: Common & { detach?: boolean; timeout: string }) => {
    const n = Number(replicas);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`replicas must be a whole number >= 0, got "${replicas}"`);
    const api = coreClient(o);
    await api.scaleMel(name, n);
    if (!o.detach) await waitConverged(api, [name], Number(o.timeout) * 1000, !!o.json);
    const v = await api.mel(name);
    print(o, v, () => `${name} scaled to ${n}\n`);
  });

  withCommon(program.command('rm').description('delete a MEL (its instances are stopped)').argument('<name>')).action(
    async (name: string, o: Common) => {
      const r = await coreClient(o).removeMel(name);
      print(o, r, () => `${name} removed\n`);
    },
  );

  withCommon(
    program
      .command('logs')
      .description("print an instance's newest output (stdout + stderr), by instance id or container name")
      .argument('<instance>')
      .option('--bytes <n>', 'how much of the end to show', '65536'),
  ).action(async (id: string, o: Common & { bytes: string }) => {
    const bytes = Number(o.bytes);
    if (!Number.isInteger(bytes) || bytes < 1) throw new InvalidArgumentError(`--bytes must be a whole number >= 1, got "${o.bytes}"`);
    const r = await coreClient(o).logs(id, bytes);
    print(o, r, () => r.logs);
  });

  withCommon(
    program
      .command('events')
      .description('follow the event stream')
      .option('--type <types>', 'comma-separated types (node, mel, placement, reconcile, instance, pull, sample, ...)')
      .option('--node <id>', 'only events about this node')
      .option('--since <when>', 'replay from ms-since-epoch or an ISO date'),
  ).action(async (o: Common & { type?: string; node?: string; since?: string }) => {
    await coreClient(o).follow(
      { ...(o.type ? { type: o.type } : {}), ...(o.node ? { node: o.node } : {}), ...(o.since ? { since: o.since } : {}) },
      (e) => {
        if (o.json) process.stdout.write(`${JSON.stringify(e)}\n`);
        else {
          const summary = Object.entries(e.data)
            .filter(([, v]) => typeof v !== 'object')
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(' ');
          process.stdout.write(`${new Date(e.ts).toISOString()}  ${e.type.padEnd(14)} ${(e.node ?? '-').padEnd(12)} ${summary}\n`);
        }
      },
    );
  });

  for (const [cmd, what] of [
    ['drain', 'move every instance off a node and keep it empty'],
    ['undrain', 'end a drain'],
    ['cordon', 'stop placing new instances on a node'],
    ['uncordon', 'let a node take new instances again'],
  ] as const) {
    withCommon(program.command(cmd).description(what).argument('<node>')).action(async (node: string, o: Common) => {
      const n = await coreClient(o).nodeAction(node, cmd);
      print(o, n, () => `${node}: ${n.status}${n.schedulable ? '' : ' (cordoned)'}\n`);
    });
  }
}
