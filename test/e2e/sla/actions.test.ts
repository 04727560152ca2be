// Compensating actions in a real in-process core (real HTTP, SQLite; restarted on the same
// store). The MEL has no node to run on, so its availability stays 0 and every round is a new
// violation: scale-out acts once (1 → 2), then is skipped at its max; migrate is skipped (no
// running instance); a term acts at most once per cooldown per action type; each
// (violation, action) is recorded once, also across a restart of the core.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { eventually, tempDir } from '../../../testing/proc.js';

process.env.OSMO_SLA_POLL_MS = '200';
const dir = tempDir('osmo-sla2-actions-');
let core: CoreHandle | undefined;
after(async () => core?.close());

interface Ev {
  ts: number;
  data: { violation: string; action: string; outcome: string; reason: string; replicas?: number; previous?: number };
}
const post = async (path: string, body: unknown) => {
  const r = await fetch(`${core!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(r.status < 300, `${path}: ${r.status} ${await r.text()}`);
};
const events = async (): Promise<Ev[]> =>
  ((await (await fetch(`${core!.url}/api/v1/events?type=sla&follow=false&limit=10000`)).json()) as { events: Ev[] }).events;

test('scale-out once then skipped at max, migrate skipped, cooldown per action type, each violation acts once across a restart', async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: dir, processMetrics: false });
  await post('/api/v1/mels', { name: 'sla2-act', image: 'osmo-test/httpd:1', replicas: 1 });
  await post('/sla-service/providers', { uuid: 'p', name: 'p' });
  await post('/sla-service/agreements', {
    agreementId: 'act',
    context: { AgreementInitiator: 'c', AgreementResponder: 'p', ServiceProvider: 'AgreementResponder', Service: 'sla2-act' },
    terms: {
      allTerms: {
        guaranteeTerms: [
          {
            name: 'avail',
            serviceLevelObjetive: {
              kpitarget: {
                kpiName: 'availability',
                customServiceLevel: JSON.stringify({
                  constraint: 'availability GE 1',
                  source: 'availability',
                  actions: [{ type: 'scale-out', step: 1, max: 2 }, { type: 'migrate' }],
                  cooldown: 1,
                }),
              },
            },
          },
        ],
      },
    },
  });
  await fetch(`${core.url}/sla-service/enforcements/act/start`, { method: 'PUT' });

  const scale = (es: Ev[]) => es.filter((e) => e.data.action === 'scale-out');
  await eventually(async () => scale(await events()).length >= 3, 30_000, 'three scale-out attempts (cooldown 1 s)');
  const before = await events();
  const s = scale(before);
  assert.deepEqual(
    { outcome: s[0]!.data.outcome, previous: s[0]!.data.previous, replicas: s[0]!.data.replicas },
    { outcome: 'done', previous: 1, replicas: 2 },
  );
  for (const e of s.slice(1)) {
    assert.equal(e.data.outcome, 'skipped');
    assert.match(e.data.reason, /already 2 replicas \(max 2\)/);
  }
  const m = before.filter((e) => e.data.action === 'migrate');
  assert.ok(m.length >= 1);
  for (const e of m) assert.match(e.data.reason, /no running instance to migrate/);
  // the cooldown is kept between the claims of one action type (their times, from the status call)
  const claims = (
    (await (await fetch(`${core.url}/sla-service/agreements/act/status`)).json()) as { actions: { at: string; action: string }[] }
  ).actions;
  for (const type of ['scale-out', 'migrate']) {
    const at = claims.filter((c) => c.action === type).map((c) => Date.parse(c.at));
    assert.ok(at.length >= 1, type);
    for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= 1000, `${type}: one action per cooldown`);
  }
  const violations = (await (await fetch(`${core.url}/sla-service/violations?agreementId=act`)).json()) as unknown[];
  assert.ok(violations.length > s.length, 'rounds within the cooldown raise violations without acting');
  assert.equal(((await (await fetch(`${core.url}/api/v1/mels/sla2-act`)).json()) as { replicas: number }).replicas, 2);

  // restart on the same store: the job resumes; no (violation, action) pair is acted on twice
  await core.close();
  core = await startCore({ listen: '127.0.0.1:0', dataDir: dir, processMetrics: false });
  await eventually(async () => scale(await events()).length > s.length, 30_000, 'actions after the restart');
  const all = await events();
  const pairs = all.map((e) => `${e.data.violation}|${e.data.action}`);
  assert.equal(new Set(pairs).size, pairs.length, 'each (violation, action) once');
  assert.equal(scale(all).filter((e) => e.data.outcome === 'done').length, 1, 'scaled out once in all');
});
