// TLS with real processes: a core and an agent started with --tls-cert/--tls-key (a
// certificate made here with openssl), trusting it through NODE_EXTRA_CA_CERTS. The agent
// joins over HTTPS and the core commands it over HTTPS (its monitors start and their events
// come back); plain HTTP to either is answered 400 naming the fix; an agent that does not
// trust the certificate refuses to join and says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { eventually, freePort, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';

const RUN = process.pid.toString(36);
const NODE = `sec-${RUN}-tls`;
const dir = tempDir('osmo-sec-tls-');
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
const procs: OsmoProcess[] = [];
let coreUrl: string;
let token: string;

after(async () => {
  for (const p of procs.reverse()) await p.stop();
});

/** GET over HTTPS trusting only our certificate; the JSON answer. */
function get(url: string, auth?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: readFileSync(cert), headers: auth ? { authorization: `Bearer ${auth}` } : {}, timeout: 10_000 },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function agent(port: number, extraEnv: NodeJS.ProcessEnv, id: string): Promise<OsmoProcess> {
  const p = spawnOsmo(
    [
      'agent',
      '--listen',
      `127.0.0.1:${port}`,
      '--node-id',
      id,
      '--driver',
      'process',
      '--data-dir',
      join(dir, id),
      '--core',
      coreUrl,
      '--token',
      token,
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--log-level',
      'warn',
    ],
    extraEnv,
  );
  procs.push(p);
  return p;
}

before(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
    ].concat(['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const core = spawnOsmo(['core', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'core'), '--tls-cert', cert, '--tls-key', key], {
    NODE_EXTRA_CA_CERTS: cert,
  });
  procs.push(core);
  coreUrl = `https://127.0.0.1:${port}`;
  await eventually(async () => (await get(`${coreUrl}/healthz`)).status === 200, 60_000, 'the core over HTTPS');
  token = readFileSync(join(dir, 'core', 'join-token'), 'utf8').trim();
});

test('plain HTTP to a TLS core is refused with a message naming the fix', async () => {
  const r = await fetch(`${coreUrl.replace('https:', 'http:')}/api/v1/nodes`);
  assert.equal(r.status, 400);
  const body = (await r.json()) as { error: string; code: string };
  assert.match(body.error, /HTTPS only: use https:\/\//);
  assert.equal(body.code, 'OSMO_BAD_REQUEST');
});

test('an agent joins over TLS and the core commands it over TLS', async () => {
  const port = await freePort();
  await agent(port, { NODE_EXTRA_CA_CERTS: cert }, NODE);
  await eventually(async () => (await get(`${coreUrl}/api/v1/nodes/${NODE}`, token)).json.status === 'ready', 60_000, 'ready over TLS');
  assert.equal((await get(`${coreUrl}/api/v1/nodes/${NODE}`, token)).json.address, `https://127.0.0.1:${port}`);
  // the core starts the monitors its policies need on the agent (core -> agent, HTTPS, the
  // node's command token); the agent reports them back (agent -> core, its credential)
  await eventually(
    async () => {
      const evs = (await get(`${coreUrl}/api/v1/events?follow=false&type=monitor&node=${NODE}`, token)).json.events as unknown[];
      return evs.length > 0;
    },
    60_000,
    'a monitor the core started on the agent',
  );
  const plain = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(plain.status, 400, 'the agent refuses plain HTTP too');
});

test('an agent that does not trust the certificate refuses to join and says why', async () => {
  const id = `sec-${RUN}-untrusting`;
  const p = await agent(await freePort(), { NODE_EXTRA_CA_CERTS: '' }, id);
  await eventually(
    () =>
      /register failed.*TLS certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): give its CA with NODE_EXTRA_CA_CERTS/.test(p.output()),
    30_000,
    'a certificate complaint',
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; agent output: ${p.output()}`);
  });
  assert.equal((await get(`${coreUrl}/api/v1/nodes/${id}`, token)).status, 404, 'not joined');
});

test('the CLI follows the event stream of a TLS core trusting only --ca (no NODE_EXTRA_CA_CERTS)', async () => {
  const follow = spawnOsmo(['events', '--core', coreUrl, '--token', token, '--ca', cert, '--since', '0'], { NODE_EXTRA_CA_CERTS: '' });
  try {
    // the history replayed at once holds the core's own start event
    await eventually(() => /\bcore\b/.test(follow.output()) && follow.child.exitCode === null, 30_000, 'events streamed over HTTPS').catch(
      (e: unknown) => {
        throw new Error(`${(e as Error).message}; CLI output: ${follow.output()}`);
      },
    );
  } finally {
    await follow.stop();
  }
  // without the CA the same command fails and names the certificate problem
  const untrusting = spawnOsmo(['events', '--core', coreUrl, '--token', token, '--ca', '/dev/null'], { NODE_EXTRA_CA_CERTS: '' });
  assert.notEqual(await untrusting.exit(30_000), 0);
  assert.match(untrusting.output(), /certificate|CA/i);
});
