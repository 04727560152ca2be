// The dashboard's Monitoring view end to end: a real `osmo up` (core + local agent, real
// Docker engine), a busybox httpd MEL, and Debian's chromium. Create a sensor from the form
// (CPU of the instance → EWMA → live stream), see its pipeline and state, values arriving
// on its chart, stop it, delete it; a bad name is refused in the form. What the page shows
// is checked against /occi/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { eventually, freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from '../../../testing/proc.js';
import { launch, shot, type Browser } from '../../../testing/browser.js';

const tag = randomBytes(3).toString('hex');
const NODE = `wm-${tag}`;
const MEL = `wm-web-${tag}`;
const SENSOR = `wm-cpu-${tag}`;

let osmo: OsmoProcess;
let core = '';
let dashboardUrl = '';
let browser: Browser;

const occi = async (path: string): Promise<{ status: number; json: Record<string, unknown> }> => {
  const r = await fetch(`${core}${path}`, { headers: { accept: 'application/occi+json' } });
  return { status: r.status, json: (await r.json().catch(() => ({}))) as Record<string, unknown> };
};

before(async () => {
  const dataDir = tempDir('osmo-web-mon-');
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
  ]);
  dashboardUrl = await eventually(
    () => /dashboard:\s+(http:\/\/\S+)/.exec(osmo.output())?.[1],
    60_000,
    `osmo up to print the dashboard URL:\n${osmo.output()}`,
  );
  core = new URL(dashboardUrl).origin;
  await waitForHttp(`${core}/healthz`);
  const r = await fetch(`${core}/api/v1/mels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: MEL, image: 'osmo-test/httpd:1', replicas: 1 }),
  });
  assert.equal(r.status, 201, await r.text());
  await eventually(
    async () => {
      const l = (await (await fetch(`${core}/api/v1/instances`)).json()) as { instances: { mel: string; state: string }[] };
      return l.instances.some((i) => i.mel === MEL && i.state === 'running');
    },
    60_000,
    'the httpd instance running',
  );
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (core) await fetch(`${core}/api/v1/mels/${MEL}`, { method: 'DELETE' }).catch(() => undefined);
  await osmo?.stop();
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=io.osmo.node=${NODE}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids]);
});

test('a sensor made from the form shows its pipeline, turns active and charts live values', async () => {
  const { page } = browser;
  await page.goto(dashboardUrl);
  await page.getByRole('link', { name: 'Monitoring' }).click();
  await page.getByRole('heading', { name: 'New sensor' }).waitFor();
  // a name the server would refuse is caught with a message, and nothing is created
  await page.getByLabel('Name').fill('no spaces allowed');
  await page.getByRole('button', { name: 'Create and start' }).click();
  await page.getByTestId('sensor-form-error').waitFor();
  assert.equal(((await occi('/occi/sensor/')).json.resources as unknown[] | undefined)?.length ?? 0, 0);

  await page.getByLabel('Template').selectOption('cpu-ewma');
  await page.getByLabel('Name').fill(SENSOR);
  // the instance of the MEL as the target (its OCCI title is the instance name)
  const option = page.locator('#sf-target option', { hasText: MEL });
  await eventually(async () => (await option.count()) > 0, 20_000, 'the instance offered as a target');
  await page.getByLabel('Target').selectOption(await option.first().getAttribute('value'));
  await page.getByLabel('Period (s)').fill('1');
  await page.getByRole('button', { name: 'Create and start' }).click();

  const card = page.getByTestId(`sensor-${SENSOR}`);
  await card.waitFor({ timeout: 20_000 });
  const stages = card.getByTestId(`sensor-${SENSOR}-pipeline`).locator('li');
  assert.equal(await stages.count(), 3, 'collector, ewma, stream');
  assert.match((await stages.nth(0).textContent()) ?? '', /cpu.*→ raw/s);
  assert.match((await stages.nth(1).textContent()) ?? '', /raw →.*ewma.*→ smooth/s);
  assert.match((await stages.nth(2).textContent()) ?? '', /smooth →.*stream/s);
  await eventually(async () => (await card.getAttribute('data-state')) === 'active', 60_000, 'sensor active');
  await eventually(
    async () =>
      Number(
        await card
          .getByTestId(`sensor-${SENSOR}-live`)
          .getAttribute('data-points')
          .catch(() => '0'),
      ) >= 3,
    60_000,
    'three live values on the chart',
  );
  // the page and the server agree
  const served = await occi(`/occi/sensor/${SENSOR}`);
  assert.equal(served.status, 200);
  assert.equal((served.json.attributes as Record<string, unknown>)['osmo.sensor.state'], 'active');
  await shot(page, 'monitoring');

  await card.getByRole('button', { name: 'Stop' }).click();
  await eventually(async () => (await card.getByRole('button', { name: 'Start' }).count()) === 1, 20_000, 'stopped: start offered');
  await card.getByRole('button', { name: 'Delete' }).click();
  await card.waitFor({ state: 'detached', timeout: 20_000 });
  assert.equal((await occi(`/occi/sensor/${SENSOR}`)).status, 404);
  assert.deepEqual(browser.errors, [], 'no script errors on the page');
});
