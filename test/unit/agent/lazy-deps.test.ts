// A plain agent (no --bus, no --cloudlet, no mDNS announcement) must not carry the NATS
// client, the mDNS stack, or fastify's default ajv / fast-json-stringify compilers: together
// they are several MB of an agent's resident memory (docs/benchmarks.md, "Footprint"); nor
// our own modules whose zod schemas cost start-up CPU and heap at import: the typed client
// with the core's policy schemas, the cloudlet model; nor the OpenAPI generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import Fastify from 'fastify';
import { z } from 'zod';

const require = createRequire(import.meta.url);
const loaded = (re: RegExp) => Object.keys(require.cache).filter((k) => re.test(k));

// Our modules are ES modules, not in require.cache: a load hook, registered before any of
// them is imported, reports every URL the loader loads.
const ours: string[] = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => ours.push(url));
port1.unref();
const hook = `let port;
export function initialize(d) { port = d.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { port: port2 }, transferList: [port2] });
// what `osmo agent` loads before it parses its flags: the CLI's shared module and the agent command
await import('../../../src/cli/common.js');
await import('../../../src/cli/commands/agent.js');
const { announce } = await import('../../../src/discovery/announcer.js');
const { zodCompilers } = await import('../../../src/shared/http-errors.js');

test('importing the agent command loads neither the typed client nor the core policy or cloudlet schemas', async () => {
  // the hook's messages arrive asynchronously: wait until the agent command's own load is reported
  const deadline = Date.now() + 10_000;
  while (!ours.some((u) => u.includes('/src/cli/commands/agent.')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(
    ours.some((u) => u.includes('/src/agent/index.')),
    `the hook saw the agent load (${ours.length} modules reported)`,
  );
  const unwanted = ours.filter((u) => /\/src\/(client\/index|core\/policies\/schema|model\/cloudlet|model\/index)\.[jt]s$/.test(u));
  assert.deepEqual(unwanted, []);
});

test('importing the agent loads neither the NATS client nor the mDNS stack', async () => {
  // nothing to announce: no socket, and no mDNS library either
  await (await announce({ nodeId: 'light-lazy', layer: 'edge', domain: 'd' })).close();
  assert.deepEqual(loaded(/node_modules\/(@nats-io|bonjour-service|multicast-dns)\//), []);
});

test('importing the agent loads neither @fastify/swagger nor yaml: the OpenAPI document is built when asked', () => {
  assert.deepEqual(loaded(/node_modules\/(@fastify\/swagger|yaml|json-schema-resolver)\//), []);
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
