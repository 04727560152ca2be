// Opens the process's one NATS connection. It reconnects forever (an outage of the bus is
// a wait, never a crash: the agent's outbox keeps events, the core resumes its consumer),
// and a server list from the cluster's gossip is used on top of the ones given.
import { readFileSync } from 'node:fs';
import { AuthorizationError, credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { parseBusUrl, redactBusUrl, type BusAuthFiles } from './url.js';

export type { NatsConnection };

export interface BusOptions extends BusAuthFiles {
  /** --bus: nats://host:4222[,…] */
  url: string;
  /** how this client shows in the servers' monitoring (e.g. "osmo-agent nb-1") */
  name: string;
  /**
   * where replies to this client's requests arrive: an agent uses _INBOX.<node id>, so NATS
   * permissions can let each node read its own replies only (docs/security.md "The bus")
   */
  inboxPrefix?: string;
}

/**
 * Connects, retrying while no server answers (a bus that starts after us is waited for, and
 * `log` says so); refused credentials fail at once, since waiting will not fix them.
 */
export async function connectBus(o: BusOptions, log: (msg: string) => void = () => {}, timeoutMs = 5_000): Promise<NatsConnection> {
  const t = parseBusUrl(o.url);
  const opts: ConnectionOptions = {
    servers: t.servers,
    name: o.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: timeoutMs,
    // no Error (with its stack) made ahead for every request in case it fails: at a thousand
    // heartbeats and commands a second that was 5 % of a leader's CPU (docs/benchmarks.md, "Agents
    // on the bus"); a failed request still says its subject, through our own messages
    noAsyncTraces: true,
    ...(o.inboxPrefix ? { inboxPrefix: o.inboxPrefix } : {}),
    ...(t.user ? { user: t.user, pass: t.pass } : {}),
    ...(t.token ? { token: t.token } : {}),
  };
  if (o.creds) opts.authenticator = credsAuthenticator(readFileSync(o.creds));
  else if (o.nkeySeed) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(o.nkeySeed, 'utf8').trim()));
  if (t.tls || o.ca || o.cert) {
    opts.tls = {
      ...(o.ca ? { caFile: o.ca } : {}),
      ...(o.cert ? { certFile: o.cert } : {}),
      ...(o.key ? { keyFile: o.key } : {}),
    };
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await connect(opts);
    } catch (e) {
      if (e instanceof AuthorizationError) throw new Error(`bus ${redactBusUrl(o.url)}: ${e.message}`, { cause: e });
      if (attempt === 0 || attempt % 20 === 0) log(`bus ${redactBusUrl(o.url)} unreachable (${(e as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
    }
  }
}
