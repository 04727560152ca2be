// coreClient(): the typed core client the flags of a client command name. Apart from
// common.ts, which every command loads (the agent too), because the client brings the core's
// schemas along.
import { existsSync, readFileSync } from 'node:fs';
import { CoreClient } from '../client/index.js';
import { trustCa } from '../client/exchange.js';
import { invalid } from '../shared/errors.js';
import { CA_FILE, DEFAULT_CORE, TOKEN_FILE, type ClientFlags } from './common.js';

/** The core named by the flags, the environment or the default, with the first token found. */
export function coreClient(f: ClientFlags): CoreClient {
  trustCoreCa(f);
  const token = f.token ?? process.env.OSMO_TOKEN ?? (existsSync(TOKEN_FILE) ? readFileSync(TOKEN_FILE, 'utf8').trim() : undefined);
  return new CoreClient({ base: f.core ?? process.env.OSMO_CORE ?? DEFAULT_CORE, token, timeoutMs: 120_000 });
}

/** The CA named by --ca or OSMO_CA (a missing file is an error), else the local core's, if there is one. */
function trustCoreCa(f: ClientFlags): void {
  const named = f.ca ?? (process.env.OSMO_CA || undefined);
  const file = named ?? (existsSync(CA_FILE) ? CA_FILE : undefined);
  if (!file) return;
  try {
    trustCa(readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalid(`--ca ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
