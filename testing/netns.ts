// Separate "hosts" on one machine for tests (the recipe of the multi-host notes): a LAN
// namespace holding a bridge, one namespace per host with eth0 on that bridge, an address in
// a private /24 and a default route; optionally a private dockerd per host (its own socket,
// data root, exec root, --bip), so the ports it publishes are reachable from the other
// hosts. Everything is named with the caller's prefix and removed by close(), even after a
// failure halfway through. Needs root.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** a command's output; throws with its stderr when it fails */
export const run = (cmd: string, args: string[], input?: Buffer) =>
  execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}), maxBuffer: 256 * 1024 * 1024 });
/** run() for removals: what is already gone is fine */
export const tryRun = (cmd: string, args: string[]) => {
  try {
    run(cmd, args);
  } catch {
    // already gone
  }
};

export interface Host {
  ns: string;
  ip: string;
  /** argv prefix that runs a command in this host's network namespace */
  enter: string[];
  /** DOCKER_HOST of its private engine, when it has one */
  docker?: string;
}

export interface Lan {
  hosts: Record<string, Host>;
  /** a private dockerd in this host, with these images copied from the machine's engine */
  dockerd(host: string, bip: string, images: string[]): Promise<string>;
  /** stops that host's engine the way a service manager does (SIGTERM; its containers stop) */
  stopDockerd(host: string): Promise<void>;
  /** starts it again on the same data root and socket */
  startDockerd(host: string): Promise<void>;
  /**
   * Partitions a host: its switch port (the veth end on the bridge) goes down. The host keeps
   * its address and routes (taking its own eth0 down would drop its default route), it only
   * loses the carrier, as with a pulled cable.
   */
  cut(host: string): void;
  /** Plugs the cable back in. */
  heal(host: string): void;
  /**
   * Adds latency and loss to a host's link (`tc netem` on its eth0). Throws, saying so, when
   * the kernel has no netem (containers without kernel modules often have none).
   */
  degrade(host: string, o: { delayMs?: number; lossPercent?: number }): void;
  /** Removes what degrade() added. */
  restore(host: string): void;
  close(): Promise<void>;
}

/**
 * Makes `<prefix>-lan` with a bridge and one namespace `<prefix>-<name>` per host, addressed
 * `<subnet>.<n>` in the order given (n from 1).
 */
