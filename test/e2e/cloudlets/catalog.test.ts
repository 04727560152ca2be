// The core's cloudlet catalog and app repository over real HTTP and SQLite: service CRUD,
// app upload (raw body and multipart), list by tags, byte-identical download with the MD5
// the metadata shows, bad input answered 4xx, auth classes (read-only reads, node
// credentials only through the agent protocol).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { CoreClient, isApiError } from '../../../src/client/index.js';
import { tempDir } from '../../../testing/proc.js';

let core: CoreHandle;
let admin: CoreClient;

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

async function raw(method: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${core.url}${path}`, { method, ...init });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // text
  }
  return { status: res.status, json: json as Record<string, unknown> };
}

describe('cloudlet catalog and app repository (core)', { timeout: 60_000 }, () => {
  before(async () => {
    core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-cl-catalog-'), processMetrics: false, openClientApi: false });
    admin = new CoreClient({ base: core.url, token: core.token });
  });
  after(async () => {
    await core.close();
  });

  test('service CRUD', async () => {
    const s = await admin.cloudlets.addService({
      id: 'edu.cmu.sei.ams.speech',
      image: 'osmo-test/httpd:1',
      port: 80,
      tags: ['speech', 'demo'],
    });
    assert.equal(s.id, 'edu.cmu.sei.ams.speech');
    assert.equal(s.version, '1.0');
    await assert.rejects(
      admin.cloudlets.addService({ id: 'edu.cmu.sei.ams.speech', image: 'x', port: 1 }),
      (e) => isApiError(e) && e.status === 409,
    );
    const put = await admin.cloudlets.putService('edu.cmu.sei.ams.speech', {
      image: 'osmo-test/httpd:1',
      port: 8080,
      minMemory: 64,
      idealMemory: 128,
    });
    assert.equal(put.port, 8080);
    assert.equal(put.createdAt, s.createdAt);
    assert.deepEqual(
      (await admin.cloudlets.services()).map((x) => x.id),
      ['edu.cmu.sei.ams.speech'],
    );
    await admin.cloudlets.removeService('edu.cmu.sei.ams.speech');
    await assert.rejects(admin.cloudlets.service('edu.cmu.sei.ams.speech'), (e) => isApiError(e) && e.status === 404);
    await assert.rejects(admin.cloudlets.removeService('edu.cmu.sei.ams.speech'), (e) => isApiError(e) && e.status === 404);
  });

  test('bad service bodies are 400 naming the field, nothing stored', async () => {
    const h = { authorization: `Bearer ${core.token}`, 'content-type': 'application/json' };
    for (const body of [
      { id: 'bad id', image: 'x', port: 80 },
      { id: 'a', image: '', port: 80 },
      { id: 'a', image: 'x', port: 70000 },
      { id: 'a', image: 'x', port: 80, tags: ['a,b'] },
      { id: 'a', image: 'x', port: 80, extra: 1 },
    ]) {
      const r = await raw('POST', '/api/v1/services', { headers: h, body: JSON.stringify(body) });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(typeof r.json.error, 'string');
    }
    const r = await raw('PUT', '/api/v1/services/a', { headers: h, body: JSON.stringify({ id: 'b', image: 'x', port: 80 }) });
    assert.equal(r.status, 400);
    assert.deepEqual(await admin.cloudlets.services(), []);
  });

  test('apps: raw and multipart upload, list by tags, byte-identical download with md5', async () => {
    const a = randomBytes(300_000);
    const up1 = await admin.cloudlets.pushApp(
      {
        name: 'Speech',
        serviceId: 'edu.cmu.sei.ams.speech',
        tags: ['speech', 'android'],
        packageName: 'edu.cmu.speech',
        minAndroidVersion: 19,
      },
      a,
    );
    assert.equal(up1.md5, md5(a));
    assert.equal(up1.size, a.length);
    assert.equal(up1.fileName, 'Speech.apk');

    const b = randomBytes(1000);
    const form = new FormData();
    form.set('name', 'Face');
    form.set('tags', 'face,android');
    form.set('appVersion', '2.1');
    form.set('file', new Blob([b]), 'face.apk');
    const r = await raw('POST', '/api/v1/apps', { headers: { authorization: `Bearer ${core.token}` }, body: form });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.md5, md5(b));
    assert.equal(r.json.fileName, 'face.apk');

    assert.deepEqual((await admin.cloudlets.apps(['android'])).map((x) => x.name).sort(), ['Face', 'Speech']);
    assert.deepEqual(
      (await admin.cloudlets.apps(['speech'])).map((x) => x.name),
      ['Speech'],
    );
    assert.deepEqual(
      (await admin.cloudlets.apps(['speech', 'face'])).map((x) => x.name),
      [],
    );

    const d = await admin.cloudlets.downloadApp(up1.id);
    assert.ok(Buffer.compare(d.data, a) === 0, 'download byte-identical');
    assert.equal(md5(d.data), up1.md5);
    assert.equal(d.md5, up1.md5);
    assert.equal(d.fileName, 'Speech.apk');

    await admin.cloudlets.removeApp(r.json.id as string);
    assert.equal(existsSync(join(core.dataDir, 'apps', r.json.id as string)), false);
    await assert.rejects(admin.cloudlets.downloadApp(r.json.id as string), (e) => isApiError(e) && e.status === 404);
  });

  test('bad uploads are 4xx and leave nothing behind', async () => {
    const before = await admin.cloudlets.apps();
    const h = { authorization: `Bearer ${core.token}` };
    const cases: Array<[string, RequestInit]> = [
      ['/api/v1/apps', { headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.from('x') }], // no name
      ['/api/v1/apps?name=x', { headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(0) }], // empty
      [
        '/api/v1/apps?name=x&minAndroidVersion=abc',
        { headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.from('x') },
      ],
      ['/api/v1/apps?name=x&fileName=..%2Fetc', { headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.from('x') }],
      ['/api/v1/apps?name=x&bogus=1', { headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.from('x') }],
    ];
    const noFile = new FormData();
    noFile.set('name', 'x');
    cases.push(['/api/v1/apps', { headers: h, body: noFile }]);
    const wrongPart = new FormData();
    wrongPart.set('name', 'x');
    wrongPart.set('apk', new Blob([Buffer.from('x')]), 'a.apk');
    cases.push(['/api/v1/apps', { headers: h, body: wrongPart }]);
    cases.push(['/api/v1/apps?name=x', { headers: { ...h, 'content-type': 'application/json' }, body: '{}' }]);
    for (const [path, init] of cases) {
      const r = await raw('POST', path, init);
      assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status} ${JSON.stringify(r.json)}`);
    }
    assert.deepEqual(await admin.cloudlets.apps(), before);
    const left = readdirSync(join(core.dataDir, 'apps')).filter((f) => f.startsWith('.upload-'));
    assert.deepEqual(left, [], 'no temporary upload files left');
    assert.equal((await raw('GET', '/api/v1/apps/nope')).status, 401);
    assert.equal((await raw('GET', '/api/v1/apps/nope', { headers: h })).status, 404);
    assert.equal((await raw('GET', '/api/v1/apps/nope/file', { headers: h })).status, 404);
  });

  test('auth: writes need admin; read-only tokens read; the agent catalog takes the join token but no API token', async () => {
    const ro = await admin.createToken('read-only', 'cl-ro');
    const rh = { authorization: `Bearer ${ro.token}`, 'content-type': 'application/json' };
    assert.equal((await raw('GET', '/api/v1/services', { headers: rh })).status, 200);
    assert.equal((await raw('GET', '/api/v1/apps', { headers: rh })).status, 200);
    assert.equal(
      (await raw('POST', '/api/v1/services', { headers: rh, body: JSON.stringify({ id: 'z', image: 'x', port: 1 }) })).status,
      403,
    );
    assert.equal((await raw('GET', '/api/v1/agent/cloudlet/catalog', { headers: rh })).status, 403);
    assert.equal((await raw('GET', '/api/v1/agent/cloudlet/catalog')).status, 401);
    const ok = await raw('GET', '/api/v1/agent/cloudlet/catalog', { headers: { authorization: `Bearer ${core.token}` } });
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(ok.json.services) && Array.isArray(ok.json.apps));
  });
});
