// The core's module registry: dependency order, refusal of broken lists, services handed
// to later modules, reverse stop order, deny-by-default auth for a module's routes.
import { test } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { CoreBase, CoreConfig } from '../../../src/core/context.js';
import { buildApp } from '../../../src/core/http/app.js';
import { CORE_MODULES } from '../../../src/core/index.js';
import { metrics } from '../../../src/core/metrics/module.js';
import { defineModule, startModules, startOrder, type AnyCoreModule } from '../../../src/core/module.js';
import { DEFAULT_LIVENESS } from '../../../src/core/nodes/service.js';
import { DEFAULT_RECONCILER } from '../../../src/core/reconciler/options.js';
import { state, store } from '../../../src/core/state-module.js';
import { tempDir } from '../../../testing/proc.js';

const mod = (name: string, deps: string[], log?: string[], extra: Partial<AnyCoreModule> = {}): AnyCoreModule => ({
  name,
  deps: deps as AnyCoreModule['deps'],
  start: () => {
    log?.push(`start ${name}`);
    return { stop: () => void log?.push(`stop ${name}`) };
  },
  ...extra,
});

const base = (openClientApi: boolean): CoreBase => {
  const dataDir = tempDir('osmo-modules-');
  const config: CoreConfig = {
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    store: { dialect: 'sqlite', file: join(dataDir, 'osmo.db') },
    openClientApi,
    liveness: DEFAULT_LIVENESS,
    reconciler: DEFAULT_RECONCILER,
    processMetrics: false,
  };
  return { config, token: 'osmo_test-token-0123456789' };
};

test('modules start after their deps, otherwise in list order', () => {
  const order = startOrder([mod('mels', ['state']), mod('store', []), mod('system', []), mod('state', ['store'])]).map((m) => m.name);
  assert.deepEqual(order, ['store', 'state', 'mels', 'system']);
});

test('the core lists its modules in an order that needs no reordering', () => {
  assert.deepEqual(
    startOrder(CORE_MODULES).map((m) => m.name),
    CORE_MODULES.map((m) => m.name),
  );
});

test('a broken list is refused before anything starts, naming the problem', () => {
  assert.throws(() => startOrder([mod('mels', ['state'])]), /"mels" depends on "state", which no module in the list provides/);
  assert.throws(() => startOrder([mod('store', []), mod('store', [])]), /"store" is listed twice/);
  assert.throws(
    () => startOrder([mod('state', ['mels']), mod('mels', ['reconciler']), mod('reconciler', ['state'])]),
    /dependency cycle state -> mels -> reconciler -> state/,
  );
});

test('services reach later modules; stop runs in reverse; a failed start stops what started', async () => {
  const log: string[] = [];
  const seen: unknown[] = [];
  const provider = defineModule({ name: 'token', deps: [], start: () => ({ stop: () => void log.push('stop token') }) });
  const core = await startModules(
    [
      mod('store', [], log, { start: () => (log.push('start store'), { service: 'the store', stop: () => void log.push('stop store') }) }),
      mod('state', ['store'], log, {
        start: (ctx) => (seen.push(ctx.store), log.push('start state'), { stop: () => void log.push('stop state') }),
      }),
      provider,
    ],
    base(true),
  );
  assert.deepEqual(seen, ['the store']);
  assert.deepEqual(core.order, ['store', 'state', 'token']);
  await core.stop();
  assert.deepEqual(log, ['start store', 'start state', 'stop token', 'stop state', 'stop store']);

  const log2: string[] = [];
  await assert.rejects(
    startModules(
      [
        mod('store', [], log2),
        mod('state', ['store'], log2),
        mod('mels', ['state'], log2, { start: () => Promise.reject(new Error('boom')) }),
      ],
      base(true),
    ),
    /boom/,
  );
  assert.deepEqual(log2, ['start store', 'start state', 'stop state', 'stop store']);
});

test("a module's routes get its declared auth class; without one they need the token (deny by default)", async () => {
  const open = defineModule({
    name: 'open',
    deps: [],
    auth: 'client',
    start: () => ({ routes: async (app) => void app.get('/open', async () => ({ ok: true })) }),
  });
  const undeclared = defineModule({
    name: 'undeclared',
    deps: [],
    start: () => ({ routes: async (app) => void app.get('/undeclared', async () => ({ ok: true })) }),
  });
  const core = await startModules([store, state, metrics, open, undeclared] as AnyCoreModule[], base(true));
  const app = await buildApp(core.ctx, core.routes);
  try {
    assert.deepEqual(
      core.routes.map((r) => [r.module, r.auth]),
      [
        ['metrics', 'client'],
        ['open', 'client'],
        ['undeclared', 'admin'],
      ],
    );
    // loopback core: the client API is open, an admin route is not
    assert.equal((await app.inject({ method: 'GET', url: '/open' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/undeclared' })).statusCode, 401);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/undeclared', headers: { authorization: `Bearer ${core.ctx.token}` } })).statusCode,
      200,
    );
  } finally {
    await app.close();
    await core.stop();
  }
});
