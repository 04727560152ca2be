// An agreement on a live MEL, enforced from what osmo measures itself: a real core and agent
// (child processes), a real httpd container. Two terms on the MEL: `availability` (running /
// desired replicas) with a `scale-out` compensating action and a penalty after 2 violations,
// and `ResponseTime` measured by the core's HTTP probe of the published port. Stopping the
// container turns the terms VIOLATED, stores violations and a penalty, and the scale-out
// starts a new instance; the core is killed with SIGKILL in the middle and restarted on the
// same store: nothing recorded before the kill is recorded again, and once the reconciler has
// replaced the stopped instance the agreement is FULFILLED again.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { eventually } from '../../../testing/proc.js';
import { api, cleanupNodes, instances, spawnAgent, spawnCore, type AgentProc, type CoreProc } from '../../../testing/cluster.js';

const POLL_MS = 1000;
process.env.OSMO_SLA_POLL_MS = String(POLL_MS); // the core child inherits it
const NODE = 'sla2-live-n1';
const MEL = 'sla2-live-web';
const AG = 'sla2-live-ag';
let core: CoreProc;
let agent: AgentProc;

interface Violation {
  uuid: string;
  datetime: string;
  metric_name: string;
}
interface Penalty {
  uuid: string;
  datetime: string;
}
interface SlaEvent {
  id: number;
  type: string;
  data: { agreement: string; term: string; violation: string; action: string; outcome: string; replicas?: number; previous?: number };
}

const sla = async (path: string, body?: unknown) => {
  const r = await api(core, body === undefined ? 'GET' : 'POST', `/sla-service${path}`, body);
  return r;
};
const list = async <T>(path: string): Promise<T[]> => {
  const r = await fetch(`${core.url}/sla-service${path}`, { headers: { accept: 'application/json' } });
  assert.equal(r.status, 200, path);
  return (await r.json()) as T[];
};
const status = async () => {
  const r = await fetch(`${core.url}/sla-service/agreements/${AG}/guaranteestatus`, { headers: { accept: 'application/json' } });
  return (await r.json()) as { guaranteestatus: string; guaranteeterms: { name: string; status: string }[] };
};
const slaEvents = async (): Promise<SlaEvent[]> => {
  const r = await api(core, 'GET', '/api/v1/events?type=sla&follow=false&limit=1000');
  return ((r.json.events ?? []) as SlaEvent[]).filter((e) => e.type === 'sla' && e.data.agreement === AG);
};

const agreement = {
  agreementId: AG,
  name: 'live',
  context: {
    AgreementInitiator: 'sla2-consumer',
    AgreementResponder: 'sla2-provider',
    ServiceProvider: 'AgreementResponder',
    Service: MEL,
  },
  terms: {
    allTerms: {
      guaranteeTerms: [
        {
          name: 'GTAvailability',
          serviceScope: { serviceName: MEL },
          serviceLevelObjetive: {
            kpitarget: {
              kpiName: 'availability',
              customServiceLevel: JSON.stringify({
                constraint: 'availability GE 0.999',
                source: 'availability',
                actions: [{ type: 'scale-out', step: 1, max: 2 }],
                cooldown: 600,
              }),
            },
          },
          businessValueList: {
            customBusinessValue: [
              { count: 2, duration: 'PT1H', penalties: [{ type: 'discount', expression: '10', unit: '%', validity: 'P1D' }] },
            ],
          },
        },
        {
          name: 'GTResponseTime',
          serviceScope: { serviceName: MEL },
          serviceLevelObjetive: {
            kpitarget: {
              kpiName: 'ResponseTime',
              customServiceLevel: JSON.stringify({ constraint: 'ResponseTime LT 1.5', source: { type: 'http', path: '/', timeout: 2 } }),
            },
          },
        },
      ],
    },
  },
};

