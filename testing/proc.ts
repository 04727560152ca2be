// Helpers for tests that run real osmo processes: free ports, spawning `osmo` from source,
// waiting for HTTP readiness, and cleaning up (every child is killed when the test file ends).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = import.meta.resolve('tsx');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'osmo-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface OsmoProcess {
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Waits for the process to exit on its own; past the deadline it is killed and this throws. */
  exit: (timeoutMs?: number) => Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Runs `osmo <args>` from the TypeScript sources (no build needed), in `cwd` (default: the repository), after `prefix` if given. */
/** The node flags on the first line of bin/osmo-<command>.js, if there is such a launcher. */
export function launcherFlagsOf(command: string | undefined): string[] {
  const file = join(ROOT, 'bin', `osmo-${command}.js`);
  if (!command || !existsSync(file)) return [];
  const first = readFileSync(file, 'utf8').split('\n')[0]!;
  return first
    .replace(/^#!\/usr\/bin\/env -S node\s*/, '')
    .split(' ')
    .filter((f) => f.startsWith('--'));
}

export function spawnOsmo(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT, prefix: string[] = []): OsmoProcess {
  // tsx by its resolved URL: a bare "tsx" is looked up from cwd, which may be outside the repository
  // OSMO_SPAWN_COMPILED=1 (benches): the built dist/ instead, as users run it (no loader in memory)
  // and a core or an agent with the node flags of its launcher (bin/osmo-core.js, bin/osmo-agent.js)
  const argv =
    process.env['OSMO_SPAWN_COMPILED'] === '1'
      ? [process.execPath, ...launcherFlagsOf(args[0]), join(ROOT, 'dist/cli/main.js'), ...args]
      : [process.execPath, '--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args];
  // a prefix runs it through another command, e.g. nsenter into a network namespace (which execs, keeping the pid)
  const all = [...prefix, ...argv];
  const child = spawn(all[0]!, all.slice(1), {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      live.delete(child);
      r(code);
    }),
  );
  return {
    child,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    exit: async (timeoutMs = 60_000) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`osmo ${args.join(' ')} did not exit within ${timeoutMs} ms; output:\n${out}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `url` until it answers (any status < 500) or the timeout passes. */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
      last = new Error(`status ${r.status}`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${String(last)}`);
}

/** Polls `check` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Retries an assertion block until it passes (eventually() wants a truthy return). */
export const settle = (check: () => Promise<void> | void, ms?: number): Promise<true> =>
  eventually(async () => {
    await check();
    return true as const;
  }, ms);
