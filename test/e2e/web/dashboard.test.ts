// The dashboard end to end: a real `osmo up` (core + local agent, real Docker engine),
// Debian's chromium through playwright-core. Open the printed URL, see the local node
// ready, deploy a busybox httpd from the form, see it running and its chart receiving
// points, scale it to 2, remove it; the stream reconnects by itself after a core
// restart; phone width and keyboard use. Screenshots go to test-results/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { eventually, freePort, ROOT, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from '../../../testing/proc.js';
import { launch, shot, type Browser } from '../../../testing/browser.js';

const tag = randomBytes(3).toString('hex');
const NODE = `wb-${tag}`;
const CLOUD = `wb-cloud-${tag}`;
const MEL = `wb-web-${tag}`;
const MIG = `wb-mig-${tag}`;

let dataDir: string;
let corePort: number;
let agentPort: number;
let osmo: OsmoProcess;
let cloudAgent: OsmoProcess | undefined;
let dashboardUrl: string;
let core: string;
let browser: Browser;

function up(): OsmoProcess {
  return spawnOsmo([
    'up',
    '--listen',
    `127.0.0.1:${corePort}`,
    '--agent-listen',
    `127.0.0.1:${agentPort}`,
    '--data-dir',
    dataDir,
    '--node-id',
    NODE,
    '--layer',
    'edge',
    '--domain',
    'lab',
  ]);
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const r = await fetch(`${core}${path}`, init);
  return (await r.json()) as T;
}

interface Inst {
  id: string;
  mel: string;
  node: string | null;
  name: string;
  state: string;
  ports: { containerPort: number; hostPort: number }[];
}
const instancesOf = async (mel = MEL) => (await api<{ instances: Inst[] }>('/api/v1/instances')).instances.filter((i) => i.mel === mel);

/** `osmo up` starts no monitor by itself: turn on 1 s host and guest monitors on the
 * local agent through its seed API (PUT /api/v1/monitor/<metric>), with the join token. */
async function monitorsOn(): Promise<void> {
  const token = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
  for (const metric of ['cpu', 'mem', 'net', 'disk']) {
    for (const source of ['host', 'guest']) {
      const r = await fetch(`http://127.0.0.1:${agentPort}/api/v1/monitor/${metric}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ time: 1, source }),
      });
      assert.equal(r.status, 200, `monitor ${metric}/${source}: ${await r.text()}`);
    }
  }
}

before(async () => {
  dataDir = tempDir('osmo-web-e2e-');
  corePort = await freePort();
  agentPort = await freePort();
  osmo = up();
  const printed = await eventually(
    () => /dashboard:\s+(http:\/\/\S+)/.exec(osmo.output())?.[1],
    60_000,
    `osmo up to print the dashboard URL; output:\n${osmo.output()}`,
  );
  dashboardUrl = printed;
  core = new URL(printed).origin;
  await waitForHttp(`${core}/healthz`);
  await monitorsOn();
  // a second node in another layer and domain, so the topology has something to show
  const token = readFileSync(join(dataDir, 'join-token'), 'utf8').trim();
  cloudAgent = spawnOsmo([
    'agent',
    '--listen',
    `127.0.0.1:${await freePort()}`,
    '--node-id',
    CLOUD,
    '--layer',
    'cloud',
    '--domain',
    'dc1',
    '--data-dir',
    join(dataDir, 'cloud-agent'),
    '--core',
    core,
    '--token',
    token,
    '--log-level',
    'warn',
  ]);
  browser = await launch();
});

after(async () => {
  // leave nothing running on the shared engine, whatever failed above
  for (const mel of [MEL, MIG]) {
    if (!core) break;
    await fetch(`${core}/api/v1/mels/${mel}`, { method: 'DELETE' }).catch(() => undefined);
    await eventually(async () => (await instancesOf(mel).catch(() => [])).length === 0, 30_000, 'instances removed').catch(() => undefined);
  }
  await browser?.close();
  await cloudAgent?.stop();
  await osmo?.stop();
  // if a failure left the core unable to remove them, remove this run's containers by the
  // node labels the agents put on them (only ours: the node ids carry this run's tag)
  for (const node of [NODE, CLOUD]) {
    const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=io.osmo.node=${node}`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids]);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the printed URL opens the dashboard and shows the local node ready', async () => {
  const { page } = browser;
  await page.goto(dashboardUrl);
  const card = page.getByTestId(`node-${NODE}`);
  await card.waitFor({ timeout: 20_000 });
  await eventually(async () => (await card.getAttribute('data-status')) === 'ready', 20_000, 'node ready');
  assert.match((await card.textContent()) ?? '', /ready/);
  await eventually(async () => (await page.getByTestId('stream-status').textContent())?.includes('live'), 10_000, 'stream live');
  // each node sits in its layer's band, inside its domain's box
  assert.equal(await page.locator('.layer-edge .domain', { hasText: 'domain lab' }).getByTestId(`node-${NODE}`).count(), 1);
  const cloud = page.locator('.layer-cloud .domain', { hasText: 'domain dc1' }).getByTestId(`node-${CLOUD}`);
  await cloud.waitFor({ timeout: 30_000 });
  await eventually(async () => (await cloud.getAttribute('data-status')) === 'ready', 20_000, 'cloud node ready');
  // clicking the node shows its live host metrics
  await card.click();
  await page.getByTestId('node-detail').waitFor();
  await eventually(
    async () => Number(await page.getByTestId('node-detail').getByTestId('chart-cpu').getAttribute('data-points')) >= 2,
    20_000,
    'host cpu points',
  );
  await shot(page, 'topology');
});

