// The dashboard against a core whose client API needs the join token (what a core on a
// non-loopback address does): the page asks for the token on the first 401, or takes it
// from the #token= fragment of the URL, keeps it, and never leaves it in the address bar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { launch, shot, type Browser } from '../../../testing/browser.js';

let core: CoreHandle;
let dataDir: string;
let browser: Browser;

before(async () => {
  dataDir = tempDir('osmo-web-token-');
  core = await startCore({ listen: '127.0.0.1:0', dataDir, openClientApi: false, processMetrics: false });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the API really wants the token here', async () => {
  assert.equal((await fetch(`${core.url}/api/v1/nodes`)).status, 401);
  assert.equal((await fetch(`${core.url}/`)).status, 200, 'the page itself is open');
});

test('without a token the page asks for one; a wrong one is refused; the right one unlocks it', async () => {
  const { page } = browser;
  await page.goto(`${core.url}/`);
  const status = page.getByTestId('stream-status');
  await eventually(async () => (await status.textContent())?.includes('token needed'), 15_000, 'token needed');
  const input = page.getByLabel(/access token/);
  await input.waitFor();
  await shot(page, 'token-prompt');
  await input.fill('not-the-token');
  // wait for the core's answer to the wrong token itself, not for a while
  const refused = page.waitForResponse(
    (r) => r.url().startsWith(`${core.url}/api/`) && r.request().headers().authorization === 'Bearer not-the-token',
    { timeout: 15_000 },
  );
  await page.getByRole('button', { name: 'Use token' }).click();
  assert.equal((await refused).status(), 401);
  await eventually(async () => (await status.textContent())?.includes('token needed'), 15_000, 'still locked with a wrong token');
  assert.equal(await input.count(), 1, 'the prompt stays');
  await input.fill(core.token);
  await page.getByRole('button', { name: 'Use token' }).click();
  await eventually(async () => (await status.textContent())?.includes('live'), 15_000, 'live with the right token');
  await page.getByText('No node has joined yet').waitFor({ timeout: 10_000 });
  assert.equal(await input.count(), 0, 'the prompt is gone');
  // the token survives a reload (localStorage), so the operator types it once
  await page.reload();
  await eventually(async () => (await page.getByTestId('stream-status').textContent())?.includes('live'), 15_000, 'live after reload');
});

test('a #token= link logs in at once and the token leaves the address bar', async () => {
  const fresh = await launch();
  try {
    await fresh.page.goto(`${core.url}/ui/events#token=${encodeURIComponent(core.token)}`);
    await eventually(
      async () => (await fresh.page.getByTestId('stream-status').textContent())?.includes('live'),
      15_000,
      'live from the fragment',
    );
    assert.equal(new URL(fresh.page.url()).hash, '');
    assert.equal(new URL(fresh.page.url()).pathname, '/ui/events');
    // the core's own start event, read with the token from the log's history
    await eventually(async () => (await fresh.page.getByTestId('event-log').locator('tbody tr').count()) > 0, 10_000, 'history shown');
    assert.deepEqual(fresh.errors, []);
  } finally {
    await fresh.close();
  }
});
