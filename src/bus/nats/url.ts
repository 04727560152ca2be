// What `--bus` (or OSMO_BUS) names: one or more NATS servers, comma-separated, each
// nats://HOST:PORT or tls://HOST:PORT (TLS required). Credentials may ride in the URL
// (nats://user:password@host or nats://token@host) or come from files (BusAuthFiles): a
// .creds file (JWT + nkey, NATS's decentralized auth), an nkey seed, a CA and a client
// certificate for TLS. Nothing here opens a connection (connect.ts does).
import { invalid } from '../../shared/errors.js';

export interface BusAuthFiles {
  /** NATS user credentials file (JWT and nkey seed), e.g. from `nsc generate creds` */
  creds?: string;
  /** a file holding the user's nkey seed (SU…) */
  nkeySeed?: string;
  /** CA bundle that signed the servers' certificates (implies TLS) */
  ca?: string;
  /** client certificate and key, for servers that verify clients (mutual TLS) */
  cert?: string;
  key?: string;
}

export interface BusTarget {
  /** host:port of every server, credentials stripped */
  servers: string[];
  /** TLS required (a tls:// URL, or a CA / client certificate given) */
  tls: boolean;
  user?: string;
  pass?: string;
  token?: string;
}

/** Parses --bus; throws a 400-kind error naming what is wrong. */
export function parseBusUrl(spec: string): BusTarget {
  const parts = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw invalid('--bus: name at least one server, e.g. nats://127.0.0.1:4222');
  const out: BusTarget = { servers: [], tls: false };
  for (const p of parts) {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw invalid(`--bus: "${p}" is not a URL (nats://host:4222 or tls://host:4222)`);
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw invalid(`--bus: "${p}" must be nats:// or tls://, not ${u.protocol}`);
    if (!u.hostname) throw invalid(`--bus: "${p}" names no host`);
    if (u.pathname && u.pathname !== '/') throw invalid(`--bus: "${p}" must not have a path`);
    if (u.protocol === 'tls:') out.tls = true;
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    if (user && pass) {
      if ((out.user && out.user !== user) || out.token) throw invalid('--bus: the servers name different credentials; give one set');
      out.user = user;
      out.pass = pass;
    } else if (user) {
      if ((out.token && out.token !== user) || out.user) throw invalid('--bus: the servers name different credentials; give one set');
      out.token = user;
    }
    // an IPv6 hostname comes bracketed already
    out.servers.push(`${u.hostname}:${u.port || '4222'}`);
  }
  return out;
}

/** The URL without credentials, for logs and messages. */
export function redactBusUrl(spec: string): string {
  return spec.replace(/\/\/[^@/,]*@/g, '//***@');
}

/** The auth files from the environment (OSMO_BUS_CREDS, OSMO_BUS_NKEY, OSMO_BUS_CA, OSMO_BUS_CERT, OSMO_BUS_KEY); here so the CLI reads them without loading the NATS client. */
export function busAuthFromEnv(env: NodeJS.ProcessEnv = process.env): BusAuthFiles {
  return {
    ...(env.OSMO_BUS_CREDS ? { creds: env.OSMO_BUS_CREDS } : {}),
    ...(env.OSMO_BUS_NKEY ? { nkeySeed: env.OSMO_BUS_NKEY } : {}),
    ...(env.OSMO_BUS_CA ? { ca: env.OSMO_BUS_CA } : {}),
    ...(env.OSMO_BUS_CERT ? { cert: env.OSMO_BUS_CERT } : {}),
    ...(env.OSMO_BUS_KEY ? { key: env.OSMO_BUS_KEY } : {}),
  };
}
