// The join token: created on first start in <data-dir>/join-token (mode 0600), read
// on every later start, so agents and clients keep working across restarts. Rotation
// (`osmo token rotate-join`) writes a new one in its place.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
    const t = readFileSync(file, 'utf8').trim();
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
