// Slow and huge clients against a real core and a real agent (child processes, real sockets):
// slowloris, a 100 MiB body, 10,000 connections that never send anything. Each server closes
// the hostile sockets by its limits (src/shared/http-limits.ts) and answers a normal request
// meanwhile. How fast it answers under attack is measured by bench/slow-clients.ts, not here.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCore, type CoreProc } from '../../../testing/cluster.js';
import { startAgentProc, type AgentProc } from '../../../testing/agent-proc.js';
import { eventually } from '../../../testing/proc.js';
import { hugeBody, idle, slowloris } from '../../../testing/slow-clients.js';

const MiB = 1024 * 1024;
// node checks its connections every 30 s: a socket goes at most that long after its limit
const SHED_DEADLINE_MS = 120_000;

let core: CoreProc;
let agent: AgentProc;

before(async () => {
  core = await spawnCore();
  agent = await startAgentProc({ nodeId: `fuzz-slow-${process.pid}` });
});
after(async () => {
  await agent?.stop();
  await core?.proc.stop();
});

const servers = () => [
  { name: 'core', url: core.url, body: { method: 'POST', path: '/api/v1/mels' } },
  { name: 'agent', url: agent.url, body: { method: 'PUT', path: '/api/v1/deploy' } },
];

async function normalRequestSucceeds(url: string): Promise<void> {
  const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(60_000) });
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { status: string }).status, 'ok');
}

for (const which of ['core', 'agent'] as const) {
  describe(`the ${which} under slow and huge clients`, () => {
    const server = () => servers().find((s) => s.name === which)!;

    test('slowloris: 200 connections dribbling their headers are closed, and a normal request succeeds meanwhile', async () => {
      const held = await slowloris(server().url, 200);
      try {
        assert.equal(held.opened, 200);
        await normalRequestSucceeds(server().url);
        await eventually(
          () => held.closed() === held.opened,
          SHED_DEADLINE_MS,
          `all ${held.opened} slowloris sockets closed by the ${which}`,
        );
        await normalRequestSucceeds(server().url);
      } finally {
        held.stop();
      }
    });

    test('a 100 MiB body: announced, it is a 400 OSMO_BODY_TOO_LARGE before any of it is read; sent, with its length or chunked, it is cut off long before its end', async () => {
      const { method, path } = server().body;
      const announced = await hugeBody(server().url, method, path, 100 * MiB, { announceOnly: true });
      assert.equal(announced.status, 400, announced.body);
      assert.equal((JSON.parse(announced.body) as { code: string }).code, 'OSMO_BODY_TOO_LARGE');
      for (const chunked of [false, true]) {
        const sending = hugeBody(server().url, method, path, 100 * MiB, { chunked });
        await normalRequestSucceeds(server().url);
        const r = await sending;
        // the server stops reading and closes: the rest of the 100 MiB is never taken
        assert.ok(r.sent < 100 * MiB, `${chunked ? 'chunked' : 'Content-Length'}: the server read the whole body (${r.sent} bytes)`);
      }
      await normalRequestSucceeds(server().url);
    });

    test('10,000 idle connections are closed, and a normal request succeeds meanwhile', async () => {
      const held = await idle(server().url, 10_000);
      try {
        assert.equal(held.opened, 10_000);
        await normalRequestSucceeds(server().url);
        await eventually(() => held.closed() === held.opened, SHED_DEADLINE_MS, `all 10,000 idle sockets closed by the ${which}`);
        await normalRequestSucceeds(server().url);
      } finally {
        held.stop();
      }
    });
  });
}
