// A plain agent (no --bus, no --cloudlet, no mDNS announcement) must not carry the NATS
// client, the mDNS stack, or fastify's default ajv / fast-json-stringify compilers: together
// they are several MB of an agent's resident memory (docs/benchmarks.md, "Footprint").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { z } from 'zod';
import '../../../src/agent/index.js';
import { announce } from '../../../src/discovery/announcer.js';
import { zodCompilers } from '../../../src/shared/http-errors.js';

const require = createRequire(import.meta.url);
const loaded = (re: RegExp) => Object.keys(require.cache).filter((k) => re.test(k));

test('importing the agent loads neither the NATS client nor the mDNS stack', async () => {
  // nothing to announce: no socket, and no mDNS library either
  await (await announce({ nodeId: 'light-lazy', layer: 'edge', domain: 'd' })).close();
  assert.deepEqual(loaded(/node_modules\/(@nats-io|bonjour-service|multicast-dns)\//), []);
});

test('a fastify app with zod compilers validates without loading ajv or fast-json-stringify', async () => {
  const app = Fastify({ schemaController: zodCompilers });
  app.post('/x', { schema: { body: z.object({ n: z.number() }) } }, async (req) => ({ got: (req.body as { n: number }).n }));
  const ok = await app.inject({ method: 'POST', url: '/x', payload: { n: 2 } });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { got: 2 });
  const bad = await app.inject({ method: 'POST', url: '/x', payload: { n: 'two' } });
  assert.equal(bad.statusCode, 400, 'zod still rejects a bad body');
  await app.close();
  assert.deepEqual(loaded(/node_modules\/(ajv|@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler)\//), []);
});
