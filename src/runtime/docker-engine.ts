// Bounds what one runtime asks of its Docker engine at once. Without a bound, an engine that
// falls behind (a loaded machine) met a new unix socket for every call a monitor, heartbeat or
// deploy made: the soak of 2026-12-01 found one agent holding 8,000 sockets, most with a
// request the engine had not even accepted, and the agent's memory followed them.
//
// Every engine call goes through the modem's dial(), so the bound sits there, in two lanes:
//  - short calls (list, inspect, create, start, stop, remove, logs): at most `maxShort` at
//    once over a keep-alive pool of as many sockets; the rest wait in order. Each has a
//    deadline, time in the queue included; past it the call fails as `unavailable` and its
//    socket is released (a call that never left the queue was never sent).
//  - streams (stats, events, pulls, exec attach), which hold their socket while they last: at
//    most `maxStreams`, on their own pool, so open streams can never starve the short calls.
//    A stream waits at most `streamQueueMs` for a slot.
import http from 'node:http';
import https from 'node:https';
import { inspect } from 'node:util';
import type Docker from 'dockerode';
import type { EngineLoad } from './types.js';

export interface EngineLimits {
  /** short calls in flight at once (default 16) */
  maxShort?: number;
  /** streams open at once (default 128: one per sampled container, the event stream, pulls, execs) */
  maxStreams?: number;
  /** a short read (GET) fails after this, queue time included (default 30 s) */
  readTimeoutMs?: number;
  /** a short write fails after this, queue time included (default 120 s); a stop gets its grace period on top */
  writeTimeoutMs?: number;
  /** a stream waits this long for a free slot (default 30 s) */
  streamQueueMs?: number;
}

const DEFAULTS: Required<EngineLimits> = {
  maxShort: 16,
  maxStreams: 128,
  readTimeoutMs: 30_000,
  writeTimeoutMs: 120_000,
  streamQueueMs: 30_000,
};

const IDLE_MS = 5000;

/** A counting semaphore whose waiters give up at a deadline. */
class Lane {
  active = 0;
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly max: number,
    readonly name: string,
  ) {}

  get queued(): number {
    return this.waiting.size;
  }

  /** Resolves with a release function once a slot is free; rejects after `waitMs`. */
  acquire(waitMs: number): Promise<() => void> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        resolve(this.releaser());
      };
      const timer = setTimeout(() => {
        this.waiting.delete(go);
        reject(busy(`${this.name}: no free slot within ${waitMs} ms (${this.active} in flight, ${this.waiting.size} waiting)`));
      }, waitMs);
      timer.unref();
      this.waiting.add(go);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.values().next();
      if (next.done) {
        this.active--;
        return;
      }
      // the slot passes straight on: active stays the same
      this.waiting.delete(next.value);
      next.value();
    };
  }
}

/** An engine that did not answer in time: the error kind callers map to `unavailable`. */
function busy(message: string): Error {
  return Object.assign(new Error(`docker engine busy: ${message}`), { engineBusy: true });
}

interface DialOptions {
  method?: string;
  isStream?: boolean;
  hijack?: boolean;
  openStdin?: boolean;
  abortSignal?: AbortSignal;
  options?: { t?: number } & Record<string, unknown>;
}
type DialCallback = (err: unknown, data?: unknown) => void;
interface ModemLike {
  protocol?: string;
  agent?: http.Agent;
  dial: (options: DialOptions, callback: DialCallback) => void;
  [BOUND]?: BoundEngine;
}

export interface BoundEngine {
  /** what is in flight and waiting now */
  load: () => EngineLoad;
  /** closes the pooled connections (kept-alive ones would hold the process open) */
  close: () => void;
}
const BOUND = Symbol('osmo.engine-bound');

/**
 * Puts `docker`'s engine calls behind the two lanes (once per client: a second call returns
 * the same handle, and the first call's limits stay).
 */
export function boundEngine(docker: Docker, limits: EngineLimits = {}): BoundEngine {
  const modem = docker.modem as unknown as ModemLike;
  const existing = modem[BOUND];
  if (existing) return existing;
  const l = { ...DEFAULTS, ...limits };
  const short = new Lane(l.maxShort, 'short calls');
  const streams = new Lane(l.maxStreams, 'streams');
  // ssh: the modem brings its own agent per call; only http(s) pools are ours to bound
  const pooled = modem.protocol === 'http' || modem.protocol === 'https';
  const Agent = modem.protocol === 'https' ? https.Agent : http.Agent;
  // an idle kept-alive socket is closed after IDLE_MS: a quiet agent holds no connection
  const shortAgent = new Agent({ keepAlive: true, maxSockets: l.maxShort, timeout: IDLE_MS });
  const streamAgent = new Agent({ keepAlive: false, maxSockets: l.maxStreams });
  // docker-modem formats every request's options with util.inspect (depth unlimited, hidden
  // fields too) whether or not its debug output is on; a pool with its sockets and queue in
  // there cost more CPU than the calls themselves (found by profiling the agent)
  for (const [a, name] of [
    [shortAgent, 'short calls'],
    [streamAgent, 'streams'],
  ] as const)
    Object.defineProperty(a, inspect.custom, { value: () => `[engine pool: ${name}]` });
  const dial = modem.dial.bind(modem);

  modem.dial = (options, callback) => {
    const stream = !!(options.isStream || options.hijack || options.openStdin);
    const started = Date.now();
    const deadline = stream
      ? l.streamQueueMs
      : options.method === 'GET' || options.method === 'HEAD'
        ? l.readTimeoutMs
        : l.writeTimeoutMs + 1000 * Number(options.options?.t ?? 0);
    (stream ? streams : short).acquire(deadline).then(
      (release) => {
        // dial() reads the modem's agent synchronously, so setting it here picks this call's pool
        if (pooled) modem.agent = stream ? streamAgent : shortAgent;
        if (stream) {
          dial(options, (err, data) => {
            if (err || !data) release();
            else holdUntilClosed(data, release);
            callback(err, data);
          });
          return;
        }
        const left = Math.max(1, deadline - (Date.now() - started));
        const timeout = AbortSignal.timeout(left);
        options.abortSignal = options.abortSignal ? AbortSignal.any([options.abortSignal, timeout]) : timeout;
        dial(options, (err, data) => {
          release();
          if (err && timeout.aborted)
            callback(busy(`no answer within ${deadline} ms (${short.active} in flight, ${short.queued} waiting)`));
          else callback(err, data);
        });
      },
      (err: unknown) => callback(err),
    );
  };

  const bound: BoundEngine = {
    load: () => ({
      short: { active: short.active, queued: short.queued, max: short.max },
      stream: { active: streams.active, queued: streams.queued, max: streams.max },
    }),
    close: () => {
      shortAgent.destroy();
      streamAgent.destroy();
    },
  };
  modem[BOUND] = bound;
  return bound;
}

/**
 * A stream's slot is its socket: free it when that socket closes, however the stream ends (the
 * stream pool does not keep sockets alive, so a finished stream closes its socket). The data is
 * a response (its `socket`), a hijacked socket itself, or the modem's duplex (`_output.socket`).
 */
function holdUntilClosed(data: unknown, release: () => void): void {
  type Closable = NodeJS.EventEmitter & { destroyed?: boolean };
  const d = data as Closable & { socket?: Closable | null; _output?: { socket?: Closable | null } };
  const s = d.socket ?? d._output?.socket ?? d;
  if (typeof s.once !== 'function' || s.destroyed) {
    release();
    return;
  }
  s.once('close', release);
}
