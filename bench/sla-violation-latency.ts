// Violation latency of the SLA manager: from the moment a KPI crosses to the violation being
// visible in GET /sla-service/violations. Real `osmo core` and `osmo agent` processes, a real
// httpd container, an agreement `ResponseTime LT 0.4` measured by the core's own HTTP probe
// of the MEL's published port (timeout 0.5 s) at a poll interval of POLL_MS. A run pauses the
// container (the KPI crosses: the probe times out), polls the violations every 20 ms, then
// unpauses it and waits for FULFILLED. Baseline in the same invocation, interleaved: a
// breaching value pushed to POST /sla-service/metrics/{id} (push mode enforces at once), the
// latency of evaluation + store + read without waiting for a poll.
// Usage: DOCKER_HOST=... node --import tsx bench/sla-violation-latency.ts [runs] [pollMs]
import Docker from 'dockerode';
import { api, cleanupNodes, instances, spawnAgent, type CoreProc } from '../testing/cluster.js';
import { eventually, freePort, spawnOsmo, tempDir, waitForHttp } from '../testing/proc.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';

const RUNS = Number(process.argv[2] ?? 20);
const POLL_MS = Number(process.argv[3] ?? 2000);
const NODE = 'slalat-n1';
const MEL = 'slalat-web';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
};

async function spawnCoreWithPoll(): Promise<CoreProc> {
  const dataDir = tempDir('osmo-slalat-core-');
  const port = await freePort();
  const proc = spawnOsmo(['core', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], { OSMO_SLA_POLL_MS: String(POLL_MS) });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, 30_000);
  return { proc, url, port, dataDir, token: readFileSync(join(dataDir, 'join-token'), 'utf8').trim() };
}

const sla = async (core: CoreProc, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> => {
  const r = await fetch(`${core.url}/sla-service${path}`, {
    method,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
};

const agreement = (id: string, level: object, kpi: string) => ({
  agreementId: id,
  context: { AgreementInitiator: 'c', AgreementResponder: 'slalat-p', ServiceProvider: 'AgreementResponder', Service: MEL },
  terms: {
    allTerms: {
      guaranteeTerms: [{ name: 't', serviceLevelObjetive: { kpitarget: { kpiName: kpi, customServiceLevel: JSON.stringify(level) } } }],
    },
  },
});

const violations = async (core: CoreProc, id: string): Promise<number> =>
  (JSON.parse((await sla(core, 'GET', `/violations?agreementId=${id}`)).text) as unknown[]).length;

async function untilMore(core: CoreProc, id: string, than: number, t0: number): Promise<number> {
  for (;;) {
    if ((await violations(core, id)) > than) return Date.now() - t0;
    if (Date.now() - t0 > 60_000) throw new Error(`no violation of ${id} within 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  cleanupNodes([NODE]);
  const core = await spawnCoreWithPoll();
  const agent = await spawnAgent(core, NODE, 'cloud', 'slalat-d');
  const docker = new Docker();
  try {
    const m = await api(core, 'POST', '/api/v1/mels', { name: MEL, image: 'osmo-test/httpd:1', replicas: 1, ports: { '80/tcp': null } });
    if (m.status !== 201) throw new Error(JSON.stringify(m.json));
    const inst = await eventually(async () => (await instances(core, MEL)).find((i) => i.state === 'running'), 60_000, 'httpd running');
    const [ct] = await docker.listContainers({ filters: { name: [inst.name] } });
    const container = docker.getContainer(ct!.Id);
    await sla(core, 'POST', '/providers', { uuid: 'slalat-p', name: 'slalat-p' });
    const measured = agreement(
      'slalat-measured',
      { constraint: 'ResponseTime LT 0.4', source: { type: 'http', timeout: 0.5 } },
      'ResponseTime',
    );
    const pushed = agreement('slalat-pushed', { constraint: 'Pushed LT 1' }, 'Pushed');
    for (const a of [measured, pushed]) {
      const r = await sla(core, 'POST', '/agreements', a);
      if (r.status !== 201) throw new Error(r.text);
      await sla(core, 'PUT', `/enforcements/${a.agreementId}/start`);
    }
    const fulfilled = async () =>
      (JSON.parse((await sla(core, 'GET', '/agreements/slalat-measured/guaranteestatus')).text) as { guaranteestatus: string })
        .guaranteestatus === 'FULFILLED';
    await eventually(fulfilled, 60_000, 'the measured agreement FULFILLED');

    const lat: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // the KPI crosses: the container stops answering
      const before = await violations(core, 'slalat-measured');
      const t0 = Date.now();
      await container.pause();
      lat.push(await untilMore(core, 'slalat-measured', before, t0));
      await container.unpause();
      await eventually(fulfilled, 60_000, 'FULFILLED again');
      // baseline: a breaching value pushed
      const pb = await violations(core, 'slalat-pushed');
      const t1 = Date.now();
      await sla(core, 'POST', '/metrics/slalat-pushed', [{ key: 'Pushed', value: 2, at: t1 }]);
      base.push(await untilMore(core, 'slalat-pushed', pb, t1));
      process.stderr.write(`run ${i + 1}/${RUNS}: measured ${lat.at(-1)} ms, pushed ${base.at(-1)} ms\n`);
    }
    const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} | ${pct(xs, 0.5)} | ${pct(xs, 0.99)} | ${Math.max(...xs)} |`;
    console.log(
      `poll interval ${POLL_MS} ms; target: p99 ≤ poll + 1 s = ${POLL_MS + 1000} ms; load average ${loadavg()[0]!.toFixed(1)} at the end`,
    );
    console.log('| path | runs | p50 ms | p99 ms | max ms |');
    console.log('| --- | --- | --- | --- | --- |');
    console.log(row('container paused → violation visible (core HTTP probe, timeout 0.5 s)', lat));
    console.log(row('baseline: breaching value pushed → violation visible', base));
  } finally {
    await api(core, 'DELETE', `/api/v1/mels/${MEL}`).catch(() => undefined);
    await eventually(async () => (await instances(core, MEL).catch(() => [])).length === 0, 60_000, 'MEL gone').catch(() => undefined);
    await agent.proc.stop();
    await core.proc.stop();
    cleanupNodes([NODE]);
  }
}

await main();
