// Secrets and their fingerprints. A secret osmo issues (node credential, API token) is
// `<prefix><id>_<random>`: the id says which record to check without a table scan, the
// random part is 32 bytes from the CSPRNG and only its SHA-256 is stored. A plain hash is
// enough because the secret has full entropy (nothing to brute-force, unlike a password).
import { createHash, createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const NODE_PREFIX = 'osmon_';
export const TOKEN_PREFIX = 'osmot_';

export interface Issued {
  id: string;
  secret: string;
  hash: string;
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A new secret with its public id and the hash to store. */
export function issue(prefix: string): Issued {
  const id = randomBytes(6).toString('hex');
  const secret = `${prefix}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, secret, hash: sha256(secret) };
}

/** The record id a presented secret names, if it has the shape of one we issue. */
export function idOf(prefix: string, presented: string): string | undefined {
  if (!presented.startsWith(prefix)) return undefined;
  const m = /^([0-9a-f]{12})_[A-Za-z0-9_-]{20,}$/.exec(presented.slice(prefix.length));
  return m?.[1];
}

/** constant-time: does the presented secret hash to the stored hash? */
export function hashMatches(presented: string, storedHash: string): boolean {
  // the digest's bytes straight, not through hex and back: every heartbeat comes through here
  const a = hash('sha256', presented, 'buffer');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** constant-time string equality */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HMAC-SHA256 of `data` under `key`, base64url */
export const hmac = (key: Buffer, data: string): string => createHmac('sha256', key).update(data).digest('base64url');

/** Writes a secret file readable by its owner only (mode 0600 also when the file existed). */
export function writeSecretFile(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A random key kept in a 0600 file, created on first use. */
export function loadOrCreateKey(file: string): Buffer {
  if (existsSync(file)) {
    const k = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (k.length >= 32) {
      chmodSync(file, 0o600);
      return k;
    }
  }
  const k = randomBytes(32);
  writeSecretFile(file, `${k.toString('base64url')}\n`);
  return k;
}
