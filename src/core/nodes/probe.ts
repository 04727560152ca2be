// The connect probe on suspicion. A silent node may be a dead agent process on a live host,
// a dead or cut-off host, or a hung agent. Only the first leaves a trace the core can read at
// once: the host's kernel answers a TCP SYN to a port nobody listens on with a reset, which
// connect() reports as ECONNREFUSED. That is proof the agent process is gone (docs/decisions.md),
// so the node is down without waiting for the down floor. Everything else (a connect that
// succeeds, a timeout, an unreachable host) says nothing a heartbeat silence did not already
// say, and the detector decides as before.
import { connect } from 'node:net';

/** host and port a probe connects to */
export interface ProbeTarget {
  host: string;
  port: number;
}

/**
 * Where the agent at `address` listens, or null when it cannot be probed: an agent on the bus
 * (nats://<node id>, behind NAT) or one registered with a wildcard address has no address the
 * core can dial.
 */
export function probeTarget(address: string): ProbeTarget | null {
  let u: URL;
  try {
    u = new URL(address);
  } catch {
    return null;
  }
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : NaN;
  // WHATWG URLs keep IPv6 hosts in brackets; connect() wants the bare address
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  // an agent that registered its wildcard listen address names no host: dialled from the core,
  // 0.0.0.0 is the core's own machine, whose refusal would say nothing about the agent
  if (!Number.isInteger(port) || !host || host === '0.0.0.0' || host === '::') return null;
  return { host, port };
}

/** How a probe ended: 'connected', 'timeout', or the error code of a failed connect (ECONNREFUSED, EHOSTUNREACH, …). */
export type ProbeOutcome = 'connected' | 'timeout' | string;

/** True when the outcome proves the agent process dead: only a refused connect does. */
export function refusedMeansDown(outcome: ProbeOutcome): boolean {
  return outcome === 'ECONNREFUSED';
}

/**
 * What a probe's outcome does to a node that turned suspect with its last heartbeat at
 * `beatAtSuspicion`: 'down' only for a refused connect, and only while that same silence
 * lasts (still suspect, no heartbeat since, not re-registered: `now` is the node as it is
 * when the probe ends, undefined if it was removed). Anything else leaves it to the detector.
 */
export function probeVerdict(
  outcome: ProbeOutcome,
  beatAtSuspicion: number,
  now: { status: string; lastHeartbeat: number } | undefined,
): 'down' | 'none' {
  if (!refusedMeansDown(outcome) || !now) return 'none';
  return now.status === 'suspect' && now.lastHeartbeat === beatAtSuspicion ? 'down' : 'none';
}

/** One TCP connect to `t` (no TLS, no bytes sent), closed at once; never rejects. */
export function connectProbe(t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const s = connect({ host: t.host, port: t.port });
    const done = (o: ProbeOutcome) => {
      clearTimeout(timer);
      s.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    s.once('connect', () => done('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}
