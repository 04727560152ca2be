// Announces this node over mDNS/DNS-SD: the cloudlet API as pycloud's `_cloudlet._tcp` and,
// when asked, the agent API as `_osmo._tcp`. Names are claimed after a short listen for
// the same names on the LAN (a second "raspberrypi" becomes "raspberrypi (2)"), and
// withdrawn with goodbye packets (TTL 0) on close, so browsers drop them at once instead
// of waiting for their TTL to run out.
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Bonjour, Service } from 'bonjour-service';
import { isLoopback } from '../shared/net.js';
import { AGENT_TYPE, CLOUDLET_TXT, CLOUDLET_TYPE, type ServiceKind } from './types.js';

export interface AnnounceOptions {
  /** the instance name of both announcements (pycloud uses the host name; osmo's node id defaults to it) */
  nodeId: string;
  layer: string;
  domain: string;
  /** announce the agent's REST API as `_osmo._tcp` */
  agent?: { port: number; path: string; tls: boolean };
  /** announce the cloudlet API as `_cloudlet._tcp` with TXT `encryption=disabled` */
  cloudlet?: { port: number };
  /** IPv4 address of the interface to announce on (default: the multicast route's) */
  interface?: string;
  /** how long to listen for the same names before claiming them; default 750 ms (RFC 6762's probing time) */
  probeMs?: number;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

export interface Announcement {
  /** what is announced, under which instance name */
  readonly services: ReadonlyArray<{ kind: ServiceKind; name: string; port: number }>;
  /** sends the goodbyes and closes the socket; idempotent */
  close(): Promise<void>;
}

/**
 * Why these announcement options cannot work with an API listening on `listenHost`, or
 * undefined. An agent API on a loopback address is unreachable from the LAN: announcing it
 * would send every browser to a closed port.
 */
export function announceProblem(listenHost: string, a: { agent?: boolean; interface?: string } | undefined): string | undefined {
  if (a?.agent && isLoopback(listenHost))
    return `--mdns: the agent listens on ${listenHost}, which other hosts cannot reach; give --listen an address of the LAN (or 0.0.0.0:PORT)`;
  if (a?.interface !== undefined && isIP(a.interface) !== 4) return `--mdns-interface: "${a.interface}" is not an IPv4 address`;
  return undefined;
}

/** The TXT record of `_osmo._tcp`: enough for a client to call the agent without asking first. */
export function agentTxt(o: Pick<AnnounceOptions, 'nodeId' | 'layer' | 'domain'>, api: { path: string; tls: boolean }) {
  return { node: o.nodeId, layer: o.layer, domain: o.domain, path: api.path, scheme: api.tls ? 'https' : 'http' };
}

/** A node id as one DNS label: dots and underscores become dashes; the host name if nothing is left. */
export function hostLabel(nodeId: string): string {
  return nodeId.replace(/[._]+/g, '-').replace(/^-+|-+$/g, '') || hostname().split('.')[0] || 'osmo';
}

/** `base`, or `base (2)`, `base (3)`, ... : the first one nobody answers for (Avahi's renaming). */
export function freeName(base: string, taken: ReadonlySet<string>): { name: string; n: number } {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base} (${n})`;
    if (!taken.has(name.toLowerCase())) return { name, n };
  }
}

/** Starts the announcements; resolves once they are on the wire. Nothing to announce: no socket is opened. */
export async function announce(o: AnnounceOptions): Promise<Announcement> {
  const log = o.log ?? (() => {});
  const wanted: Array<{ kind: ServiceKind; type: string; port: number; txt: Record<string, string> }> = [];
  if (o.cloudlet) wanted.push({ kind: 'cloudlet', type: CLOUDLET_TYPE, port: o.cloudlet.port, txt: { ...CLOUDLET_TXT } });
  if (o.agent) wanted.push({ kind: 'agent', type: AGENT_TYPE, port: o.agent.port, txt: agentTxt(o, o.agent) });
  if (wanted.length === 0) return { services: [], close: async () => {} };

  // the mDNS stack (bonjour-service and its DNS codec) is loaded only by an agent that announces
  const { openMdns } = await import('./mdns.js');
  const b = openMdns({ ...(o.interface ? { interface: o.interface } : {}), log: (m) => log('warn', m) });
  const taken = await namesInUse(
    b,
    wanted.map((w) => w.type),
    o.probeMs ?? 750,
  );
  // bonjour-service turns dots in an instance name into dashes; compare what will be sent
  const base = o.nodeId.split('.').join('-');
  const { name, n } = freeName(base, taken);
  if (n > 1) log('warn', `mDNS: "${base}" is already announced on this network; announcing as "${name}"`);
  // The SRV target: `<node id>.local` (the host name unless --node-id says otherwise). Node ids
  // are unique in a cluster while host names often are not (every board called
  // "raspberrypi"), and bonjour-service does not probe the host name; renamed along with the
  // instance on a clash.
  const label = hostLabel(o.nodeId);
  const host = `${n > 1 ? `${label}-${n}` : label}.local`;

  const published: Service[] = wanted.map((w) =>
    // probing is done above, for all names at once: the library's own probe answers a clash
    // with goodbyes for the other host's name, which would erase it from every cache
    b.publish({ name, type: w.type, port: w.port, host, txt: w.txt, probe: false }),
  );
  await Promise.all(published.map((s) => upOrLate(s, 2000)));
  log('info', `mDNS: announcing ${wanted.map((w) => `_${w.type}._tcp "${name}" on port ${w.port}`).join(', ')}`);

  let closing: Promise<void> | undefined;
  return {
    services: wanted.map((w) => ({ kind: w.kind, name, port: w.port })),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        // a goodbye that cannot be sent must not hold the shutdown
        let finished = false;
        const late = setTimeout(done, 1000);
        function done() {
          if (finished) return;
          finished = true;
          clearTimeout(late);
          b.destroy(() => resolve());
        }
        b.unpublishAll(done);
      })),
  };
}

/** Lower-cased instance names other hosts answer for, of the given types, heard within `ms`. */
async function namesInUse(b: Bonjour, types: string[], ms: number): Promise<Set<string>> {
  const { browseOn } = await import('./browse.js');
  const found = await browseOn(
    b,
    types.map((t) => (t === CLOUDLET_TYPE ? 'cloudlet' : 'agent')),
    ms,
  );
  return new Set(found.map((f) => f.name.toLowerCase()));
}

function upOrLate(s: Service, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    s.once('up', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
