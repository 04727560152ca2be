// The dashboard's Agreements view end to end: a real core process (its SLA API), Debian's
// chromium. An Atos-style agreement with a ResponseTime term is created and enforced; values
// pushed to /sla-service/metrics turn it FULFILLED then VIOLATED, and the page shows the
// status colours, the term's values on its chart, the violation and the penalty on the
// timeline — checked against the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { eventually } from '../../../testing/proc.js';
import { launch, shot, type Browser } from '../../../testing/browser.js';

const tag = randomBytes(3).toString('hex');
const AG = `wa-ag-${tag}`;
let core: CoreProc;
let browser: Browser;

async function sla(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(`${core.url}/sla-service${path}`, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: r.status, text: await r.text() };
}

before(async () => {
  core = await spawnCore();
  assert.equal((await sla('POST', '/providers', { uuid: `p-${tag}`, name: `p-${tag}` })).status, 201);
  const agreement = {
    agreementId: AG,
    name: `web shop ${tag}`,
    context: { AgreementInitiator: 'shop-client', AgreementResponder: `p-${tag}`, ServiceProvider: 'AgreementResponder', Service: 'web' },
    terms: {
      allTerms: {
        serviceDescriptionTerm: null,
        serviceProperties: [],
        guaranteeTerms: [
          {
            name: 'GTResponseTime',
            serviceScope: { serviceName: 'web', value: '' },
            serviceLevelObjective: { kpitarget: { kpiName: 'ResponseTime', customServiceLevel: '{"constraint": "ResponseTime LT 0.5"}' } },
            businessValueList: {
              customBusinessValue: [
                { count: 1, duration: 'PT1H', penalties: [{ type: 'discount', expression: '35', unit: '%', validity: 'P1D' }] },
              ],
            },
          },
        ],
      },
    },
  };
  const made = await sla('POST', '/agreements', agreement);
  assert.equal(made.status, 201, made.text);
  assert.equal((await sla('PUT', `/enforcements/${AG}/start`)).status, 200);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await core?.proc.stop('SIGKILL');
});

test('an enforced agreement: fulfilled, then violated with a violation and a penalty, as the page shows', async () => {
  const { page } = browser;
  await page.goto(`${core.url}/ui/agreements`);
  const card = page.getByTestId(`agreement-${AG}`);
  await card.waitFor({ timeout: 20_000 });
  assert.match((await card.textContent()) ?? '', /service web/);
  await eventually(async () => (await card.getAttribute('data-status')) === 'NON_DETERMINED', 20_000, 'no data yet');

  const t0 = Date.now();
  for (const [i, v] of [0.2, 0.3].entries()) {
    const r = await sla('POST', `/metrics/${AG}`, [{ key: 'ResponseTime', value: v, at: t0 + i * 1000 }]);
    assert.equal(r.status, 200, r.text);
  }
  await eventually(async () => (await card.getAttribute('data-status')) === 'FULFILLED', 20_000, 'fulfilled on the page');
  const term = card.getByTestId(`agreement-${AG}-term-GTResponseTime`);
  assert.equal(await term.getAttribute('data-status'), 'FULFILLED');

  assert.equal((await sla('POST', `/metrics/${AG}`, [{ key: 'ResponseTime', value: 0.9, at: t0 + 5000 }])).status, 200);
  await eventually(async () => (await card.getAttribute('data-status')) === 'VIOLATED', 20_000, 'violated on the page');
  assert.equal(await term.getAttribute('data-status'), 'VIOLATED');
  assert.match((await term.textContent()) ?? '', /ResponseTime LT 0\.5.*0\.9/s);
  const timeline = card.getByTestId(`agreement-${AG}-timeline`);
  await eventually(
    async () => (await timeline.locator('li[data-kind="violation"]').count()) === 1,
    20_000,
    'the violation on the timeline',
  );
  await eventually(async () => (await timeline.locator('li[data-kind="penalty"]').count()) === 1, 20_000, 'the penalty on the timeline');
  assert.match((await timeline.locator('li[data-kind="penalty"]').textContent()) ?? '', /discount 35 %/);
  // the chart holds the values the page saw (at least the last two polls' observations)
  const chart = card.getByTestId(`agreement-${AG}-chart-GTResponseTime`);
  await eventually(async () => Number(await chart.getAttribute('data-points').catch(() => '0')) >= 1, 20_000, 'the KPI chart');
  // page and API agree
  const api = JSON.parse((await sla('GET', `/agreements/${AG}/guaranteestatus`)).text) as { guaranteestatus: string };
  assert.equal(api.guaranteestatus, 'VIOLATED');
  const vs = JSON.parse((await sla('GET', `/violations?agreementId=${AG}`)).text) as unknown[];
  assert.equal(vs.length, 1);
  await shot(page, 'agreements');

  await card.getByRole('button', { name: 'Stop enforcement' }).click();
  await card.getByRole('button', { name: 'Start enforcement' }).waitFor({ timeout: 20_000 });
  assert.equal(JSON.parse((await sla('GET', `/enforcements/${AG}`)).text).enabled, false);
  assert.deepEqual(browser.errors, [], 'no script errors on the page');
});
