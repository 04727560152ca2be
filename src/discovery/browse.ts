// Browsing: who answers for `_cloudlet._tcp` and `_osmo._tcp` on the LAN within a deadline.
// mDNS has no "that was everyone": a browse is a listen of fixed length, re-asking on the
// way (1 s, 2 s, 4 s ... as RFC 6762 §5.2 spaces them) in case a query or answer was lost.
import { isIP } from 'node:net';
import type { Bonjour, Service } from 'bonjour-service';
import { openMdns } from './mdns.js';
import { TYPE_OF, type Found, type ServiceKind } from './types.js';

export interface DiscoverOptions {
  kinds: ServiceKind[];
  timeoutMs: number;
  /** IPv4 address of the interface to ask on */
  interface?: string;
  log?: (msg: string) => void;
}

/** Everything of the given kinds that answered within the deadline, sorted by kind and name. */
export async function discover(o: DiscoverOptions): Promise<Found[]> {
  const b = openMdns({ ...(o.interface ? { interface: o.interface } : {}), ...(o.log ? { log: o.log } : {}) });
  try {
    return await browseOn(b, o.kinds, o.timeoutMs);
  } finally {
    await new Promise<void>((r) => b.destroy(() => r()));
  }
}

/** Browses on an open socket (the announcer's probe uses its own). */
export async function browseOn(b: Bonjour, kinds: ServiceKind[], ms: number): Promise<Found[]> {
  const seen = new Map<string, Found>();
  const browsers = kinds.map((kind) => {
    const br = b.find({ type: TYPE_OF[kind] });
    const put = (s: Service) => {
      const f = toFound(kind, s);
      if (f) seen.set(`${kind}/${f.name}`, f);
    };
    br.on('up', put);
    br.on('srv-update', put);
    br.on('txt-update', put);
    br.on('down', (s: Service) => seen.delete(`${kind}/${nameOf(s)}`));
    return br;
  });
  const timers: NodeJS.Timeout[] = [];
  for (let at = 1000; at < ms; at *= 2) timers.push(setTimeout(() => browsers.forEach((br) => br.update()), at));
  await new Promise((r) => setTimeout(r, ms));
  timers.forEach(clearTimeout);
  browsers.forEach((br) => br.stop());
  return [...seen.values()].sort((x, y) => x.kind.localeCompare(y.kind) || x.name.localeCompare(y.name));
}

/** The instance name from the FQDN: the library keeps only the text before the first dot. */
function nameOf(s: Service): string {
  const suffix = `._${s.type}._${s.protocol}.local`;
  return s.fqdn?.toLowerCase().endsWith(suffix) ? s.fqdn.slice(0, -suffix.length) : s.name;
}

/** One heard announcement as osmo reports it; undefined when it lacks a port or a target. */
export function toFound(kind: ServiceKind, s: Service): Found | undefined {
  if (!s.port || !s.host) return undefined;
  const own = (s.addresses ?? []).filter((a) => isIP(a) !== 0);
  // A multi-homed responder lists every interface's address (bonjour-service does): the one
  // its answer came from is on our link, so it goes first. Then IPv4, then global IPv6, and
  // link-local IPv6 last (a URL cannot use it without a zone). No address record at all: the
  // answer's source is where it lives.
  const from = s.referer?.address;
  const rank = (a: string) => (a === from ? -1 : isIP(a) === 4 ? 0 : a.toLowerCase().startsWith('fe80:') ? 2 : 1);
  const addresses = [...new Set(own)].sort((x, y) => rank(x) - rank(y));
  if (addresses.length === 0 && from) addresses.push(from);
  const txt: Record<string, string> = {};
  for (const [k, v] of Object.entries((s.txt ?? {}) as Record<string, unknown>)) txt[k] = Buffer.isBuffer(v) ? v.toString() : String(v);
  return { kind, name: nameOf(s), host: s.host, port: s.port, addresses, txt };
}
