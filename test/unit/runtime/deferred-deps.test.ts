// The agent's footprint depends on dockerode not loading gRPC and ssh2 it never uses, while
// an ssh:// engine must still work through the deferred stand-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Docker from '../../../src/runtime/dockerode.js';
import { freePort } from '../../../testing/proc.js';

const require = createRequire(import.meta.url);

test('importing dockerode through the runtime loads neither gRPC, protobuf nor ssh2', () => {
  const loaded = Object.keys(require.cache).filter((k) => /node_modules\/(@grpc|ssh2|protobufjs)\//.test(k));
  assert.deepEqual(loaded, [], `deferred modules were loaded: ${loaded.slice(0, 3).join(', ')}`);
});

test('an ssh:// engine still reaches the real ssh2 client (connection refused, not a TypeError)', async () => {
  const port = await freePort();
  const d = new Docker({ protocol: 'ssh', host: '127.0.0.1', port, username: 'nobody', timeout: 5000 });
  const e = await d.ping().then(
    () => undefined,
    (err: unknown) => err as Error & { code?: string },
  );
  assert.ok(e, 'ping of a closed ssh port must fail');
  assert.ok(!(e instanceof TypeError), `the stand-in broke ssh2: ${String(e)}`);
  assert.match(`${e.code ?? ''} ${e.message}`, /ECONNREFUSED|connect/i, `unexpected error: ${e.message}`);
  assert.ok(
    Object.keys(require.cache).some((k) => /node_modules\/ssh2\//.test(k)),
    'ssh2 is loaded once really used',
  );
});
