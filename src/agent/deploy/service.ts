// The deploy service: checks the policy, hands the spec to the runtime driver and publishes
// what happens (pull progress, instance state) on the bus. It also feeds the guest monitors
// with a short-lived stats cache, so four guest monitors on one period cost one engine call
// per instance instead of four.
import type { PubSub } from '../../bus/pubsub.js';
import type { AgentEventBody } from '../../bus/events.js';
import { OsmoError, conflict } from '../../shared/errors.js';
import type { DeploySpec, GuestStats, HealthCheckSpec, HealthResult, InstanceInfo, PullProgress, Runtime } from '../../runtime/types.js';
import { checkPolicy, type DeployPolicy } from './policy.js';
import type { GuestSource } from '../monitor/samplers.js';

const PULL_EVENT_MIN_INTERVAL_MS = 500;
// A docker stats call takes about a second (the engine samples twice); monitors that tick
// while one is in flight, or shortly after, share it instead of starting their own.
const STATS_TTL_MS = 900;
// The running set changes only through deploy/remove (which reset it) or engine events
// (watch() resets it), so polling the engine for it can be rare.
const LIST_TTL_MS = 10_000;
const ECHO_WINDOW_MS = 5000;

export class DeployService implements GuestSource {
  /** deploys under way, by name: a remove of the same name waits for its outcome */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly removing = new Set<string>();
  /** states this service just published itself; the driver's own report of them is an echo */
  private readonly published = new Map<string, { state: string; at: number }>();
  private readonly statsCache = new Map<string, { at: number; done: boolean; p: Promise<GuestStats> }>();
  private listCache: { at: number; p: Promise<InstanceInfo[]> } | undefined;
  private readonly unwatch: () => void;

  constructor(
    readonly runtime: Runtime,
    private readonly bus: PubSub<AgentEventBody>,
    private readonly policy: DeployPolicy,
  ) {
    this.unwatch = runtime.watch((c) => {
      this.listCache = undefined;
      if (this.echoOfOwn(c.name, c.state)) return;
      bus.publish('instance', {
        type: 'instance',
        name: c.name,
        state: c.state,
        ...(c.info?.image ? { image: c.info.image } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.info?.labels ? { labels: c.info.labels } : {}),
      });
    });
  }

  /** Publishes one "running" (or current state) event per instance found at start-up. */
  async adopt(): Promise<InstanceInfo[]> {
    const found = await this.runtime.list();
    for (const i of found) {
      this.bus.publish('instance', { type: 'instance', name: i.name, image: i.image, state: i.state, reason: 'adopted', labels: i.labels });
    }
    return found;
  }

  async deploy(spec: DeploySpec): Promise<InstanceInfo> {
    checkPolicy(spec, this.policy);
    // two concurrent PUTs for one name: the second must see 409, not race the engine
    if (this.inFlight.has(spec.name)) throw conflict(`name: "${spec.name}" is being deployed right now`);
    const running = this.runtime.deploy(spec, this.progress(spec.image));
    this.inFlight.set(spec.name, running);
    try {
      const info = await running;
      this.listCache = undefined;
      this.published.set(info.name, { state: info.state, at: Date.now() });
      this.bus.publish('instance', { type: 'instance', name: info.name, image: info.image, state: info.state, labels: info.labels });
      return info;
    } finally {
      this.inFlight.delete(spec.name);
    }
  }

  /**
   * Stops and removes; the image goes too when `image` is given and no other container uses
   * it. `reason` rides on the event when the agent removes it of its own accord.
   */
  async remove(name: string, image?: string, reason?: string): Promise<{ imageRemoved: boolean }> {
    // A deploy of this name still under way (its caller may have given up waiting: the core
    // times out, the engine goes on) would create the container right after a remove that found
    // nothing, and nobody would know it: let it finish, then remove what it made.
    await this.inFlight.get(name)?.catch(() => undefined);
    this.removing.add(name);
    let r: { imageRemoved: boolean };
    try {
      r = await this.runtime.remove(name, image ? { image, removeImage: true } : { removeImage: false });
    } finally {
      setTimeout(() => this.removing.delete(name), ECHO_WINDOW_MS).unref();
    }
    this.listCache = undefined;
    this.published.set(name, { state: 'removed', at: Date.now() });
    this.statsCache.delete(name);
    this.bus.publish('instance', { type: 'instance', name, state: 'removed', ...(image ? { image } : {}), ...(reason ? { reason } : {}) });
    return r;
  }

  // Deploy and remove publish their outcome with the image and labels; the engine's own
  // events for the same transitions (start, die, destroy) would only repeat them.
  private echoOfOwn(name: string, state: string): boolean {
    if (this.inFlight.has(name) && (state === 'created' || state === 'running')) return true;
    if (this.removing.has(name) && (state === 'exited' || state === 'removed')) return true;
    const p = this.published.get(name);
    if (p && Date.now() - p.at > ECHO_WINDOW_MS) this.published.delete(name);
    return !!p && p.state === state && Date.now() - p.at <= ECHO_WINDOW_MS;
  }

  list(): Promise<InstanceInfo[]> {
    return this.runtime.list();
  }

  get(name: string): Promise<InstanceInfo | undefined> {
    return this.runtime.get(name);
  }

  /** The newest `maxBytes` of an instance's stdout + stderr, as the driver captured them. */
  async logs(name: string, maxBytes: number): Promise<string> {
    if (!this.runtime.logs) throw new OsmoError('invalid', `the ${this.runtime.driver} driver keeps no logs`);
    return this.runtime.logs(name, { maxBytes });
  }

  /** One health check of an instance, run by the driver that runs it. */
  async check(name: string, hc: HealthCheckSpec): Promise<HealthResult> {
    if (!this.runtime.check) throw new OsmoError('invalid', `the ${this.runtime.driver} driver cannot run health checks`);
    return this.runtime.check(name, hc);
  }

  async running(): Promise<string[]> {
    const now = Date.now();
    if (!this.listCache || now - this.listCache.at > LIST_TTL_MS) {
      const p = this.runtime.list();
      this.listCache = { at: now, p };
      p.catch(() => (this.listCache = undefined));
    }
    return (await this.listCache.p).filter((i) => i.state === 'running').map((i) => i.name);
  }

  stats(name: string): Promise<GuestStats> {
    const now = Date.now();
    const hit = this.statsCache.get(name);
    if (hit && (!hit.done || now - hit.at <= STATS_TTL_MS)) return hit.p;
    const entry = { at: now, done: false, p: this.runtime.stats(name) };
    this.statsCache.set(name, entry);
    entry.p.then(
      () => {
        entry.done = true;
        entry.at = Date.now();
      },
      () => {
        if (this.statsCache.get(name) === entry) this.statsCache.delete(name);
      },
    );
    return entry.p;
  }

  close(): void {
    this.unwatch();
  }

  // Docker reports progress many times a second per layer: forward status changes at once,
  // byte counts at most every PULL_EVENT_MIN_INTERVAL_MS per layer.
  private progress(image: string): (p: PullProgress) => void {
    const last = new Map<string, { status: string; at: number }>();
    return (p) => {
      const key = p.id ?? '';
      const prev = last.get(key);
      const now = Date.now();
      if (prev && prev.status === p.status && now - prev.at < PULL_EVENT_MIN_INTERVAL_MS) return;
      last.set(key, { status: p.status, at: now });
      this.bus.publish('pull', {
        type: 'pull',
        image,
        status: p.id ? `${p.id}: ${p.status}` : p.status,
        ...(p.current !== undefined ? { current: p.current } : {}),
        ...(p.total !== undefined ? { total: p.total } : {}),
      });
    };
  }
}
