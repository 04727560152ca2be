// The dashboard over HTTPS: a core off loopback (0.0.0.0, reached through 127.0.0.1) serves
// HTTPS with the CA it made itself; the test browser accepts that certificate (the browser's
// store does not hold the core's CA), takes the token from the #token= link and shows the
// cluster live, its API calls and event stream all over HTTPS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { launch, shot, type Browser } from '../../../testing/browser.js';

let core: CoreHandle;
let dataDir: string;
let browser: Browser;

before(async () => {
  dataDir = tempDir('osmo-web-tls-');
  core = await startCore({ listen: '0.0.0.0:0', dataDir, processMetrics: false });
  browser = await launch(undefined, { ignoreHttpsErrors: true });
});

after(async () => {
  await browser?.close();
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the core serves the dashboard over HTTPS with a certificate of its own CA', async () => {
  assert.match(core.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${core.url}/`, { ca: readFileSync(join(dataDir, 'ca.pem')) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 200, 'verified against ca.pem');
});

test('the dashboard works over HTTPS: token from the link, live stream, pages', async () => {
  const { page, errors } = browser;
  const https: string[] = [];
  page.on('request', (r) => https.push(r.url()));
  await page.goto(`${core.url}/#token=${encodeURIComponent(core.token)}`);
  await eventually(async () => (await page.getByTestId('stream-status').textContent())?.includes('live'), 20_000, 'live over HTTPS');
  await page.getByText('No node has joined yet').waitFor({ timeout: 15_000 });
  assert.ok(!page.url().includes('token='), 'the token left the address bar');
  await shot(page, 'dashboard-https');
  const api = https.filter((u) => u.includes('/api/'));
  assert.ok(api.length > 0, 'the page called the API');
  assert.deepEqual(
    api.filter((u) => !u.startsWith(core.url)),
    [],
    'every API call went to the HTTPS origin',
  );
  assert.deepEqual(errors, []);
});