test('deploys a busybox httpd from the form and sees its instance running', async () => {
  const { page } = browser;
  await page.getByRole('link', { name: 'Services' }).click();
  await page.getByLabel('Name').fill(MEL);
  await page.getByLabel('Image').fill('osmo-test/httpd:1');
  await page.getByLabel('Ports').fill('80/tcp');
  await page.getByLabel('Replicas', { exact: true }).fill('1');
  // placement from the form: only the edge layer (the cloud node must not get it)
  await page.getByLabel('Only layer').selectOption('edge');
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  const card = page.getByTestId(`mel-${MEL}`);
  await card.waitFor({ timeout: 20_000 });
  await eventually(async () => (await card.getAttribute('data-running')) === '1', 60_000, 'one replica running');
  await eventually(async () => (await card.locator('tr[data-state="running"]').count()) === 1, 20_000, 'instance row running');
  // what the page shows is what the core has
  const insts = await instancesOf();
  assert.equal(insts.filter((i) => i.state === 'running').length, 1);
  assert.equal(insts[0]?.node, NODE);
  // and the container answers on its published port
  const port = insts[0]?.ports.find((p) => p.containerPort === 80)?.hostPort;
  assert.ok(port, 'port 80 published');
  assert.match(await (await fetch(`http://127.0.0.1:${port}/`)).text(), /osmo test page/);
  await shot(page, 'services');
});

test('a bad deploy shows the server-side message next to the field', async () => {
  const { page } = browser;
  await page.getByLabel('Name').fill(MEL);
  await page.getByLabel('Image').fill('osmo-test/httpd:1');
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  // the name is taken: 409 from the core, shown in the form
  const alert = page.locator('form.deploy [role="alert"]');
  await alert.waitFor({ timeout: 10_000 });
  assert.match((await alert.textContent()) ?? '', /exist|taken|already/i);
  await page.getByLabel('Name').fill('');
  await page.getByLabel('Image').fill('');
});

