// `osmo service` and `osmo app` against a real core and the machine's Docker engine:
// catalog entries, export (manifest + docker save) and import (docker load + entry), app
// push / ls by tags / get byte-identical / rm.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnOsmo, tempDir } from '../../../testing/proc.js';
import { spawnCore, type CoreProc } from '../../../testing/cluster.js';

let core: CoreProc;

async function osmo(...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnOsmo([...args, '--core', core.url, '--token', core.token]);
  const code = await p.exit(120_000);
  return { code, out: p.output() };
}
const json = (r: { out: string }) => JSON.parse(r.out) as Record<string, unknown>;

describe('osmo service / osmo app', { timeout: 300_000 }, () => {
  before(async () => {
    core = await spawnCore(tempDir('osmo-cl-cli-core-'));
  });
  after(async () => {
    await core.proc.stop('SIGKILL');
  });

  test('service add, ls, export, rm, import', async () => {
    const add = await osmo(
      'service',
      'add',
      'edu.cmu.cl-cli',
      '--image',
      'osmo-test/httpd:1',
      '--port',
      '80',
      '--tags',
      'web,demo',
      '--min-memory',
      '32',
    );
    assert.equal(add.code, 0, add.out);
    const dup = await osmo('service', 'add', 'edu.cmu.cl-cli', '--image', 'osmo-test/httpd:1', '--port', '80');
    assert.notEqual(dup.code, 0);
    assert.match(dup.out, /exists/);
    const bad = await osmo('service', 'add', 'x', '--image', 'i', '--port', 'eighty');
    assert.notEqual(bad.code, 0);
    const ls = json(await osmo('service', 'ls', '--json')) as { services: Array<{ id: string; tags: string[]; minMemory: number }> };
    assert.deepEqual(
      ls.services.map((s) => [s.id, s.tags, s.minMemory]),
      [['edu.cmu.cl-cli', ['web', 'demo'], 32]],
    );
    const file = join(tempDir('osmo-cl-cli-'), 'svc.tar');
    const ex = await osmo('service', 'export', 'edu.cmu.cl-cli', '-o', file);
    assert.equal(ex.code, 0, ex.out);
    const members = execFileSync('tar', ['-tf', file]).toString().split('\n').filter(Boolean).sort();
    assert.deepEqual(members, ['image.tar', 'manifest.json']);
    assert.equal((await osmo('service', 'rm', 'edu.cmu.cl-cli')).code, 0);
    assert.deepEqual((json(await osmo('service', 'ls', '--json')) as { services: unknown[] }).services, []);
    const im = await osmo('service', 'import', file);
    assert.equal(im.code, 0, im.out);
    const back = json(await osmo('service', 'ls', '--json')) as { services: Array<{ id: string; image: string; port: number }> };
    assert.deepEqual(
      back.services.map((s) => [s.id, s.image, s.port]),
      [['edu.cmu.cl-cli', 'osmo-test/httpd:1', 80]],
    );
    const notArchive = join(tempDir('osmo-cl-cli-'), 'junk.tar');
    writeFileSync(notArchive, 'not a tar');
    const junk = await osmo('service', 'import', notArchive);
    assert.notEqual(junk.code, 0);
    assert.match(junk.out, /not a service archive/);
  });

  test('app push, ls by tags, get byte-identical, rm', async () => {
    const dir = tempDir('osmo-cl-cli-app-');
    const data = randomBytes(50_000);
    writeFileSync(join(dir, 'face.apk'), data);
    const push = await osmo(
      'app',
      'push',
      join(dir, 'face.apk'),
      '--name',
      'Face',
      '--tags',
      'face,android',
      '--min-android',
      '19',
      '--json',
    );
    assert.equal(push.code, 0, push.out);
    const a = json(push) as { id: string; md5: string; fileName: string };
    const md5 = createHash('md5').update(data).digest('hex');
    assert.equal(a.md5, md5);
    assert.equal(a.fileName, 'face.apk');
    assert.equal((json(await osmo('app', 'ls', '--tags', 'android', '--json')) as { apps: unknown[] }).apps.length, 1);
    assert.equal((json(await osmo('app', 'ls', '--tags', 'speech', '--json')) as { apps: unknown[] }).apps.length, 0);
    const out = join(dir, 'got.apk');
    assert.equal((await osmo('app', 'get', a.id, '-o', out)).code, 0);
    assert.ok(Buffer.compare(readFileSync(out), data) === 0);
    assert.equal((await osmo('app', 'rm', a.id)).code, 0);
    assert.notEqual((await osmo('app', 'rm', a.id)).code, 0);
  });
});
