// The agent's side of edge sensors: one `osmo sensor-edge` child process per sensor the core
// placed here, fed with this agent's samples and probe runs, restarted with back-off when it
// dies, stopped when the core takes the sensor away. Nomad runs its executors and log
// collectors the same way: the agent re-executes its own program.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { eventKey, whereKey, type EdgeSensorSpec, type FromEdge, type ToEdge } from './edge-protocol.js';
import type { SensorValue } from './value.js';

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** bytes queued on a child's stdin beyond which samples are dropped (a stuck child must not grow the agent) */
const MAX_QUEUED = 1 << 20;
const STOP_GRACE_MS = 3000;

export interface EdgeSensorInfo {
  id: string;
  state: 'starting' | 'running' | 'restarting' | 'failed';
  pid: number | null;
  restarts: number;
  /** values the pipe delivered to its publishers */
  values: number;
  last?: { channel: string; value: number | boolean; ts: number };
  problem?: string;
  dropped: number;
}

interface Running {
  spec: EdgeSensorSpec;
  sig: string;
  keys: Set<string>;
  child?: ChildProcess;
  info: EdgeSensorInfo;
  backoff: number;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export interface EdgeHostOptions {
  /** program and arguments that start `osmo sensor-edge` (the agent's own CLI) */
  command: readonly string[];
  /** directory for `log` publishers' files */
  logDir: string;
  log?: (level: 'info' | 'warn', msg: string) => void;
  /** every value a sensor's pipe delivered (the agent sends them on to the core's live stream) */
  onValue?: (v: SensorValue) => void;
}

export class EdgeSensors {
  private readonly sensors = new Map<string, Running>();
  constructor(private readonly o: EdgeHostOptions) {}

  /** Runs the sensor (again, if its spec changed); idempotent for the same spec. */
  put(id: string, spec: EdgeSensorSpec): EdgeSensorInfo {
    const sig = JSON.stringify(spec);
    const had = this.sensors.get(id);
    if (had && had.sig === sig && had.info.state !== 'failed') return had.info;
    if (had) void this.stopOne(had);
    const r: Running = {
      spec,
      sig,
      keys: new Set(spec.bindings.map((b) => whereKey(b.where))),
      info: { id, state: 'starting', pid: null, restarts: 0, values: 0, dropped: 0 },
      backoff: 0,
      stopped: false,
    };
    this.sensors.set(id, r);
    this.start(r);
    return r.info;
  }

  /** false when there is no such sensor */
  delete(id: string): boolean {
    const r = this.sensors.get(id);
    if (!r) return false;
    this.sensors.delete(id);
    void this.stopOne(r);
    return true;
  }

  list(): EdgeSensorInfo[] {
    return [...this.sensors.values()].map((r) => ({ ...r.info }));
  }

  /** Feeds one of this agent's events to the sensors that read it. */
  onEvent(e: { type: string; ts: number }): void {
    if (this.sensors.size === 0 || (e.type !== 'sample' && e.type !== 'probe')) return;
    // the agent's events are flat (src/bus/events.ts SampleEvent, ProbeEvent)
    const d = e as unknown as { metric?: string; source?: string; target?: string; id?: string; fields: Record<string, { value: number }> };
    const key = eventKey(e.type === 'sample' ? { metric: d.metric, source: d.source, target: d.target } : { id: d.id });
    let line: string | undefined;
    for (const r of this.sensors.values()) {
      if (!r.keys.has(key) || !r.child?.stdin?.writable) continue;
      if (r.child.stdin.writableLength > MAX_QUEUED) {
        r.info.dropped++;
        continue;
      }
      line ??=
        JSON.stringify(
          (e.type === 'sample'
            ? { t: 'sample', ts: e.ts, metric: d.metric!, source: d.source!, target: d.target!, fields: d.fields }
            : { t: 'probe', ts: e.ts, id: d.id!, fields: d.fields }) satisfies ToEdge,
        ) + '\n';
      r.child.stdin.write(line);
    }
  }

  async close(): Promise<void> {
    const all = [...this.sensors.values()];
    this.sensors.clear();
    await Promise.all(all.map((r) => this.stopOne(r)));
  }

  private start(r: Running): void {
    const [cmd, ...args] = this.o.command;
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    r.child = child;
    r.info.pid = child.pid ?? null;
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      r.info.problem = `cannot start the edge sensor process: ${e.message}`;
    });
    let fatal = false;
    createInterface({ input: child.stdout }).on('line', (l) => {
      let m: FromEdge;
      try {
        m = JSON.parse(l) as FromEdge;
      } catch {
        return;
      }
      if (m.t === 'ready') {
        r.info.state = 'running';
        r.backoff = 0;
      } else if (m.t === 'value') {
        r.info.values++;
        r.info.last = { channel: m.v.channel, value: m.v.value, ts: m.v.ts };
        this.o.onValue?.(m.v);
      } else if (m.t === 'problem') r.info.problem = m.m;
      else {
        fatal = true;
        r.info.problem = m.m;
      }
    });
    child.on('exit', (code, signal) => {
      r.info.pid = null;
      if (r.stopped) return;
      if (fatal) {
        // the spec cannot work: restarting would fail the same way
        r.info.state = 'failed';
        return;
      }
      r.info.state = 'restarting';
      r.info.problem = `the edge sensor process ended (${signal ?? `code ${code}`}); restarting`;
      r.backoff = Math.min(BACKOFF_MAX_MS, r.backoff ? r.backoff * 2 : BACKOFF_MIN_MS);
      r.timer = setTimeout(() => {
        r.info.restarts++;
        this.start(r);
      }, r.backoff);
      r.timer.unref();
      this.o.log?.('warn', `edge sensor ${r.info.id}: ${r.info.problem} in ${r.backoff} ms`);
    });
    child.stdin.write(JSON.stringify({ t: 'spec', spec: r.spec, logDir: this.o.logDir } satisfies ToEdge) + '\n');
  }

  private stopOne(r: Running): Promise<void> {
    r.stopped = true;
    if (r.timer) clearTimeout(r.timer);
    const child = r.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      // end of stdin is the child's signal to close its publishers and leave
      child.stdin?.end();
    });
  }
}
