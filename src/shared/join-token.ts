// The join token an agent is given: the core's secret, and — when the core serves HTTPS with
// the CA it made itself — the SHA-256 of that CA, so that an agent joining over the network
// can tell the real core from one in the middle without being handed a CA file first (the
// idea of Docker swarm's join tokens, which carry the digest of the swarm's root CA).
//   osmo_<secret>                         a plain token: no pin (loopback, http://, --tls-cert)
//   osmoj1-<64 hex: sha256 of CA DER>-osmo_<secret>   a pinned token
// The core accepts either form wherever it accepts the join token; the pin is for the agent.
import { X509Certificate } from 'node:crypto';

const PINNED = /^osmoj1-([0-9a-f]{64})-(\S+)$/;

export interface JoinToken {
  /** what travels as the bearer */
  secret: string;
  /** lowercase hex SHA-256 of the core's CA certificate (DER), when the token carries one */
  caSha256?: string;
}

/** Splits a token as given (flag, environment, file) into the secret and the CA pin. */
export function parseJoinToken(token: string): JoinToken {
  const m = PINNED.exec(token.trim());
  return m ? { secret: m[2]!, caSha256: m[1]! } : { secret: token.trim() };
}

/** The pinned form of a secret. */
export function pinnedJoinToken(secret: string, caSha256: string): string {
  return `osmoj1-${caSha256}-${secret}`;
}

/** Lowercase hex SHA-256 of the first certificate of a PEM (what a pinned token carries). */
export function caFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}
