// Who may call the agent API. Like Docker's local socket, an agent listening on loopback is
// open — unless a token was configured explicitly (the core always configures one). On any
// other address a token is mandatory: from --token, OSMO_TOKEN, or generated once into
// <data-dir>/agent-token (mode 0600) so it survives restarts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopback } from '../shared/net.js';

export { isLoopback };
export { bearerMatches } from '../shared/route-auth.js';

export interface TokenDecision {
  /** undefined = the API is open */
  token: string | undefined;
  source: 'flag' | 'env' | 'file' | 'generated' | 'none';
}

export function resolveToken(listenHost: string, dataDir: string, flag?: string, env: NodeJS.ProcessEnv = process.env): TokenDecision {
  if (flag) return { token: flag, source: 'flag' };
  if (env.OSMO_TOKEN) return { token: env.OSMO_TOKEN, source: 'env' };
  if (isLoopback(listenHost)) return { token: undefined, source: 'none' };
  const file = join(dataDir, 'agent-token');
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return { token: t, source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const t = randomBytes(24).toString('base64url');
  writeFileSync(file, t + '\n', { mode: 0o600 });
  return { token: t, source: 'generated' };
}
