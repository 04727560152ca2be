// The two DNS-SD service types osmo speaks and what their TXT records carry.

/** pycloud's type: a cloudlet API (pycloud's Avahi file: `_cloudlet._tcp`, TXT `encryption=disabled`). */
export const CLOUDLET_TYPE = 'cloudlet';
/** osmo's own type: a node agent's REST API. */
export const AGENT_TYPE = 'osmo';

/** The cloudlet TXT record, exactly pycloud's: clients read `encryption` to choose the plain API. */
export const CLOUDLET_TXT = { encryption: 'disabled' } as const;

export type ServiceKind = 'cloudlet' | 'agent';
export const TYPE_OF: Record<ServiceKind, string> = { cloudlet: CLOUDLET_TYPE, agent: AGENT_TYPE };

/** One announcement heard on the LAN. */
export interface Found {
  kind: ServiceKind;
  /** the DNS-SD instance name, e.g. "edge-1" */
  name: string;
  /** the SRV target, e.g. "edge-1.local" */
  host: string;
  port: number;
  /** addresses of the SRV target, IPv4 first; the responder's own address when it sent none */
  addresses: string[];
  txt: Record<string, string>;
}

/** The base URL to reach a found service on: its first IPv4 address (link-local IPv6 needs a zone). */
export function baseUrl(f: Found, scheme = 'http'): string | undefined {
  const a = f.addresses[0];
  if (!a) return undefined;
  return `${scheme}://${a.includes(':') ? `[${a}]` : a}:${f.port}`;
}
