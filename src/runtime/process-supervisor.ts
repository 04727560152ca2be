// One supervised child: spawn (argv, no shell) in its own process group, capture output into a
// bounded log, restart after a crash with capped exponential back-off, and stop with SIGTERM,
// then SIGKILL to the whole group after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { RingLog } from './ring-log.js';
import type { ContainerState } from '../model/index.js';

export interface SupervisorOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logBytes: number;
  graceMs: number;
  backoff: { initialMs: number; maxMs: number; /** a run this long resets the back-off */ resetAfterMs: number };
  /** restarts already done (persisted), so the count survives an agent restart */
  restarts: number;
  onState: (state: ContainerState, reason: string) => void;
  onSpawn: (pid: number) => void;
}

export class Supervisor {
  readonly log: RingLog;
  state: ContainerState = 'created';
  restarts: number;
  exitCode: number | undefined;
  startedAt: string | undefined;
  private child: ChildProcess | undefined;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly o: SupervisorOptions) {
    this.log = new RingLog(o.logBytes);
    this.restarts = o.restarts;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the first run; rejects if the command cannot be executed at all (ENOENT, EACCES). */
  async start(): Promise<void> {
    await this.spawnOnce();
  }

  private spawnOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const [file, ...args] = this.o.argv;
      const child = spawn(file!, args, {
        cwd: this.o.cwd,
        env: this.o.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Own process group: stop() signals the child and everything it forked.
        detached: true,
      });
      const ranAt = Date.now();
      let spawned = false;
      child.stdout?.on('data', (d: Buffer) => this.log.write(d));
      child.stderr?.on('data', (d: Buffer) => this.log.write(d));
      let done!: () => void;
      this.exited = new Promise((r) => (done = r));
      child.once('spawn', () => {
        spawned = true;
        this.child = child;
        this.state = 'running';
        this.exitCode = undefined;
        this.startedAt = new Date().toISOString();
        this.o.onSpawn(child.pid!);
        this.o.onState('running', 'start');
        resolve();
      });
      child.once('error', (e: NodeJS.ErrnoException) => {
        if (spawned) return; // kill() errors after spawn are reported by 'exit'
        done();
        this.log.write(Buffer.from(`osmo: cannot start ${file}: ${e.code ?? e.message}\n`));
        reject(e);
      });
      child.once('exit', (code, signal) => {
        this.child = undefined;
        this.exitCode = code ?? (signal ? 128 + signalNumber(signal) : undefined);
        done();
        if (this.stopping) return;
        const reason = signal ? `killed by ${signal}` : `exit code ${code}`;
        if (code === 0) {
          // Finished on its own: like Docker's on-failure policy, a clean exit is not a crash.
          this.state = 'exited';
          this.o.onState('exited', reason);
          return;
        }
        if (Date.now() - ranAt >= this.o.backoff.resetAfterMs) this.failures = 0;
        this.scheduleRestart(reason);
      });
    });
  }

  private scheduleRestart(reason: string): void {
    const { initialMs, maxMs } = this.o.backoff;
    const wait = Math.min(maxMs, initialMs * 2 ** this.failures);
    this.failures += 1;
    this.state = 'restarting';
    this.o.onState('restarting', `${reason}; restart in ${wait} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      this.restarts += 1;
      this.spawnOnce().catch((e: NodeJS.ErrnoException) => {
        if (!this.stopping) this.scheduleRestart(`cannot start: ${e.code ?? e.message}`);
      });
    }, wait);
  }

  /** SIGTERM to the group, SIGKILL after the grace period; resolves once the child is gone. */
  async stop(graceMs = this.o.graceMs): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    if (child?.pid !== undefined) {
      const pgid = child.pid;
      signalGroup(pgid, 'SIGTERM');
      const kill = setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(kill);
      // The leader is gone; make sure nothing it forked lingers in the group.
      signalGroup(pgid, 'SIGKILL');
    }
    this.state = 'removed';
  }

  /** Synchronous last resort when the agent itself exits. */
  killNow(): void {
    if (this.child?.pid !== undefined) signalGroup(this.child.pid, 'SIGKILL');
  }
}

export function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}
