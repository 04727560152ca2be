// Health checks as the drivers run them: a TCP probe of a port on this host, and the
// verdict on a check command's exit. Shared by docker.ts (exec in the container) and
// process.ts (a child beside the instance).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { HealthResult } from './types.js';

export const DEFAULT_CHECK_TIMEOUT_MS = 5000;
/** output kept in a check's detail */
const DETAIL_BYTES = 512;

/**
 * A listening service accepts and keeps the connection open. Through Docker's userland
 * proxy a connect to a published port succeeds even when nothing listens inside — the
 * proxy then hangs up at once — so the socket must also survive a short hold.
 */
export function tcpProbe(host: string, port: number, timeoutMs = 1000, holdMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => {
      s.setTimeout(0);
      setTimeout(() => done(true), holdMs);
    });
    s.once('end', () => done(false));
    s.once('close', () => done(false));
    s.once('error', () => done(false));
  });
}

/** Where to dial a port published on `hostIp` from this host. */
export function dialHost(hostIp: string): string {
  return hostIp === '' || hostIp === '0.0.0.0' ? '127.0.0.1' : hostIp === '::' ? '::1' : hostIp;
}

export async function tcpCheck(host: string, port: number, what: string): Promise<HealthResult> {
  const ok = await tcpProbe(host, port);
  return { healthy: ok, detail: ok ? what : `${what}: no service answering` };
}

/** The verdict on a finished (or timed-out) check command. */
export function commandVerdict(exitCode: number | null, output: Buffer, timedOutMs?: number): HealthResult {
  const out = output
    .subarray(Math.max(0, output.length - DETAIL_BYTES))
    .toString('utf8')
    .trim();
  if (timedOutMs !== undefined) return { healthy: false, detail: `command timed out after ${timedOutMs} ms${out ? `: ${out}` : ''}` };
  return { healthy: exitCode === 0, detail: `command exited ${exitCode ?? 'by signal'}${out ? `: ${out}` : ''}` };
}

/** Runs argv as a child (no shell), killed after timeoutMs. */
export function runCheckCommand(
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<HealthResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      while (size > 4 * DETAIL_BYTES && chunks.length > 1) size -= chunks.shift()!.length;
    };
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ healthy: false, detail: `command could not start: ${e.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(commandVerdict(code, Buffer.concat(chunks), timedOut ? opts.timeoutMs : undefined));
    });
  });
}
