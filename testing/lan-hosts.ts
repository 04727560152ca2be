// Processes on the hosts of a testing/netns.ts LAN, for the mDNS tests: each runs in its
// host's network namespace AND in a UTS namespace of its own, so every host announces under
// its own host name (two announcers sharing one would clash); and a device's own
// avahi-daemon, on a private D-Bus, for avahi-browse.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from './netns.js';
import { ROOT } from './proc.js';

const TSX = import.meta.resolve('tsx');

/** argv prefix: into `h`'s network namespace, under the host name `name` (default: its namespace's) */
export function asHost(h: Host, name = h.ns): string[] {
  // nsenter, unshare and sh all exec: the child's pid is the command's own
  return [...h.enter, 'unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', name];
}

export interface HostProcess {
  child: ChildProcess;
  output: () => string;
  /** resolves with the first output line matching, or rejects at the deadline / on exit */
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<string>;
  /** SIGTERM (SIGKILL after 10 s); resolves with the exit code */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Runs argv as host `h`; `stdin` gives it a pipe (child.stdin). */
export function spawnIn(h: Host, argv: string[], env: NodeJS.ProcessEnv = {}, o: { stdin?: boolean } = {}): HostProcess {
  const all = [...asHost(h), ...argv];
  const child = spawn(all[0]!, all.slice(1), { env: { ...process.env, ...env }, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    waiters.forEach((w) => w());
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      live.delete(child);
      waiters.forEach((w) => w());
      r(code);
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    waitFor: (re, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => done(() => reject(new Error(`no ${re} within ${timeoutMs} ms; output:\n${out}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(t);
          waiters.delete(check);
          f();
        };
        function check() {
          const line = out.split('\n').find((l) => re.test(l));
          if (line !== undefined) return done(() => resolve(line));
          if (child.exitCode !== null || child.signalCode !== null)
            done(() => reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before printing ${re}; output:\n${out}`)));
        }
        waiters.add(check);
        check();
      }),
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** `osmo ARGS` from the sources, as host `h`. */
export const osmoIn = (h: Host, args: string[], env?: NodeJS.ProcessEnv): HostProcess =>
  spawnIn(h, [process.execPath, '--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], env);

/** A script of this repository (e.g. testing/stub-cloudlet.ts) through tsx, as host `h`. */
export const scriptIn = (h: Host, script: string, args: string[], o?: { stdin?: boolean }): HostProcess =>
  spawnIn(h, [process.execPath, '--import', TSX, join(ROOT, script), ...args], {}, o);

/** Runs argv to its end as host `h`; past the deadline it is killed and this throws. */
export async function execIn(h: Host, argv: string[], timeoutMs = 30_000, env?: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const p = spawnIn(h, argv, env);
  const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(t);
  if (code === null) throw new Error(`${argv.join(' ')} in ${h.ns} killed after ${timeoutMs} ms; output:\n${p.output()}`);
  return { code, out: p.output() };
}

export interface Avahi {
  /** its files; avahi clients need DBUS_SYSTEM_BUS_ADDRESS=unix:path=DIR/bus.sock */
  dir: string;
  env: NodeJS.ProcessEnv;
  /** `avahi-browse -rtp TYPE` in the host: the parsable lines ("=" = resolved) */
  browse: (type: string, timeoutMs?: number) => Promise<string[]>;
  close: () => Promise<void>;
}

/**
 * An avahi-daemon in `h` with a private system bus (its own dbus-daemon), so avahi-browse and
 * avahi-publish work there as on a device. The daemon keeps its pid file in a private /run (a
 * mount namespace of its own), so several can run at once. By default it publishes nothing of
 * its own (a device that only browses); `publishAddresses` makes it answer for its host name,
 * as a host that publishes services with avahi-publish must.
 */
export async function startAvahi(h: Host, dir: string, o: { hostName?: string; publishAddresses?: boolean } = {}): Promise<Avahi> {
  mkdirSync(dir, { recursive: true });
  const bus = join(dir, 'bus.sock');
  writeFileSync(
    join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${bus}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow user="root"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>
`,
  );
  writeFileSync(
    join(dir, 'avahi.conf'),
    `[server]\nhost-name=${o.hostName ?? h.ns}\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth0\nenable-dbus=yes\n[wide-area]\nenable-wide-area=no\n` +
      `[publish]\npublish-addresses=${o.publishAddresses ? 'yes' : 'no'}\npublish-hinfo=no\npublish-workstation=no\npublish-domain=no\n`,
  );
  const env = { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${bus}` };
  const dbus = spawnIn(h, ['dbus-daemon', `--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--print-address']);
  await dbus.waitFor(/^unix:path=/, 10_000);
  const daemon = spawnIn(
    h,
    [
      'unshare',
      '--mount',
      'sh',
      '-c',
      'mount -t tmpfs tmpfs /run && exec "$@"',
      'avahi',
      'avahi-daemon',
      '-f',
      join(dir, 'avahi.conf'),
      '--no-drop-root',
      '--no-chroot',
      '--no-rlimits',
      '--no-proc-title',
    ],
    env,
  );
  await daemon.waitFor(/Server startup complete/, 15_000);
  return {
    dir,
    env,
    browse: async (type, timeoutMs = 15_000) => {
      const r = await execIn(h, ['avahi-browse', '-rtp', type], timeoutMs, env);
      if (r.code !== 0) throw new Error(`avahi-browse exited ${r.code}: ${r.out}`);
      return r.out.split('\n').filter((l) => l.length > 0);
    },
    close: async () => {
      await daemon.stop();
      await dbus.stop();
    },
  };
}
