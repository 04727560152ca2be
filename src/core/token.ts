// The join token: created on first start in <data-dir>/join-token (mode 0600), read
// on every later start, so agents and clients keep working across restarts. Rotation
// (`osmo token rotate-join`) writes a new one in its place. A core with its own CA writes the
// pinned form (src/shared/join-token.ts); the secret inside is what it checks.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJoinToken, pinnedJoinToken } from '../shared/join-token.js';
import { writeSecretFile } from './security/secrets.js';

export const newJoinToken = (): string => `osmo_${randomBytes(24).toString('base64url')}`;

export function joinTokenFile(dataDir: string): string {
  return join(dataDir, 'join-token');
}

export function loadOrCreateToken(dataDir: string): string {
  // owner-only when we create it: it holds the join token, the command key and the store
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = joinTokenFile(dataDir);
  if (existsSync(file)) {
    const t = parseJoinToken(readFileSync(file, 'utf8')).secret;
    if (t.length >= 16) {
      // an older release or a hand-made file may be wider open than it should be
      chmodSync(file, 0o600);
      return t;
    }
  }
  const t = newJoinToken();
  writeSecretFile(file, `${t}\n`);
  return t;
}

/** The token as given to agents: pinned to the CA when the core has one of its own. */
export function joinTokenText(secret: string, caSha256: string | undefined): string {
  return caSha256 ? pinnedJoinToken(secret, caSha256) : secret;
}

/** Writes the join token file in the form agents are given. */
export function writeJoinToken(dataDir: string, secret: string, caSha256: string | undefined): void {
  writeSecretFile(joinTokenFile(dataDir), `${joinTokenText(secret, caSha256)}\n`);
}
