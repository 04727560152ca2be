// The simulated agents of the control-plane bench on the bus (testing/sim-agent.ts `bus`,
// bench/core-scale-cluster.ts AGENT_CORES=bus) against a real nats-server and a real
// `osmo core --bus`: what the bench's bus figures rest on. Many simulators share one NATS
// connection; the core must still see each as its own node, with its own credential.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, instances, spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { startNats, type NatsCluster } from '../../../testing/nats.js';
import { eventually, tempDir } from '../../../testing/proc.js';
import { SimAgent, serveSimCommands } from '../../../testing/sim-agent.js';
import { connectBus, type NatsConnection } from '../../../src/bus/nats/connect.js';

const RUN = Math.random().toString(36).slice(2, 7);
let nats: NatsCluster;
let core: CoreProc;
let nc: NatsConnection;
let served: { unsubscribe(): void };
const sims: SimAgent[] = [];

before(async () => {
  nats = await startNats(1);
  core = await spawnCore(tempDir('osmo-simbus-core-'), undefined, ['--bus', nats.url]);
  nc = await connectBus({ url: nats.url, name: 'sim-bus test' });
  const byId = new Map<string, SimAgent>();
  served = serveSimCommands(nc, byId);
  for (let k = 0; k < 10; k++) {
    const a = new SimAgent({ id: `sb-${RUN}-${k}`, core: core.url, token: core.token, bus: nc, heartbeatMs: 300 });
    byId.set(a.o.id, a);
    sims.push(await a.start());
  }
});

after(async () => {
  await Promise.all(sims.map((a) => a.stop()));
  served?.unsubscribe();
  await nc?.drain().catch(() => undefined);
  await core?.proc.stop('SIGKILL');
  await nats?.stop();
});

test('ten simulators on one NATS connection register as nats://<id>, each with its own credential, and stay ready on bus heartbeats', async () => {
  const mine = async () =>
    ((await api(core, 'GET', '/api/v1/nodes')).json.nodes as Array<{ id: string; status: string; address: string }>).filter((n) =>
      n.id.startsWith(`sb-${RUN}-`),
    );
  await eventually(async () => (await mine()).filter((n) => n.status === 'ready').length === 10, 30_000, '10 ready');
  for (const n of await mine()) assert.equal(n.address, `nats://${n.id}`);
  const creds = new Set(sims.map((a) => a.credential));
  assert.equal(creds.size, 10, 'one credential per simulated node');
  assert.ok(!creds.has(undefined));
  // a few heartbeat periods later they are all still ready, and none failed
  const before = Date.now();
  await eventually(async () => Date.now() - before > 1500 && (await mine()).every((n) => n.status === 'ready'), 10_000, 'still ready');
  assert.deepEqual(
    sims.map((a) => a.heartbeatErrors),
    sims.map(() => 0),
  );
});

test("the core's deploy commands reach each simulator over osmo.cmd.<id>, and the replicas run", async () => {
  const mel = `sb-${RUN}-web`;
  const r = await api(core, 'POST', '/api/v1/mels', { name: mel, image: 'osmo-test/sleeper:1', replicas: 10, placement: { spread: true } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  await eventually(async () => (await instances(core, mel)).filter((i) => i.state === 'running').length === 10, 30_000, '10 running');
  // spread: one on each simulated node, each told by its own subject
  assert.deepEqual(
    sims.map((a) => [...a.containers.keys()].filter((n) => n.includes(mel)).length),
    sims.map(() => 1),
  );
});