describe('an SLA enforced from live measurements, with a compensating action', { timeout: 240_000 }, () => {
  before(async () => {
    cleanupNodes([NODE]);
    core = await spawnCore();
    agent = await spawnAgent(core, NODE, 'cloud', 'sla2-dc');
    await eventually(
      async () => ((await api(core, 'GET', '/api/v1/nodes')).json.nodes as Array<{ status: string }>).some((n) => n.status === 'ready'),
      20_000,
      'node ready',
    );
  });
  after(async () => {
    await agent?.proc.stop('SIGKILL');
    await core?.proc.stop('SIGKILL');
    cleanupNodes([NODE]);
  });

  test('violated when the container stops, scaled out, fulfilled again; a core killed midway counts nothing twice', async () => {
    const created = await api(core, 'POST', '/api/v1/mels', {
      name: MEL,
      image: 'osmo-test/httpd:1',
      replicas: 1,
      ports: { '80/tcp': null },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const first = await eventually(async () => (await instances(core, MEL)).find((i) => i.state === 'running'), 60_000, 'the MEL running');

    assert.equal((await sla('/providers', { uuid: 'sla2-provider', name: 'sla2-provider' })).status, 201);
    const made = await sla('/agreements', agreement);
    assert.equal(made.status, 201, JSON.stringify(made.json));
    assert.equal((await fetch(`${core.url}/sla-service/enforcements/${AG}/start`, { method: 'PUT' })).status, 200);
    await eventually(async () => (await status()).guaranteestatus === 'FULFILLED', 20_000, 'both terms FULFILLED while the MEL runs');
    assert.deepEqual(await list<Violation>(`/violations?agreementId=${AG}`), []);

    // outage: the container stops behind osmo's back
    const stoppedAt = Date.now();
    execFileSync('docker', ['stop', '-t', '1', first.name], { stdio: 'ignore' });

    // watch the status often (the reconciler replaces the stopped instance after its hold)
    let sawViolated = false;
    const watch = setInterval(() => {
      void status()
        .then((s) => (sawViolated ||= s.guaranteeterms.some((t) => t.name === 'GTAvailability' && t.status === 'VIOLATED')))
        .catch(() => undefined);
    }, 100);
    try {
      await eventually(
        async () => (await list<Penalty>(`/penalties?agreementId=${AG}&guaranteeTerm=GTAvailability`)).length >= 1,
        30_000,
        'a penalty after 2 availability violations',
      );
      const acted = await eventually(
        async () => (await slaEvents()).find((e) => e.data.action === 'scale-out' && e.data.outcome === 'done'),
        30_000,
        'the scale-out action',
      );
      assert.equal(acted.data.term, 'GTAvailability');
      assert.equal(acted.data.previous, 1);
      assert.equal(acted.data.replicas, 2);
      const vs = await list<Violation>(`/violations?agreementId=${AG}`);
      assert.ok(
        vs.some((v) => v.uuid === acted.data.violation),
        'the action names a stored violation',
      );
      assert.ok(
        vs.some((v) => v.metric_name === 'ResponseTime'),
        'the HTTP probe saw the outage too',
      );
      assert.ok(
        vs.every((v) => Date.parse(v.datetime) >= stoppedAt - 1000),
        'no violation before the outage',
      );
      assert.ok(sawViolated, 'GTAvailability was VIOLATED');
    } finally {
      clearInterval(watch);
    }
    // the scale-out starts a new instance
    await eventually(
      async () => (await instances(core, MEL)).some((i) => i.id !== first.id && i.state === 'running'),
      60_000,
      'a new instance running',
    );

    // kill -9 the core in the middle, then restart it on the same store and port
    const before = {
      violations: await list<Violation>(`/violations?agreementId=${AG}`),
      penalties: await list<Penalty>(`/penalties?agreementId=${AG}`),
      actions: (await slaEvents()).length,
    };
    await core.proc.stop('SIGKILL');
    core = await spawnCore(core.dataDir, core.port);

    await eventually(async () => (await status()).guaranteestatus === 'FULFILLED', 90_000, 'FULFILLED again after the restore');
    const afterV = await list<Violation>(`/violations?agreementId=${AG}`);
    const afterP = await list<Penalty>(`/penalties?agreementId=${AG}`);
    const uuids = afterV.map((v) => v.uuid);
    assert.equal(new Set(uuids).size, uuids.length, 'no violation stored twice');
    for (const v of before.violations) assert.equal(uuids.filter((u) => u === v.uuid).length, 1, `violation ${v.uuid} once`);
    const lastBefore = Math.max(...before.violations.map((v) => Date.parse(v.datetime)));
    assert.equal(
      afterV.filter((v) => Date.parse(v.datetime) <= lastBefore).length,
      before.violations.length,
      'nothing up to the kill was recorded again',
    );
    const pu = afterP.map((p) => p.uuid);
    assert.equal(new Set(pu).size, pu.length, 'no penalty stored twice');
    for (const p of before.penalties) assert.ok(pu.includes(p.uuid));
    const done = (await slaEvents()).filter((e) => e.data.action === 'scale-out' && e.data.outcome === 'done');
    assert.equal(done.length, 1, 'one scale-out (cooldown 600 s), not repeated after the restart');
    assert.ok((await slaEvents()).length >= before.actions);
    assert.equal(((await api(core, 'GET', `/api/v1/mels/${MEL}`)).json as { replicas: number }).replicas, 2);
  });
});