export function makeLan(prefix: string, subnet: string, names: string[]): Lan {
  const lan = `${prefix}-lan`;
  const br = `${prefix}-br0`;
  const hosts: Record<string, Host> = {};
  const daemons: Daemon[] = [];
  const made: string[] = [];
  const close = async () => {
    for (const d of daemons) {
      try {
        const ids = run('docker', ['-H', d.sock, 'ps', '-aq']).toString().split('\n').filter(Boolean);
        if (ids.length) run('docker', ['-H', d.sock, 'rm', '-f', ...ids]);
      } catch {
        // the engine is gone already
      }
      if (d.proc && d.proc.exitCode === null) await stopProc(d.proc);
      for (const dir of d.dirs) {
        // overlay mounts a crashed engine left behind would make rm fail: unmount first
        tryRun('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const ns of made.reverse()) tryRun('ip', ['netns', 'del', ns]);
  };
  try {
    for (const ns of [lan, ...names.map((n) => `${prefix}-${n}`)]) tryRun('ip', ['netns', 'del', ns]);
    run('ip', ['netns', 'add', lan]);
    made.push(lan);
    run('ip', ['-n', lan, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', lan, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
    run('ip', ['-n', lan, 'link', 'set', br, 'up']);
    names.forEach((name, k) => {
      const ns = `${prefix}-${name}`;
      const ip = `${subnet}.${k + 1}`;
      run('ip', ['netns', 'add', ns]);
      made.push(ns);
      const peer = `v-${prefix}-${name}`.slice(0, 15);
      run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', lan]);
      run('ip', ['-n', lan, 'link', 'set', peer, 'master', br, 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', ns, 'route', 'add', 'default', 'dev', 'eth0']);
      hosts[name] = { ns, ip, enter: ['nsenter', `--net=/run/netns/${ns}`] };
    });
  } catch (e) {
    void close();
    throw e;
  }

  const launch = async (d: Daemon): Promise<void> => {
    d.proc = spawn('nsenter', d.argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    d.proc.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        run('docker', ['-H', d.sock, 'version', '--format', '{{.Server.Version}}']);
        return;
      } catch {
        if (d.proc.exitCode !== null || Date.now() > deadline) throw new Error(`dockerd in ${d.ns} did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };

  const dockerd = async (name: string, bip: string, images: string[]): Promise<string> => {
    const h = hosts[name]!;
    const base = join(tmpdir(), `${h.ns}-docker`);
    const dirs = [`${base}-data`, `${base}-exec`];
    const sock = `unix://${base}.sock`;
    stale(`${base}.pid`);
    rmSync(`${base}.sock`, { force: true });
    // A short shutdown timeout: a restart in a test should not wait 10 s for each container
    // that ignores SIGTERM (PID 1 `sleep` does).
    const argv = [`--net=/run/netns/${h.ns}`, 'dockerd', '--host', sock, '--data-root', dirs[0]!, '--exec-root', dirs[1]!];
    argv.push('--pidfile', `${base}.pid`, '--bip', bip, '--shutdown-timeout', '2');
    const d: Daemon = { name, ns: h.ns, argv, dirs, sock };
    daemons.push(d);
    await launch(d);
    for (const image of images) {
      const tar = join(tmpdir(), `${prefix}-${image.replace(/[^a-z0-9]/gi, '_')}.tar`);
      if (!existsSync(tar)) run('docker', ['save', '-o', tar, image]);
      run('docker', ['-H', sock, 'load', '-i', tar]);
    }
    h.docker = sock;
    return sock;
  };

  const stopDockerd = async (name: string): Promise<void> => {
    const d = daemons.find((x) => x.name === name);
    if (!d?.proc) throw new Error(`no dockerd in host ${name}`);
    if (d.proc.exitCode === null) await stopProc(d.proc);
  };
  const startDockerd = async (name: string): Promise<void> => {
    const d = daemons.find((x) => x.name === name);
    if (!d) throw new Error(`no dockerd in host ${name}`);
    if (d.proc?.exitCode === null) throw new Error(`dockerd in host ${name} is running`);
    await launch(d);
  };

  const port = (name: string) => {
    if (!hosts[name]) throw new Error(`no host ${name} on ${lan}`);
    return `v-${prefix}-${name}`.slice(0, 15);
  };
  const cut = (name: string) => run('ip', ['-n', lan, 'link', 'set', port(name), 'down']);
  const heal = (name: string) => run('ip', ['-n', lan, 'link', 'set', port(name), 'up']);
  const degrade = (name: string, o: { delayMs?: number; lossPercent?: number }) => {
    const ns = hosts[name]?.ns;
    if (!ns) throw new Error(`no host ${name} on ${lan}`);
    const args = [
      ...(o.delayMs !== undefined ? ['delay', `${o.delayMs}ms`] : []),
      ...(o.lossPercent !== undefined ? ['loss', `${o.lossPercent}%`] : []),
    ];
    try {
      run('tc', ['-n', ns, 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', ...args]);
    } catch (e) {
      const why = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e);
      throw new Error(`tc netem on ${ns}: ${why} (no netem in this kernel?)`, { cause: e });
    }
  };
  const restore = (name: string) => tryRun('tc', ['-n', hosts[name]?.ns ?? '', 'qdisc', 'del', 'dev', 'eth0', 'root']);

  return { hosts, dockerd, stopDockerd, startDockerd, cut, heal, degrade, restore, close };
}

interface Daemon {
  name: string;
  ns: string;
  argv: string[];
  dirs: string[];
  sock: string;
  proc?: ChildProcess;
}

/** SIGTERM (the engine stops its containers, as `systemctl stop docker` does), SIGKILL after 15 s. */
function stopProc(proc: ChildProcess): Promise<void> {
  return new Promise<void>((r) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.once('exit', () => {
      clearTimeout(t);
      r();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * A dockerd of an earlier run that was killed before its close() (a test file past its
 * deadline is SIGKILLed) still holds the pid file and socket: a new one would not start.
 */
function stale(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(pidFile)) return;
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
  const deadline = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) execFileSync('sleep', ['0.1']);
}

/** curl from inside a host: status and body (argv, never a shell string). */
export function nsCurl(h: Host, args: string[]): { status: number; body: string } {
  let out: string;
  try {
    out = run(h.enter[0]!, [...h.enter.slice(1), 'curl', '-sS', '-m', '120', '-w', '\n%{http_code}', ...args]).toString();
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`curl ${args.join(' ')} in ${h.ns} failed: ${err.stderr?.toString() ?? err.message}`, { cause: e });
  }
  const at = out.lastIndexOf('\n');
  return { status: Number(out.slice(at + 1)), body: out.slice(0, at) };
}

/** nsCurl, the body read as JSON. */
export function nsJson<T = Record<string, unknown>>(h: Host, args: string[]): { status: number; json: T } {
  const r = nsCurl(h, args);
  let json: unknown = r.body;
  try {
    json = JSON.parse(r.body);
  } catch {
    // not JSON
  }
  return { status: r.status, json: json as T };
}
