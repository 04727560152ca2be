// Real pulls: Debian's docker-registry (distribution 2.x) on a free 127.0.0.1 port with its own
// config and storage, an image made unique to this run (committed with a random file, so no
// layer of it is present locally after we delete it), pushed, removed locally, then deployed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DockerRuntime } from '../../../src/runtime/docker.js';
import type { PullProgress } from '../../../src/runtime/types.js';
import { OsmoError } from '../../../src/shared/errors.js';
import { freePort, tempDir, waitForHttp } from '../../../testing/proc.js';
import { removeContainers } from '../../../testing/containers.js';

const REGISTRY_BIN = '/usr/bin/docker-registry';
const uid = randomBytes(3).toString('hex');
const docker = new Docker();
const rt = new DockerRuntime({ nodeId: `rt-pull-${uid}`, stopGraceSeconds: 1 });
const kind = (e: unknown) => (e instanceof OsmoError ? e.kind : `not an OsmoError: ${String(e)}`);

/** Drains an engine progress stream; rejects on an {error} line. */
function drain(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const bad = out.find((o) => o.error);
      if (err || bad) reject(err ?? new Error(bad!.error));
      else resolve();
    });
  });
}

describe('DockerRuntime: pulls from a local registry', () => {
  let registry: ChildProcess;
  let dir: string;
  let repo: string;
  let image: string;

  before(async () => {
    assert.ok(existsSync(REGISTRY_BIN), `${REGISTRY_BIN} missing: apt-get install -y docker-registry`);
    dir = tempDir('rt-registry-');
    const port = await freePort();
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: {level: error}',
        `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
        `http: {addr: "127.0.0.1:${port}"}`,
        '',
      ].join('\n'),
    );
    registry = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    await waitForHttp(`http://127.0.0.1:${port}/v2/`);

    // A one-off image: busybox plus a random file, committed from a container.
    repo = `127.0.0.1:${port}/rt-pull/img`;
    image = `${repo}:${uid}`;
    const maker = await docker.createContainer({
      name: `rt-pull-maker-${uid}`,
      Image: 'osmo-test/busybox:1',
      Cmd: ['/bin/sh', '-c', `head -c 200000 /dev/urandom > /rnd; echo ${uid} > /uid`],
      Labels: { 'io.osmo.test': 'runtime' },
    });
    await maker.start();
    await maker.wait();
    await maker.commit({ repo, tag: uid, changes: ['CMD ["/bin/sleep", "86400"]'] });
    await maker.remove({ force: true });
    await drain(await docker.getImage(image).push({ authconfig: {} }));
    await docker.getImage(image).remove();
    assert.equal(await rt.hasImage(image), false);
  });

  after(async () => {
    await rt.close();
    await removeContainers(docker, { name: [`rt-pull-`] });
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => {});
    registry?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('deploy pulls an absent image, reporting progress, and runs it', async () => {
    const progress: PullProgress[] = [];
    const info = await rt.deploy({ name: `rt-pull-${uid}-a`, image }, (p) => progress.push(p));
    assert.equal(info.state, 'running');
    assert.equal(await rt.hasImage(image), true);
    assert.ok(progress.length >= 3, JSON.stringify(progress));
    assert.ok(
      progress.every((p) => p.image === image),
      'progress names the image',
    );
    const statuses = progress.map((p) => p.status);
    assert.ok(
      statuses.some((s) => /Pulling from/.test(s)),
      statuses.join(' | '),
    );
    assert.ok(
      statuses.some((s) => /Pull complete|Download complete/.test(s)),
      statuses.join(' | '),
    );
    assert.ok(
      statuses.some((s) => /Downloaded newer image/.test(s)),
      statuses.join(' | '),
    );
    // byte progress of the layer download
    assert.ok(
      progress.some((p) => (p.total ?? 0) > 0 && (p.current ?? 0) > 0),
      'some byte progress',
    );
    // A second deploy of the same image does not pull.
    const again: PullProgress[] = [];
    await rt.deploy({ name: `rt-pull-${uid}-b`, image }, (p) => again.push(p));
    assert.deepEqual(again, []);
    assert.deepEqual(await rt.remove(`rt-pull-${uid}-a`), { imageRemoved: false });
    assert.deepEqual(await rt.remove(`rt-pull-${uid}-b`), { imageRemoved: true });
    assert.equal(await rt.hasImage(image), false);
  });

  test('a tag the registry does not have is not_found, naming the image', async () => {
    const missing = `${repo}:no-such-${uid}`;
    await assert.rejects(rt.deploy({ name: `rt-pull-${uid}-c`, image: missing }), (e) => {
      assert.equal(kind(e), 'not_found', String(e));
      assert.ok((e as Error).message.includes(missing), (e as Error).message);
      return true;
    });
    assert.equal(await rt.get(`rt-pull-${uid}-c`), undefined);
  });

  test('a registry nobody listens on is unavailable, naming the image', async () => {
    const port = await freePort();
    const unreachable = `127.0.0.1:${port}/rt-pull/img:${uid}`;
    await assert.rejects(rt.deploy({ name: `rt-pull-${uid}-d`, image: unreachable }), (e) => {
      assert.equal(kind(e), 'unavailable', String(e));
      assert.ok((e as Error).message.includes(unreachable), (e as Error).message);
      return true;
    });
  });
});