test("the instance's chart receives points from the stream", async () => {
  const { page } = browser;
  const inst = (await instancesOf())[0];
  assert.ok(inst);
  await page.getByTestId(`mel-${MEL}`).getByRole('link', { name: inst.name }).click();
  await page.waitForURL(/\/ui\/metrics\?/);
  assert.equal(await page.getByLabel('Target').inputValue(), inst.name);
  const chart = page.getByTestId('chart-cpu');
  const first = await eventually(async () => Number(await chart.getAttribute('data-points')) || undefined, 30_000, 'guest cpu points');
  await eventually(async () => Number(await chart.getAttribute('data-points')) > first, 15_000, 'more points');
  // uPlot drew a canvas for it, with a text alternative giving the latest value
  assert.equal(await chart.locator('canvas').count(), 1);
  assert.match((await chart.getByRole('img').getAttribute('aria-label')) ?? '', /^cpu, \d+ points; latest: total [\d.]+ percent$/);
  await eventually(async () => Number(await page.getByTestId('chart-mem').getAttribute('data-points')) >= 2, 15_000, 'guest mem points');
  await shot(page, 'metrics');
  // every instance of the node side by side
  await page.getByLabel('Target').selectOption({ label: 'all instances' });
  await eventually(
    async () => Number(await page.getByTestId('chart-cpu').getAttribute('data-points')) >= 2,
    15_000,
    'all-instances cpu points',
  );
  // the legend is drawn after the points arrive: wait for it rather than read it once
  await eventually(
    async () => new RegExp(inst.name).test((await page.getByTestId('chart-cpu').textContent()) ?? ''),
    15_000,
    `a series named ${inst.name} in the all-instances chart`,
  );
  await page.getByLabel('Target').selectOption(inst.name);
  // the stored history of the same target answers too
  await page.getByLabel('Time range').selectOption('15m');
  await eventually(async () => Number(await page.getByTestId('hist-cpu').getAttribute('data-points')) >= 1, 20_000, 'stored cpu history');
  await shot(page, 'metrics-history');
});

test('scales the service to 2 from its card', async () => {
  const { page } = browser;
  await page.getByRole('link', { name: 'Services' }).click();
  const card = page.getByTestId(`mel-${MEL}`);
  await card.getByLabel('Replicas').fill('2');
  await card.getByRole('button', { name: 'Scale' }).click();
  await eventually(async () => (await card.getAttribute('data-running')) === '2', 60_000, 'two replicas running');
  const running = (await instancesOf()).filter((i) => i.state === 'running');
  assert.equal(running.length, 2);
  assert.ok(
    running.every((i) => i.node === NODE),
    'the layer constraint keeps both on the edge node',
  );
  assert.equal(await card.locator('tr[data-state="running"]').count(), 2);
  await shot(page, 'services-scaled');
  await page.getByRole('link', { name: 'Topology' }).click();
  await eventually(
    async () => (await page.getByTestId(`node-${NODE}`).locator('.chip-running').count()) === 2,
    10_000,
    'two instances inside the node',
  );
  await shot(page, 'topology-2-instances');
});

test('the event log shows what happened and filters by type', async () => {
  const { page } = browser;
  await page.getByRole('link', { name: 'Events' }).click();
  const log = page.getByTestId('event-log');
  await eventually(async () => (await log.locator('tbody tr').count()) > 0, 10_000, 'events listed');
  const types = await page.getByLabel('Type').locator('option').allTextContents();
  const pick = types.find((t) => t !== 'all');
  assert.ok(pick, `event types offered: ${types.join(', ')}`);
  await page.getByLabel('Type').selectOption(pick);
  const shown = await log.locator('tbody tr td:nth-child(2)').allTextContents();
  assert.ok(shown.length > 0 && shown.every((t) => t === pick), `only ${pick}: ${shown.join(', ')}`);
  await page.getByLabel('Type').selectOption('');
  await shot(page, 'events');
});

