// Cores of one cluster serve with one CA: the agents pin its fingerprint (the join token),
// and a follower checks the leader's certificate against it when it forwards. The first core
// on a PostgreSQL store to need its own CA publishes it there (kv `core/ca`), its key sealed
// with AES-256-GCM under a key derived from the command key, which every core of a cluster
// shares already (docs/production.md, "How to add a core"): the store alone does not give the
// CA away, and a core started on the store with no CA in its data dir takes the cluster's
// instead of making a second one. A data dir holding another CA is refused at start.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { caFingerprint } from '../../shared/join-token.js';
import type { Store } from '../../store/index.js';
import { loadOrCreateCa, type CoreCa } from './ca.js';
import { loadOrCreateKey, writeSecretFile } from './secrets.js';
import { seal, unseal } from './seal.js';

const KEY = 'core/ca';
const Stored = z.object({ cert: z.string(), sealedKey: z.string() });
type Stored = z.infer<typeof Stored>;

const PURPOSE = 'osmo cluster CA key';

const short = (pem: string) => caFingerprint(pem).slice(0, 16);

/**
 * The cluster's CA for a core on a shared (PostgreSQL) store: the one in the store if a core
 * published it, else this data dir's (made if absent), published for the next cores.
 */
export async function loadClusterCa(store: Store, dataDir: string, names: readonly string[]): Promise<CoreCa> {
  const certFile = join(dataDir, 'ca.pem');
  const keyFile = join(dataDir, 'ca-key.pem');
  const commandKey = loadOrCreateKey(join(dataDir, 'command-key'));
  const hadLocal = existsSync(certFile) && existsSync(keyFile);
  const read = async (): Promise<Stored | undefined> => {
    const raw = await store.kv.get(KEY);
    return raw === undefined ? undefined : Stored.parse(JSON.parse(raw));
  };
  const adopt = (s: Stored, replacing: boolean): void => {
    if (hadLocal && !replacing) {
      const local = readFileSync(certFile, 'utf8');
      if (local.trim() !== s.cert.trim())
        throw new Error(
          `${certFile} (CA ${short(local)}…) is not the CA of the cluster on this store (${short(s.cert)}…): move ca.pem and ca-key.pem out of the data dir to take the cluster's`,
        );
      return;
    }
    let key: string;
    try {
      key = unseal(commandKey, PURPOSE, s.sealedKey);
    } catch {
      throw new Error(
        `the cluster's CA in the store is sealed with another command key: copy command-key (and join-token) from a running core's data dir into ${dataDir} (docs/production.md, "How to add a core")`,
      );
    }
    rmSync(keyFile, { force: true });
    writeSecretFile(keyFile, key);
    writeSecretFile(certFile, s.cert);
  };

  const stored = await read();
  if (stored) {
    adopt(stored, false);
    return loadOrCreateCa(dataDir, names);
  }
  const mine = await loadOrCreateCa(dataDir, names);
  const sealedKey = seal(commandKey, PURPOSE, readFileSync(keyFile, 'utf8'));
  const winner = Stored.parse(JSON.parse(await store.kv.setIfAbsent(KEY, JSON.stringify({ cert: mine.pem, sealedKey }))));
  if (winner.cert.trim() === mine.pem.trim()) return mine;
  // another core published its CA between our read and write
  adopt(winner, !hadLocal);
  return loadOrCreateCa(dataDir, names);
}
