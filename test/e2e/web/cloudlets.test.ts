// The dashboard's Cloudlets view end to end: a real `osmo up --cloudlet` (core + local agent
// serving the cloudlet API, real Docker engine), a service in the catalog, a device start
// and join over the cloudlet API, and Debian's chromium: the cloudlet, the instance with its
// two users and the catalog show; an app uploaded from the form is listed with the MD5 the
// core computed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from '../../../testing/proc.js';
import { launch, shot, type Browser } from '../../../testing/browser.js';

const tag = randomBytes(3).toString('hex');
const NODE = `cl-web-${tag}`;
let osmo: OsmoProcess;
let core = '';
let cl = '';
let dashboardUrl = '';
let browser: Browser;
let token = '';

before(async () => {
  const dataDir = tempDir('osmo-web-cl-');
  const clPort = await freePort();
  osmo = spawnOsmo([
    'up',
    '--listen',
    `127.0.0.1:${await freePort()}`,
    '--agent-listen',
    `127.0.0.1:${await freePort()}`,
    '--data-dir',
    dataDir,
    '--node-id',
    NODE,
    '--cloudlet',
    String(clPort),
  ]);
  dashboardUrl = await eventually(() => /dashboard:\s+(http:\/\/\S+)/.exec(osmo.output())?.[1], 60_000, `osmo up:\n${osmo.output()}`);
  cl = await eventually(() => /cloudlet:\s+(http:\/\/\S+)/.exec(osmo.output())?.[1], 60_000, 'the cloudlet URL');
  core = new URL(dashboardUrl).origin;
  await waitForHttp(`${core}/healthz`);
  // catalog and repository writes are admin routes: a token even on loopback
  token = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
  const r = await fetch(`${core}/api/v1/services`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ id: 'edu.cmu.web-httpd', image: 'osmo-test/httpd:1', port: 80, tags: ['web'] }),
  });
  assert.equal(r.status, 201, await r.text());
  await eventually(
    async () => ((await (await fetch(`${cl}/services`)).json()) as unknown[]).length === 1,
    30_000,
    'catalog on the cloudlet',
  );
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await osmo?.stop();
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=io.osmo.node=${NODE}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids]);
});

test('the Cloudlets view shows the cloudlet, a device-started instance with its users, the catalog, and uploads an app', async () => {
  const start = async (device: string, join: boolean) =>
    (await (
      await fetch(`${cl}/servicevm/start?serviceId=edu.cmu.web-httpd&join=${join}`, { headers: { 'x-device-id': device } })
    ).json()) as {
      INSTANCE_ID: string;
    };
  const s = await start('phone-1', false);
  await start('phone-2', true);
  const { page } = browser;
  // the token in the fragment, as `osmo up` prints it off loopback: uploads are admin calls
  await page.goto(`${dashboardUrl.split('#')[0]}#token=${encodeURIComponent(token)}`);
  await page.getByRole('link', { name: 'Cloudlets' }).click();
  await page.getByTestId('cloudlet-nodes').getByText(NODE).waitFor({ timeout: 20_000 });
  const row = page.locator(`[data-instance="${s.INSTANCE_ID}"]`);
  await row.waitFor({ timeout: 30_000 });
  await eventually(async () => (await row.getByTestId('users').textContent()) === '2', 20_000, 'two users shown');
  assert.ok(await page.getByTestId('cloudlet-catalog').getByText('edu.cmu.web-httpd').isVisible());

  const dir = tempDir('osmo-web-cl-app-');
  const data = randomBytes(5000);
  writeFileSync(join(dir, 'demo.apk'), data);
  await page.locator('input[name="file"]').setInputFiles(join(dir, 'demo.apk'));
  await page.locator('input[name="name"]').fill('Demo');
  await page.locator('input[name="tags"]').fill('demo,android');
  await page.getByRole('button', { name: 'Upload' }).click();
  const md5 = createHash('md5').update(data).digest('hex');
  await page.getByTestId('cloudlet-apps').getByText(md5).waitFor({ timeout: 20_000 });
  const apps = (await (await fetch(`${core}/api/v1/apps?tags=android`)).json()) as { apps: Array<{ md5: string; name: string }> };
  assert.deepEqual(
    apps.apps.map((a) => [a.name, a.md5]),
    [['Demo', md5]],
  );
  await shot(page, 'cloudlets');
  for (const d of ['phone-1', 'phone-2'])
    await fetch(`${cl}/servicevm/stop?instanceId=${s.INSTANCE_ID}`, { headers: { 'x-device-id': d } });
});
