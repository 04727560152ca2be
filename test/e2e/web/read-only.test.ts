// The dashboard with a read-only token, end to end (a real core process, Debian's chromium):
// it says so, hides every control that changes the cluster (the core would refuse them with a
// 403), and an admin token sees them again. The audit trail is readable on the Events page:
// each mutating call with its subject, including the read-only token's refused one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { launch, shot, type Browser } from '../../../testing/browser.js';

const tag = randomBytes(3).toString('hex');
let core: CoreProc;
let browser: Browser;

async function token(scope: 'admin' | 'read-only', name: string): Promise<string> {
  const r = await fetch(`${core.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${core.token}` },
    body: JSON.stringify({ scope, name }),
  });
  assert.equal(r.status, 201);
  return ((await r.json()) as { token: string }).token;
}

before(async () => {
  core = await spawnCore();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await core?.proc.stop('SIGKILL');
});

test('a read-only token: the page says so and shows no control that changes the cluster; admin sees them', async () => {
  const ro = await token('read-only', `ro-${tag}`);
  const who = await fetch(`${core.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${ro}` } });
  assert.deepEqual(await who.json(), { subject: `token:ro-${tag}`, scope: 'read-only' });

  const { page } = browser;
  await page.goto(`${core.url}/ui/services#token=${encodeURIComponent(ro)}`);
  await page.getByTestId('read-only').waitFor({ timeout: 20_000 });
  // the Services view is there, its deploy form is not shown
  await page.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
  assert.equal(await page.locator('form.deploy').count(), 1, 'the form is rendered');
  assert.equal(await page.locator('form.deploy').isVisible(), false, 'but hidden');
  await shot(page, 'read-only-services');
  for (const [path, selector] of [
    ['/ui/planner', 'form.panel'],
    ['/ui/monitoring', 'section[aria-labelledby="sensor-form-h"]'],
  ] as const) {
    await page.goto(`${core.url}${path}`);
    await page.locator(selector).waitFor({ state: 'attached', timeout: 20_000 });
    await page.getByTestId('read-only').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator(selector).isVisible(), false, `${path}: ${selector} hidden`);
  }

  const admin = await token('admin', `adm-${tag}`);
  await page.goto(`${core.url}/ui/services#token=${encodeURIComponent(admin)}`);
  await page.locator('form.deploy').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await page.getByTestId('read-only').count(), 0);
  assert.deepEqual(browser.errors, [], 'no script errors on the page');
});

test('the audit trail on the Events page: each mutating call with its subject, a refused one too', async () => {
  const ro = await token('read-only', `ro2-${tag}`);
  const refused = await fetch(`${core.url}/api/v1/mels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ro}` },
    body: JSON.stringify({ name: `ro-${tag}`, image: 'osmo-test/httpd:1', replicas: 0 }),
  });
  assert.equal(refused.status, 403);
  const { page } = browser;
  await page.goto(`${core.url}/ui/events`);
  await page.locator('#ev-type').selectOption('audit', { timeout: 20_000 });
  const log = page.getByTestId('event-log');
  const line = log.locator('tr', { hasText: `token:ro2-${tag}` });
  await line.first().waitFor({ timeout: 20_000 });
  assert.match((await line.first().textContent()) ?? '', new RegExp(`token:ro2-${tag} POST /api/v1/mels → 403`));
  // the token creations, by the holder of the join token
  assert.ok((await log.locator('tr', { hasText: 'join-token POST /api/v1/tokens → 201' }).count()) >= 1);
});