test('migrates an instance to a chosen node (make-before-break) and shows the result', async () => {
  const { page } = browser;
  const created = await fetch(`${core}/api/v1/mels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: MIG, image: 'osmo-test/httpd:1', replicas: 1 }),
  });
  assert.equal(created.status, 201, await created.text());
  const first = await eventually(
    async () => (await instancesOf(MIG)).find((i) => i.state === 'running'),
    60_000,
    'instance to migrate running',
  );
  const dest = first.node === NODE ? CLOUD : NODE;
  await page.getByRole('link', { name: 'Services' }).click();
  const card = page.getByTestId(`mel-${MIG}`);
  await card.waitFor({ timeout: 10_000 });
  const row = card.getByTestId(`instance-${first.id}`);
  await row.waitFor({ timeout: 10_000 });
  // both ways of choosing are offered
  const select = row.getByLabel(`destination for ${first.name}`);
  assert.deepEqual(
    (await select.locator('option').allTextContents()).map((t) => t.split(' ')[0]),
    ['let', dest],
  );
  await select.selectOption(dest);
  await row.getByRole('button', { name: 'Migrate' }).click();
  const note = card.getByRole('status');
  await note.waitFor({ timeout: 90_000 });
  assert.match((await note.textContent()) ?? '', new RegExp(`moved from ${first.node} to ${dest}`));
  const after = await eventually(
    async () => {
      const l = await instancesOf(MIG);
      return l.length === 1 && l[0]?.state === 'running' && l[0].node === dest ? l[0] : undefined;
    },
    30_000,
    'one instance, on the destination',
  );
  assert.notEqual(after.id, first.id, 'a new instance replaced the old one');
  await eventually(
    async () => (await card.getByTestId(`instance-${after.id}`).textContent())?.includes(dest),
    10_000,
    'row shows the new node',
  );
  await shot(page, 'services-migrated');
  // the log says what happened, with the phase of the move
  await page.getByRole('link', { name: 'Events' }).click();
  await page.getByLabel('Type').selectOption('migration');
  await eventually(
    async () => /migration done/.test((await page.getByTestId('event-log').textContent()) ?? ''),
    10_000,
    'migration done in the log',
  );
  await page.getByLabel('Type').selectOption('');
  const del = await fetch(`${core}/api/v1/mels/${MIG}`, { method: 'DELETE' });
  assert.equal(del.status, 200);
  // busybox httpd ignores SIGTERM: its container takes the stop grace period to go
  await eventually(async () => (await instancesOf(MIG)).length === 0, 60_000, 'migrated MEL gone');
});

test('the stream reconnects by itself after a core restart', async () => {
  const { page } = browser;
  const status = page.getByTestId('stream-status');
  await eventually(async () => (await status.textContent())?.includes('live'), 10_000, 'live before');
  // SIGTERM (the helper escalates to SIGKILL after 10 s; either way the core is gone)
  await osmo.stop();
  await eventually(async () => (await status.textContent())?.includes('reconnecting'), 15_000, 'reconnecting shown');
  osmo = up();
  await waitForHttp(`${core}/healthz`, 60_000);
  await eventually(async () => (await status.textContent())?.includes('live'), 30_000, 'live again without a reload');
  // new events reach the open page: the node comes back ready
  await page.getByRole('link', { name: 'Topology' }).click();
  await eventually(
    async () => (await page.getByTestId(`node-${NODE}`).getAttribute('data-status')) === 'ready',
    30_000,
    'node ready after restart',
  );
  // the agent forgot its monitors with the restart of `osmo up`: turn them on again
  await monitorsOn();
});

test('phone width: no sideways scrolling, the views stack', async () => {
  const phone = await launch({ width: 390, height: 844 });
  try {
    for (const view of ['topology', 'services', 'metrics', 'events']) {
      const history =
        view === 'metrics'
          ? phone.page.waitForResponse((r) => r.url().includes('/api/v1/metrics?') && r.url().includes('metric=cpu'), { timeout: 30_000 })
          : undefined;
      await phone.page.goto(`${core}/ui/${view}`);
      await phone.page.locator('main h1').waitFor();
      if (history) {
        // a chart opened now starts with the stored recent past, not empty: it holds at least
        // the points of the history query the page made
        const body = (await (await history).json()) as { series: Array<{ points: unknown[] }> };
        const stored = Math.max(0, ...body.series.map((x) => x.points.length));
        assert.ok(stored >= 4, `the core has stored cpu history (${stored} points)`);
        await eventually(
          async () => Number(await phone.page.getByTestId('chart-cpu').getAttribute('data-points')) >= stored,
          15_000,
          'live chart back-filled from history',
        );
      }
      // layout settled: fonts loaded and two frames drawn since
      await phone.page.evaluate(
        'document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))',
      );
      const overflow = Number(await phone.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
      assert.ok(overflow <= 1, `${view} overflows by ${overflow}px`);
      await shot(phone.page, `phone-${view}`);
    }
    assert.deepEqual(phone.errors, []);
  } finally {
    await phone.close();
  }
});

test('removes the service from its card', async () => {
  const { page } = browser;
  await page.getByRole('link', { name: 'Services' }).click();
  const card = page.getByTestId(`mel-${MEL}`);
  await card.waitFor();
  page.once('dialog', (d) => void d.accept());
  await card.getByRole('button', { name: `Remove ${MEL}` }).click();
  await card.waitFor({ state: 'detached', timeout: 30_000 });
  const mels = await api<{ mels: { name: string }[] }>('/api/v1/mels');
  assert.ok(!mels.mels.some((m) => m.name === MEL));
  await eventually(async () => (await instancesOf()).length === 0, 30_000, 'instances gone');
});

test('policies: a value out of range shows the server error at the field; a valid one is saved', async () => {
  const { page } = browser;
  await page.getByRole('link', { name: 'Policies' }).click();
  const row = page.getByTestId('pol-thresholds_high');
  await row.waitFor({ timeout: 10_000 });
  await row.getByLabel('high').fill('1.5');
  await row.getByRole('button', { name: 'Save' }).click();
  const err = row.getByRole('alert');
  await err.waitFor({ timeout: 10_000 });
  assert.match((await err.textContent()) ?? '', /thresholds\.high/);
  await shot(page, 'policies-error');
  type Policies = { parameters: { name: string; value: unknown }[] };
  const high = async () => (await api<Policies>('/api/v1/policies')).parameters.find((p) => p.name === 'thresholds.high')?.value;
  assert.equal(await high(), 0.8, 'nothing changed on the server');
  // low must stay below high: a rule across fields, also the server's
  await row.getByLabel('high').fill('0.5');
  await row.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /low/.test((await row.getByRole('alert').textContent()) ?? ''), 10_000, 'low < high error');
  await row.getByLabel('high').fill('0.85');
  await row.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => (await high()) === 0.85, 10_000, 'saved on the server');
  await eventually(async () => /saved/.test((await row.textContent()) ?? ''), 10_000, 'saved shown');
  assert.equal(await row.getByRole('alert').count(), 0);
  await shot(page, 'policies');
});

test('planner: runs an uploaded model and charts it per hour', async () => {
  const { page } = browser;
  await page.getByRole('link', { name: 'Planner' }).click();
  await page.getByLabel('or upload a file').setInputFiles(join(ROOT, 'examples/planner/three-tier.json'));
  await eventually(
    async () => (await page.getByLabel('Planner input (JSON or YAML)').inputValue()).includes('"tiers"'),
    5000,
    'file read into the text area',
  );
  await page.getByRole('button', { name: 'Run planner' }).click();
  const plan = page.getByTestId('plan');
  await plan.waitFor({ timeout: 120_000 });
  const hours = (JSON.parse(readFileSync(join(ROOT, 'examples/planner/three-tier.json'), 'utf8')) as { workload: { hours: unknown[] } })
    .workload.hours.length;
  assert.equal(Number(await page.getByTestId('plan-vms').getAttribute('data-points')), hours);
  assert.match((await page.getByTestId('plan-cost').textContent()) ?? '', /\d/);
  assert.ok((await plan.locator('[data-testid^="plan-rt-"]').count()) >= 1, 'a response-time chart per class');
  await shot(page, 'planner');
});

test('keyboard: skip link, navigation and the deploy form are reachable with Tab', async () => {
  const { page } = browser;
  await page.goto(`${core}/ui/topology`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Topology');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/ui\/services$/);
  // the view renders, then an effect moves focus to it: wait for both before tabbing, or
  // the Tabs walk the header again while the view is still being drawn
  await page.locator('#dep-name').waitFor({ timeout: 10_000 });
  await eventually(async () => (await page.evaluate('document.activeElement?.id')) === 'main', 5_000, 'focus moved to the view');
  // Tab goes on into the view's controls (MEL cards first, then the form), each with a visible outline
  let reached = false;
  const walked: string[] = [];
  for (let i = 0; i < 200 && !reached; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate<string>(
      "(() => { const e = document.activeElement; return e ? e.id || e.tagName + ':' + (e.textContent ?? '').slice(0, 20) : '-'; })()",
    );
    walked.push(at);
    reached = at === 'dep-name';
  }
  assert.ok(reached, `the Name field of the deploy form is reachable by Tab; Tab walked ${walked.join(' > ')}`);
  // the focus ring may be applied a frame after focus moves: poll for it
  await eventually(
    async () => (await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')) !== 'none',
    5_000,
    'a visible focus outline on the Name field',
  );
});

test('no script errors on the page during the whole run', () => {
  assert.deepEqual(browser.errors, []);
});
