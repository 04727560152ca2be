// The bound on engine calls (src/runtime/docker-engine.ts) against the real engine: the
// runtime talks to it through a unix-socket relay made here, which counts the connections and
// requests that really reach the engine. Node ids start with "part-eng-"; nothing is deployed.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { eventually, tempDir } from '../../../testing/proc.js';

const ENGINE = (process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const uid = randomBytes(3).toString('hex');

interface Relay {
  path: string;
  /** connections open now, the most at once, and all ever made */
  open: number;
  most: number;
  total: number;
  /** request lines the client sent, e.g. "GET /containers/json?..." */
  requests: string[];
  server: Server;
}

/** A relay to the engine (or, with `blackHole`, a socket that accepts and never answers). */
async function relay(blackHole = false): Promise<Relay> {
  const path = join(tempDir('part-eng-'), 'engine.sock');
  const r: Relay = { path, open: 0, most: 0, total: 0, requests: [], server: createServer() };
  const sockets = new Set<Socket>();
  r.server.on('connection', (client) => {
    r.open++;
    r.total++;
    r.most = Math.max(r.most, r.open);
    sockets.add(client);
    let head = '';
    client.on('data', (b: Buffer) => {
      head += b.toString('latin1');
      for (;;) {
        const end = head.indexOf('\r\n');
        if (end < 0) break;
        const line = head.slice(0, end);
        head = head.slice(end + 2);
        if (/^(GET|POST|DELETE|HEAD|PUT) \//.test(line)) r.requests.push(line.replace(/ HTTP\/1\.[01]$/, ''));
      }
    });
    const engine = blackHole ? undefined : createConnection(ENGINE);
    if (engine) {
      client.pipe(engine);
      engine.pipe(client);
      engine.on('error', () => client.destroy());
      engine.on('close', () => client.destroy());
    }
    client.on('error', () => engine?.destroy());
    client.on('close', () => {
      r.open--;
      sockets.delete(client);
      engine?.destroy();
    });
  });
  const close = r.server.close.bind(r.server);
  r.server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  await new Promise<void>((ok) => r.server.listen(path, ok));
  return r;
}

const kind = (e: unknown) => (e instanceof OsmoError ? e.kind : `not an OsmoError: ${String(e)}`);

describe('docker engine calls are bounded', () => {
  const relays: Relay[] = [];
  const runtimes: DockerRuntime[] = [];
  after(async () => {
    for (const rt of runtimes) await rt.close();
    for (const r of relays) await new Promise((ok) => r.server.close(ok));
  });
  const runtime = async (blackHole: boolean, engine: ConstructorParameters<typeof DockerRuntime>[0]['engine']) => {
    const r = await relay(blackHole);
    relays.push(r);
    const rt = new DockerRuntime({ nodeId: `part-eng-${uid}-${relays.length}`, docker: new Docker({ socketPath: r.path }), engine });
    runtimes.push(rt);
    return { r, rt };
  };

  test('600 reads fired at once reach the engine over at most maxShort connections, identical lists as one request', async () => {
    const { r, rt } = await runtime(false, { maxShort: 4 });
    const gets = Array.from({ length: 300 }, (_, i) => rt.get(`part-eng-${uid}-missing-${i}`));
    const lists = Array.from({ length: 300 }, () => rt.list());
    // the slots are taken synchronously: four calls hold them, the rest wait
    assert.deepEqual(rt.engineLoad().short, { active: 4, queued: 297, max: 4 });
    assert.deepEqual(
      (await Promise.all(gets)).filter((x) => x !== undefined),
      [],
    );
    for (const l of await Promise.all(lists)) assert.deepEqual(l, []);
    assert.ok(r.most >= 1 && r.most <= 4, `at most 4 connections to the engine at once, saw ${r.most}`);
    // keep-alive: the connections are reused, not one per call
    assert.ok(r.total <= 8, `connections made: ${r.total} for 301 requests`);
    assert.equal(r.requests.filter((l) => l.startsWith('GET /containers/json')).length, 1, 'the 300 lists were one engine request');
    assert.equal(r.requests.filter((l) => /^GET \/containers\/part-eng-/.test(l)).length, 300, 'every distinct inspect reached the engine');
    assert.deepEqual(rt.engineLoad().short, { active: 0, queued: 0, max: 4 });
  });

  test('a call past its deadline fails as unavailable, and its connection is released', async () => {
    const { r, rt } = await runtime(true, { maxShort: 2, readTimeoutMs: 300 });
    const calls = Array.from({ length: 6 }, (_, i) =>
      rt.get(`part-eng-${uid}-hung-${i}`).then(
        () => 'answered',
        (e: unknown) => `${kind(e)}: ${(e as Error).message}`,
      ),
    );
    for (const out of await Promise.all(calls)) assert.match(out, /^unavailable: .*docker engine busy/);
    assert.ok(r.most <= 2, `at most 2 connections to the engine at once, saw ${r.most}`);
    assert.deepEqual(rt.engineLoad().short, { active: 0, queued: 0, max: 2 });
    await eventually(() => r.open === 0, 10_000, 'the timed-out connections are closed');
  });

  test('open streams have their own slots: short calls go on while the stream lane is full', async () => {
    const { rt } = await runtime(false, { maxShort: 2, maxStreams: 1, streamQueueMs: 300 });
    const stop = rt.watch(() => {});
    try {
      await eventually(() => rt.engineLoad().stream.active === 1, 10_000, 'the event stream holds the stream slot');
      const found = await Promise.all(Array.from({ length: 20 }, (_, i) => rt.get(`part-eng-${uid}-s-${i}`)));
      assert.deepEqual(
        found.filter((x) => x !== undefined),
        [],
      );
      // a second stream finds the lane full and gives up at its queue deadline
      await assert.rejects(rt.docker.getEvents({ filters: { label: [`part-eng-${uid}=none`] } }), /docker engine busy: streams/);
      assert.equal(rt.engineLoad().stream.active, 1);
    } finally {
      stop();
    }
    await eventually(() => rt.engineLoad().stream.active === 0, 10_000, 'the closed event stream frees its slot');
  });
});
