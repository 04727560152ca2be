// Probes (beyond the seed; the OCCI metrics http-probe and tcp-reachable): an HTTP GET or a
// TCP dial this agent runs on a period against one of its instances (at the port this host
// publishes) or a host, so the measurement is taken next to the target, as the seed's
// monitoring microservices were. Each run publishes one "probe" event: up (1/0), latency
// (ms), status (the HTTP code, 0 without an answer).
import { connect } from 'node:net';
import type { PubSub } from '../../bus/pubsub.js';
import type { AgentEventBody } from '../../bus/events.js';
import type { InstanceInfo } from '../../runtime/types.js';
import { dialHost } from '../../runtime/health.js';
import { notFound } from '../../shared/errors.js';

export interface ProbeSpec {
  kind: 'http' | 'tcp';
  instance?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
  timeoutMs: number;
  /** seconds */
  time: number;
}

interface Running {
  id: string;
  spec: ProbeSpec;
  samples: number;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

type Outcome = { up: boolean; latency: number; status: number; target: string };

export class ProbeService {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly bus: PubSub<AgentEventBody>,
    private readonly instance: (name: string) => Promise<InstanceInfo | undefined>,
  ) {}

  /** Starts probe `id`, or replaces its spec (the next run follows the new one). */
  put(id: string, spec: ProbeSpec): 'started' | 'replaced' {
    const cur = this.running.get(id);
    if (cur) this.halt(cur);
    const p: Running = { id, spec, samples: cur?.samples ?? 0, stopped: false };
    this.running.set(id, p);
    this.schedule(p, 0);
    return cur ? 'replaced' : 'started';
  }

  stop(id: string): void {
    const p = this.running.get(id);
    if (!p) throw notFound(`no probe ${id}`);
    this.halt(p);
    this.running.delete(id);
  }

  list(): { id: string; kind: 'http' | 'tcp'; target: string; period: number; samples: number }[] {
    return [...this.running.values()].map((p) => ({
      id: p.id,
      kind: p.spec.kind,
      target: p.spec.instance ?? `${p.spec.host}:${p.spec.port}`,
      period: p.spec.time,
      samples: p.samples,
    }));
  }

  close(): void {
    for (const p of this.running.values()) this.halt(p);
    this.running.clear();
  }

  private halt(p: Running): void {
    p.stopped = true;
    if (p.timer) clearTimeout(p.timer);
  }

  // A fixed rate: the next run is due one period after this one started, whatever it took.
  private schedule(p: Running, delayMs: number): void {
    p.timer = setTimeout(() => void this.run(p), Math.max(0, delayMs));
    p.timer.unref();
  }

  private async run(p: Running): Promise<void> {
    const started = Date.now();
    const o = await this.once(p.spec).catch((e: unknown) => ({
      up: false,
      latency: 0,
      status: 0,
      target: p.spec.instance ?? String(p.spec.host),
      error: (e as Error).message,
    }));
    if (p.stopped) return;
    p.samples++;
    this.bus.publish('probe', {
      type: 'probe',
      id: p.id,
      kind: p.spec.kind,
      target: o.target,
      fields: {
        up: { value: o.up ? 1 : 0, unit: 'bool' },
        latency: { value: Math.round(o.latency * 1000) / 1000, unit: 'ms' },
        status: { value: o.status, unit: 'code' },
      },
    });
    this.schedule(p, started + p.spec.time * 1000 - Date.now());
  }

  private async once(s: ProbeSpec): Promise<Outcome> {
    let host: string;
    let port: number;
    let target: string;
    if (s.instance !== undefined) {
      target = s.instance;
      const i = await this.instance(s.instance);
      if (!i || i.state !== 'running') return { up: false, latency: 0, status: 0, target };
      const pub = i.ports.find((x) => x.protocol === 'tcp' && (s.port === undefined || x.containerPort === s.port));
      if (!pub) return { up: false, latency: 0, status: 0, target };
      host = dialHost(pub.hostIp);
      port = pub.hostPort;
    } else {
      host = s.host!;
      port = s.port!;
      target = `${host}:${port}`;
    }
    const t0 = performance.now();
    if (s.kind === 'tcp') {
      const up = await dial(host, port, s.timeoutMs);
      return { up, latency: performance.now() - t0, status: 0, target };
    }
    const h = host.includes(':') ? `[${host}]` : host;
    try {
      const res = await fetch(`http://${h}:${port}${s.path ?? '/'}`, { signal: AbortSignal.timeout(s.timeoutMs), redirect: 'manual' });
      await res.arrayBuffer();
      return { up: res.status < 500, latency: performance.now() - t0, status: res.status, target };
    } catch {
      return { up: false, latency: performance.now() - t0, status: 0, target };
    }
  }
}

/** Whether a TCP connection opens within timeoutMs (the seed's IsReachable{maxdelay}). */
function dial(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
