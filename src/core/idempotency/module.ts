// Idempotency keys: the service the API's hooks use (installed by http/app.ts, so that every
// route module's POSTs honour the header) and the leader's periodic expiry of old keys.
import { defineModule } from '../module.js';
import { join } from 'node:path';
import { loadOrCreateKey } from '../security/secrets.js';
import { Idempotency } from './service.js';

/** How often the leader deletes expired keys (a key past its 24 h is ignored before that anyway). */
const EXPIRE_EVERY_MS = 10 * 60_000;

export const idempotency = defineModule({
  name: 'idempotency',
  deps: ['store'],
  leaderOnly: true,
  start({ store, leadership, config }) {
    // the key a cluster's cores share (and the CA is sealed with): kept answers are sealed with it
    const commandKey = loadOrCreateKey(join(config.dataDir, 'command-key'));
    const svc = new Idempotency(store, leadership?.holder ?? 'core', undefined, undefined, commandKey);
    const timer = setInterval(() => {
      svc.expire().catch((e: unknown) => process.emitWarning(`idempotency key expiry failed: ${String(e)}`));
    }, EXPIRE_EVERY_MS);
    timer.unref();
    return { service: svc, stop: () => clearInterval(timer) };
  },
});
