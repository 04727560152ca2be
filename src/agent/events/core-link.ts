// Keeps the agent registered with the core: registers (retrying with back-off until the core
// answers), then heartbeats at the interval the core asked for. A heartbeat the core refuses
// with 404 (it forgot us, e.g. after a core restart) triggers a fresh registration.
// A stored node credential the core does not know at all (401: its store was replaced) is
// dropped for the join token, which joins the node afresh; a refused one (403: revoked, or
// not this node's) is not: the node stays cut off until an operator acts.
import type { RegisterRequest, RegisterResponse } from '../../bus/protocol.js';
import { backoffMs, CoreError, type CoreClient } from './core-client.js';
import { withinMs } from '../../shared/within.js';

export interface CoreLinkOptions {
  client: CoreClient;
  registration: () => RegisterRequest;
  instances: () => Promise<string[]>;
  onRegistered?: (ackedSeq: number) => void;
  /** the core handed out a node credential and/or the token of its commands: keep them */
  onCredentials?: (r: Pick<RegisterResponse, 'credential' | 'agentToken'>) => void;
  log?: (msg: string) => void;
}

export class CoreLink {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt = 0;
  private intervalMs = 5000;

  /** the heartbeat interval the core asked for last */
  get heartbeatIntervalMs(): number {
    return this.intervalMs;
  }
  registered = false;
  /** when the core last answered a registration or heartbeat (the agent's start, before the first) */
  lastContact = Date.now();
  private failed = false;

  constructor(private readonly o: CoreLinkOptions) {}

  /**
   * The core is out of reach: the last attempt failed, or nothing came back for three
   * heartbeat intervals (on a cut link a request hangs until its timeout, 10 s, before it fails).
   */
  get cutOff(): boolean {
    return this.failed || Date.now() - this.lastContact > 3 * this.intervalMs;
  }

  private reached(): void {
    this.lastContact = Date.now();
    this.failed = false;
  }

  start(): void {
    void this.register();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private later(fn: () => Promise<void>, ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void fn(), ms);
    this.timer.unref();
  }

  private async register(): Promise<void> {
    try {
      const r = await this.o.client.register(this.o.registration());
      this.reached();
      if (r.credential) this.o.client.useCredential(r.credential);
      if (r.credential || r.agentToken) this.o.onCredentials?.({ credential: r.credential, agentToken: r.agentToken });
      this.registered = true;
      this.attempt = 0;
      this.intervalMs = r.heartbeatIntervalMs;
      this.o.onRegistered?.(r.ackedSeq);
      this.later(() => this.heartbeat(), this.intervalMs);
    } catch (e) {
      this.registered = false;
      this.failed = true;
      if (e instanceof CoreError && e.status === 401 && this.o.client.usingCredential) {
        this.o.log?.('the core does not know this node credential: joining again with the join token');
        this.o.client.useCredential(undefined);
        this.later(() => this.register(), 0);
        return;
      }
      this.o.log?.(`register failed (attempt ${this.attempt + 1}): ${(e as Error).message}`);
      // capped at 5 s: a core that comes back should not wait half a minute for its nodes
      this.later(() => this.register(), backoffMs(this.attempt++, 250, 5000));
    }
  }

  // Liveness must not wait on the engine: a busy dockerd can take seconds to list containers,
  // and a heartbeat held back that long reads as a dead node on the core (down after a few
  // intervals). So beats are fixed-rate (the next one is due an interval after this one began,
  // however long it takes), and the instance list rides along only when it is ready within
  // half an interval; a beat without a list is still a beat (the core skips its drift check).
  private async heartbeat(): Promise<void> {
    const began = Date.now();
    const id = this.o.registration().id;
    try {
      const instances = await withinMs(this.o.instances(), this.intervalMs / 2);
      const r = await this.o.client.heartbeat(instances ? { id, instances } : { id });
      // the core paces a large fleet: the interval it asks for grows with the number of nodes
      if (r.heartbeatIntervalMs > 0) this.intervalMs = r.heartbeatIntervalMs;
      this.reached();
      this.attempt = 0;
      this.later(() => this.heartbeat(), Math.max(0, began + this.intervalMs - Date.now()));
    } catch (e) {
      if (e instanceof CoreError && e.status === 404) {
        // the core answered: the link is up, only the registration is gone
        this.reached();
        this.registered = false;
        this.later(() => this.register(), 0);
        return;
      }
      this.failed = true;
      this.o.log?.(`heartbeat failed: ${(e as Error).message}`);
      this.later(() => this.heartbeat(), Math.min(Math.max(0, began + this.intervalMs - Date.now()), backoffMs(this.attempt++)));
    }
  }
}
