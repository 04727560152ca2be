// watch() survives the engine's event stream ending: the runtime talks to the real engine
// through a unix-socket relay the test can cut, and events that happen while the stream is
// down still arrive after the reconnect.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import type { InstanceChange } from '../../../src/runtime/types.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { eventually, tempDir, settle } from '../../../testing/proc.js';
import { removeContainers } from '../../../testing/containers.js';

const uid = randomBytes(3).toString('hex');
const NODE = `rt-ev-${uid}`;
const engineSocket = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');

describe('DockerRuntime.watch() across a broken event stream', () => {
  let relay: Server;
  const conns = new Set<Socket>();
  let relayPath: string;
  let relayDir: string;
  const direct = new DockerRuntime({ nodeId: NODE, stopGraceSeconds: 1 });
  let viaRelay: DockerRuntime;

  before(async () => {
    relayDir = tempDir('rt-relay-');
    relayPath = join(relayDir, 'docker.sock');
    relay = createServer((client) => {
      const up = connect(engineSocket);
      for (const s of [client, up]) {
        conns.add(s);
        s.on('close', () => conns.delete(s));
        s.on('error', () => {});
      }
      // A relay closes both halves together, as a real connection drop would.
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
      client.pipe(up);
      up.pipe(client);
    });
    await new Promise<void>((r) => relay.listen(relayPath, r));
    viaRelay = new DockerRuntime({ nodeId: NODE, docker: new Docker({ socketPath: relayPath }) });
  });

  after(async () => {
    await Promise.all([direct.close(), viaRelay.close()]);
    for (const c of conns) c.destroy();
    relay.close();
    rmSync(relayDir, { recursive: true, force: true });
    await removeContainers(new Docker(), { label: [`io.osmo.node=${NODE}`] });
  });

  test('events before, during and after a cut are all delivered, once each', async () => {
    const seen: InstanceChange[] = [];
    const stop = viaRelay.watch((c) => seen.push(c));
    try {
      await settle(() => assert.ok(conns.size > 0, 'event stream connected'));
      const a = `rt-ev-${uid}-a`;
      await direct.deploy({ name: a, image: 'osmo-test/sleeper:1' });
      await settle(() =>
        assert.ok(
          seen.some((c) => c.name === a && c.state === 'running'),
          JSON.stringify(seen),
        ),
      );

      // Cut the stream, and make things happen while it is down.
      for (const c of conns) c.destroy();
      await direct.remove(a, { removeImage: false });
      const b = `rt-ev-${uid}-b`;
      await direct.deploy({ name: b, image: 'osmo-test/sleeper:1' });

      await settle(() => {
        assert.ok(
          seen.some((c) => c.name === a && c.state === 'removed'),
          JSON.stringify(seen),
        );
        assert.ok(
          seen.some((c) => c.name === b && c.state === 'running'),
          JSON.stringify(seen),
        );
      }, 15_000);
      const key = (c: InstanceChange) => `${c.name}:${c.state}`;
      const keys = seen.map(key);
      assert.equal(new Set(keys).size, keys.length, `duplicates: ${keys.join(', ')}`);
    } finally {
      stop();
    }
  });

  test('after the last listener leaves, the stream is closed', async () => {
    const stop = viaRelay.watch(() => {});
    await settle(() => assert.ok(conns.size > 0, 'stream connected'));
    stop();
    await settle(() => assert.equal(conns.size, 0));
  });

  test('an unreachable engine is unavailable, not a crash', async () => {
    // a socket path that cannot exist
    const gone = new DockerRuntime({ nodeId: NODE, docker: new Docker({ socketPath: join(relayDir, 'missing', 'no.sock') }) });
    for (const call of [
      () => gone.list(),
      () => gone.get('rt-x'),
      () => gone.hasImage('x'),
      () => gone.deploy({ name: 'rt-xx', image: 'x' }),
    ]) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof OsmoError && e.kind === 'unavailable', String(e));
        assert.match((e as Error).message, /unreachable/);
        return true;
      });
    }
  });

  test('watch() on a dead engine keeps retrying quietly, and stop() ends the retries', async () => {
    // "Dead engines": sockets that accept and hang up at once, counting each attempt.
    const dead = async (name: string) => {
      const path = join(relayDir, name);
      const counter = { attempts: 0, server: createServer((c) => (counter.attempts++, c.destroy())) };
      await new Promise<void>((r) => counter.server.listen(path, r));
      return { counter, rt: new DockerRuntime({ nodeId: NODE, docker: new Docker({ socketPath: path }) }) };
    };
    const a = await dead('dead-a.sock');
    const b = await dead('dead-b.sock');
    try {
      const stopA = a.rt.watch(() => {});
      await eventually(() => a.counter.attempts >= 2, 20_000, 'a second attempt');
      stopA();
      const atStop = a.counter.attempts;
      // A's next retry would come 250 ms · 2^(attempts-1) after its last one. A fresh watcher
      // is the clock: its (atStop+1)-th attempt comes at least that long after it started,
      // so by then A would have retried had stop() not ended it.
      const stopB = b.rt.watch(() => {});
      await eventually(() => b.counter.attempts >= atStop + 1, 60_000, `${atStop + 1} attempts of a fresh watcher`);
      stopB();
      assert.equal(a.counter.attempts, atStop, 'no attempt after stop()');
    } finally {
      for (const d of [a, b]) d.counter.server.close();
    }
  });
});
