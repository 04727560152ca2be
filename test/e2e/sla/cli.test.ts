// `osmo sla …` against a real in-process core (real HTTP, SQLite), and the mediator on a
// MEL's own slo block: `osmo sla generate MEL` makes a template and an agreement bound to the
// MEL (sources, actions). The MEL has no node to run on, so its availability is 0: the
// generated availability term is violated and its scale-out action raises the replicas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { eventually, spawnOsmo, tempDir } from '../../../testing/proc.js';

process.env.OSMO_SLA_POLL_MS = '300';
let core: CoreHandle;
const MEL = 'sla2-cli-web';

before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-sla2-cli-'), processMetrics: false });
});
after(async () => core?.close());

async function osmo(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnOsmo(['sla', ...args, '--core', core.url, '--token', core.token]);
  const code = await p.exit(90_000);
  return { code, out: p.output() };
}
async function post(path: string, body: unknown) {
  const r = await fetch(`${core.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

test('osmo sla generate MEL: template + agreement from the slo block, bound to the MEL; list, status, violations', async () => {
  const slo = {
    responseTime: { max: 2.0 },
    availability: { min: 0.999, actions: [{ type: 'scale-out', step: 1, max: 3 }], cooldown: 600, penalty: { expression: '5' } },
  };
  assert.equal((await post('/api/v1/mels', { name: MEL, image: 'osmo-test/httpd:1', replicas: 1, slo })).status, 201);
  assert.equal((await post('/sla-service/providers', { uuid: 'sla2-p', name: 'sla2-p' })).status, 201);

  const g = await osmo([
    'generate',
    MEL,
    '--provider',
    'sla2-p',
    '--consumer',
    'sla2-c',
    '--agreement-id',
    'sla2-ag',
    '--template-id',
    'sla2-tpl',
  ]);
  assert.equal(g.code, 0, g.out);
  assert.match(g.out, /agreement sla2-ag stored/);

  const list = await osmo(['agreements', '--json']);
  assert.equal(list.code, 0, list.out);
  const [ag] = JSON.parse(list.out) as Array<{ agreementId: string; terms: { allTerms: { guaranteeTerms: any[] } } }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Atos JSON
  assert.equal(ag?.agreementId, 'sla2-ag');
  const csl = ag.terms.allTerms.guaranteeTerms.map((t) => JSON.parse(t.serviceLevelObjective.kpitarget.customServiceLevel as string));
  assert.deepEqual(csl[0], { constraint: 'qosConstraint_c1_Violated NOT_EXISTS', qos: { hasMaxValue: 2 }, source: 'http' });
  assert.deepEqual(csl[1], {
    constraint: 'qosConstraint_c2_Violated NOT_EXISTS',
    qos: { hasMinValue: 0.999 },
    source: 'availability',
    actions: [{ type: 'scale-out', step: 1, max: 3 }],
    cooldown: 600,
  });
  const tpls = await osmo(['templates']);
  assert.match(tpls.out, /^ID\s+NAME\s+PROVIDER\s+SERVICE\s+TERMS\n/);
  assert.match(tpls.out, /sla2-tpl\s+sla2-cli-web\s+sla2-p\s+sla2-cli-web\s+2/);

  assert.equal((await osmo(['start', 'sla2-ag'])).code, 0);
  // nothing runs (no node): availability 0 < 0.999 raises the c2 event; the probe has no instance
  // to ask, so c1 sees the 5 s timeout > 2.0 too
  await eventually(
    async () =>
      (await fetch(`${core.url}/sla-service/violations?agreementId=sla2-ag&guaranteeTerm=c2`).then((r) => r.json() as Promise<unknown[]>))
        .length > 0,
    20_000,
    'a c2 violation',
  );
  await eventually(
    async () => (await fetch(`${core.url}/api/v1/mels/${MEL}`).then((r) => r.json() as Promise<{ replicas: number }>)).replicas === 2,
    20_000,
    'scale-out to 2',
  );

  const st = await osmo(['status', 'sla2-ag']);
  assert.equal(st.code, 0, st.out);
  assert.match(st.out, /agreement sla2-ag: VIOLATED \(enforcement started/);
  assert.match(st.out, /c2\s+VIOLATED\s+0\s+\S+\s+qosConstraint_c2_Violated NOT_EXISTS\s+sla2-cli-web\s+availability\s+scale-out/);
  assert.match(st.out, /scale-out\s+done/);
  const vs = await osmo(['violations', '--agreement', 'sla2-ag', '--term', 'c2', '--json']);
  assert.ok((JSON.parse(vs.out) as unknown[]).length > 0);
  const ps = await osmo(['penalties', '--agreement', 'sla2-ag']);
  assert.match(ps.out, /discount\s+5\s+%\s+P1D/);
  const pr = await osmo(['providers']);
  assert.match(pr.out, /sla2-p\s+sla2-p/);
});

test('osmo sla: unknown agreement, MEL without slo, bad actions: one line, non-zero exit, nothing stored', async () => {
  const ghost = await osmo(['status', 'ghost']);
  assert.notEqual(ghost.code, 0);
  assert.match(ghost.out, /no agreement ghost/);
  assert.equal((await post('/api/v1/mels', { name: 'sla2-cli-bare', image: 'osmo-test/httpd:1', replicas: 0 })).status, 201);
  const bare = await osmo(['generate', 'sla2-cli-bare', '--provider', 'sla2-p']);
  assert.notEqual(bare.code, 0);
  assert.match(bare.out, /has no slo block/);
  const badSlo = { availability: { min: 0.9, actions: [{ type: 'reboot' }] } };
  assert.equal((await post('/api/v1/mels', { name: 'sla2-cli-bad', image: 'osmo-test/httpd:1', replicas: 0, slo: badSlo })).status, 201);
  const bad = await osmo(['generate', 'sla2-cli-bad', '--provider', 'sla2-p', '--template-id', 'sla2-bad-tpl']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.out, /actions\.0.+migrate or replan/);
  assert.equal((await fetch(`${core.url}/sla-service/templates/sla2-bad-tpl`)).status, 404, 'no template left behind');
  assert.equal((await post('/api/v1/mels', { name: 'sla2-cli-x', image: 'i', slo: { availability: {} } })).status, 400);
});
