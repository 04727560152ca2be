// TLS in tests with hosts off loopback: a core there serves HTTPS with the CA it makes in its
// data dir (ca.pem) and writes a join token pinned to it; agents given that token pin the CA
// and get their API certificate from it. These helpers find what a test needs to trust the
// core, and every secret of a run, to check that none of them reached a log line.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './proc.js';

/** `<dataDir>/ca.pem` once the core has made it (at its first start off loopback). */
export async function coreCaFile(coreDataDir: string, timeoutMs = 60_000): Promise<string> {
  const file = join(coreDataDir, 'ca.pem');
  await eventually(() => existsSync(file) && existsSync(join(coreDataDir, 'join-token')), timeoutMs, `${file}`);
  return file;
}

/** The join token as the core wrote it (pinned to its CA when it has one). */
export const joinTokenOf = (coreDataDir: string): string => readFileSync(join(coreDataDir, 'join-token'), 'utf8').trim();

/** curl arguments trusting the core's CA (for nsCurl / nsJson) */
export const curlTrust = (coreDataDir: string): string[] => ['--cacert', join(coreDataDir, 'ca.pem')];

const read = (f: string): string | undefined => (existsSync(f) ? readFileSync(f, 'utf8') : undefined);

/** The lines of a PEM private key's body: any one of them in a log would be a leak. */
function keyLines(pem: string | undefined): string[] {
  return (pem ?? '').split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));
}

/**
 * Every secret in these data dirs: the join token (both forms) and the CA key of a core; the
 * node credential, command token and API key of an agent. Tokens seen elsewhere (a rotated
 * join token, an API token) are added by the caller.
 */
export function secretsIn(o: { cores?: string[]; agents?: string[] }): string[] {
  const out: string[] = [];
  for (const d of o.cores ?? []) {
    const t = read(join(d, 'join-token'))?.trim();
    if (t) out.push(t, t.replace(/^osmoj1-[0-9a-f]{64}-/, ''));
    out.push(...keyLines(read(join(d, 'ca-key.pem'))));
    const ck = read(join(d, 'command-key'))?.trim();
    if (ck) out.push(ck);
  }
  for (const d of o.agents ?? []) {
    const c = read(join(d, 'node-credential.json'));
    if (c) {
      const j = JSON.parse(c) as { credential?: string; agentToken?: string };
      if (j.credential) out.push(j.credential);
      if (j.agentToken) out.push(j.agentToken);
    }
    out.push(...keyLines(read(join(d, 'api-key.pem'))));
  }
  return [...new Set(out.filter((s) => s.length >= 16))];
}

/** The secrets (each shortened to its first 6 characters) found in `logs`. */
export function leakedSecrets(logs: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => logs.includes(s)).map((s) => `${s.slice(0, 6)}…`);
}
