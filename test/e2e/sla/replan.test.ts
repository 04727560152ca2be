// The `replan` compensating action with a real core, a real agent and a CPU-burning container
// (limited to half a core): a plan made for almost no load is followed for the MEL; a pushed
// ResponseTime that breaks the agreement makes the SLA manager measure the MEL's CPU (the
// agent's samples in the metrics store), plan again with the load scaled by observed/planned
// utilization, apply the new plan and follow it instead. The MEL ends with the new plan's
// replicas, which are more than one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, cleanupNodes, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';
import { eventually } from '../../../testing/proc.js';

const NODE = 'replan-n1';
const MEL = 'replan-burn';
let core: CoreProc;
let agent: AgentProc;

interface SlaEvent {
  data: { action: string; outcome: string; reason: string; plan?: string; replicas?: number; previous?: number };
}

before(async () => {
  cleanupNodes([NODE]);
  core = await spawnCore();
  agent = await spawnAgent(core, NODE, 'cloud', 'replan-d');
});

after(async () => {
  await api(core, 'DELETE', `/api/v1/mels/${MEL}`).catch(() => undefined);
  await eventually(async () => (await instances(core, MEL).catch(() => [])).length === 0, 60_000, 'the MEL gone').catch(() => undefined);
  await agent?.proc.stop();
  await core?.proc.stop();
  cleanupNodes([NODE]);
});

/** One tier on 1-core VMs; the forecast: one user thinking 1 s, 10 ms of CPU per request (1 % busy). */
const planInput = {
  classes: [{ name: 'c' }],
  tiers: [{ name: 'web', demands: { c: 0.01 } }],
  workload: { thinkTime: 1, hours: Array.from({ length: 24 }, (_, hour) => ({ hour, population: 1 })) },
  catalog: { providers: [{ name: 'lab', vmTypes: [{ name: 'one', cores: 1, pricePerHour: 0.01 }] }] },
  constraints: { maxUtilization: 0.2 },
};

test(
  'replan: a violation re-plans the followed plan with the observed load, applies and follows the new one',
  { timeout: 240_000 },
  async () => {
    const mel = await api(core, 'POST', '/api/v1/mels', { name: MEL, image: 'osmo-test/burn:1', replicas: 1, resources: { cpus: 0.5 } });
    assert.equal(mel.status, 201, JSON.stringify(mel.json));
    const made = await api(core, 'POST', '/api/v1/plans', planInput);
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const first = (made.json as { id: string }).id;
    const applied = await api(core, 'POST', `/api/v1/plans/${first}/apply`, { mels: { web: MEL }, follow: true });
    assert.equal(applied.status, 200, JSON.stringify(applied.json));
    assert.equal((applied.json as { replicas: Record<string, number> }).replicas[MEL], 1);
    await eventually(async () => (await instances(core, MEL)).some((i) => i.state === 'running'), 60_000, 'the burner running');

    for (const [path, body] of [
      ['/sla-service/providers', { uuid: 'replan-p', name: 'replan-p' }],
      [
        '/sla-service/agreements',
        {
          agreementId: 'replan-a',
          context: { AgreementInitiator: 'c', AgreementResponder: 'replan-p', ServiceProvider: 'AgreementResponder', Service: MEL },
          terms: {
            allTerms: {
              guaranteeTerms: [
                {
                  name: 'rt',
                  serviceLevelObjetive: {
                    kpitarget: {
                      kpiName: 'ResponseTime',
                      customServiceLevel: JSON.stringify({ constraint: 'ResponseTime LT 0.5', actions: [{ type: 'replan' }], cooldown: 1 }),
                    },
                  },
                },
              ],
            },
          },
        },
      ],
    ] as const) {
      const r = await api(core, 'POST', path, body);
      assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.json)}`);
    }
    assert.equal((await fetch(`${core.url}/sla-service/enforcements/replan-a/start`, { method: 'PUT' })).status, 200);

    // slow answers, pushed until the SLA manager has measured the MEL's CPU and replanned
    const done = await eventually(
      async () => {
        const pushed = await fetch(`${core.url}/sla-service/metrics/replan-a`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ key: 'ResponseTime', value: 2, at: Date.now() }]),
        });
        assert.equal(pushed.status, 200, await pushed.text());
        const evs = (await api(core, 'GET', '/api/v1/events?type=sla&follow=false&limit=1000')).json as { events: SlaEvent[] };
        return evs.events.find((e) => e.data.action === 'replan' && e.data.outcome === 'done');
      },
      120_000,
      'a replan done',
    );
    assert.match(done.data.reason, /utilization observed [\d.]+ vs planned [\d.]+: hour \d+'s load × [\d.]+/);
    const next = done.data.plan!;
    assert.notEqual(next, first);
    assert.ok(done.data.replicas! > 1, `more replicas than the forecast's one: ${done.data.reason}`);
    // the MEL has the new plan's count for this hour, and the new plan is the one followed
    const spec = (await api(core, 'GET', `/api/v1/mels/${MEL}`)).json as { replicas: number; spec?: { replicas: number } };
    assert.equal(spec.spec?.replicas ?? spec.replicas, done.data.replicas);
    const newPlan = (await api(core, 'GET', `/api/v1/plans/${next}`)).json as { following?: { mels: Record<string, string> } };
    assert.deepEqual(newPlan.following?.mels, { web: MEL });
    const oldPlan = (await api(core, 'GET', `/api/v1/plans/${first}`)).json as { following?: unknown };
    assert.equal(oldPlan.following, undefined);
    // stop burning before the test ends
    await api(core, 'POST', `/api/v1/plans/${next}/apply`, { mels: { web: MEL }, follow: false }).catch(() => undefined);
    await api(core, 'DELETE', `/api/v1/mels/${MEL}`);
  },
);
