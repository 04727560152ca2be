// Where the other cores reach this one. The lease holder's name carries it after the last
// "@" (`host:pid@advertised-host:port`), so the leader row in the store says where the leader
// is, and a follower needs nothing else to forward to it.
import { hostname } from 'node:os';

/** `--advertise` if given; else the listen address, with a wildcard replaced by this machine's name. */
export function advertisedAddress(listen: { host: string; port: number }, advertise?: string): string {
  if (advertise) return advertise;
  const wildcard = listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '';
  const host = wildcard ? hostname() : listen.host;
  return `${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}

export function holderName(address: string): string {
  return `${hostname()}:${process.pid}@${address}`;
}

/** The base URL of the core a holder name advertises; undefined for a name without one. */
export function holderUrl(holder: string, scheme: 'http' | 'https'): string | undefined {
  const at = holder.lastIndexOf('@');
  if (at < 0) return undefined;
  const addr = holder.slice(at + 1);
  try {
    const u = new URL(`${scheme}://${addr}`);
    return u.port ? u.origin : undefined;
  } catch {
    return undefined;
  }
}
