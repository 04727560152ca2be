// TLS by default off loopback, with real processes on separate hosts (network namespaces
// made here, traffic only on their bridge): a core on its bridge address makes its own CA and
// writes a join token pinned to it; agents given that token fetch the CA, check it against
// the pin, keep it and verify the core with it, and get their own API certificate from it;
// the core commands them over HTTPS (a real container deployed through the machine's Docker
// engine, reached over its Unix socket). A token with a wrong pin is refused before anything
// is sent; plain HTTP is refused with a message naming the fix; a revoked node goes down; a
// rotated join token admits new nodes while joined ones keep beating; and no secret of the
// run appears in any log line.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, spawnOsmo, tempDir, type OsmoProcess } from '../../../testing/proc.js';
import { makeLan, nsCurl, nsJson, type Host, type Lan } from '../../../testing/netns.js';
import { coreCaFile, curlTrust, joinTokenOf, leakedSecrets, secretsIn } from '../../../testing/tls.js';
import { cleanupNodes } from '../../../testing/cluster.js';

const SUBNET = '10.231.16';
const RUN = process.pid.toString(36);
const id = (n: string) => `tls-${RUN}-${n}`;
let lan: Lan;
let h: Record<'core' | 'a1' | 'a2' | 'a3' | 'a4', Host>;
const coreDir = tempDir('osmo-tls-core-');
let core: OsmoProcess;
let token = '';
const secrets: string[] = [];
const agents = new Map<string, { proc: OsmoProcess; dir: string; host: Host }>();
const procs: OsmoProcess[] = [];
const coreUrl = () => `https://${h.core.ip}:7700`;

function agent(name: string, host: Host, tok: string): { proc: OsmoProcess; dir: string; host: Host } {
  const dir = tempDir(`osmo-tls-${name}-`);
  const proc = spawnOsmo(
    [
      'agent',
      '--listen',
      `${host.ip}:5000`,
      '--node-id',
      id(name),
      '--data-dir',
      dir,
      '--core',
      coreUrl(),
      '--token',
      tok,
      '--stop-grace',
      '1',
    ],
    { DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///tmp/osmo-docker.sock' },
    undefined,
    host.enter,
  );
  const a = { proc, dir, host };
  agents.set(name, a);
  procs.push(proc);
  return a;
}

/** the core's API from the agents' side of the bridge, trusting only the core's CA */
const api = <T = Record<string, unknown>>(path: string, args: string[] = [], tok = token) =>
  nsJson<T>(h.a4, [...curlTrust(coreDir), '-H', `authorization: Bearer ${tok}`, ...args, `${coreUrl()}${path}`]);
const node = (n: string) => api<{ status?: string; address?: string; lastHeartbeat?: string }>(`/api/v1/nodes/${id(n)}`);

describe('TLS between hosts by default', { timeout: 600_000 }, () => {
  before(async () => {
    lan = makeLan('tls', SUBNET, ['core', 'a1', 'a2', 'a3', 'a4']);
    h = lan.hosts;
    core = spawnOsmo(
      [
        'core',
        '--listen',
        `${h.core.ip}:7700`,
        '--data-dir',
        coreDir,
        '--heartbeat',
        '500',
        '--suspect-after',
        '2000',
        '--down-after',
        '4000',
      ],
      {},
      undefined,
      h.core.enter,
    );
    procs.push(core);
    await coreCaFile(coreDir);
    await eventually(() => nsCurl(h.a4, [...curlTrust(coreDir), `${coreUrl()}/healthz`]).status === 200, 60_000, 'the core over HTTPS');
    token = joinTokenOf(coreDir);
  });

  after(async () => {
    for (const p of procs.reverse()) await p.stop('SIGKILL');
    cleanupNodes([...agents.keys()].map(id));
    await lan?.close();
  });

  test('the core makes a CA (key 0600, data dir 0700) and the join token it writes carries its SHA-256', async () => {
    const der = Buffer.from(
      readFileSync(join(coreDir, 'ca.pem'), 'utf8')
        .replace(/-----[^-]+-----/g, '')
        .replace(/\s/g, ''),
      'base64',
    );
    const fp = createHash('sha256').update(der).digest('hex');
    assert.match(token, new RegExp(`^osmoj1-${fp}-osmo_`));
    assert.equal(statSync(join(coreDir, 'ca-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(coreDir, 'join-token')).mode & 0o777, 0o600);
    assert.equal(statSync(coreDir).mode & 0o777, 0o700);
    await eventually(() => new RegExp(`join token: .*pinned to the CA .*SHA-256 ${fp}`).test(core.output()), 20_000, 'the banner');
    // the core's CA is public; the key never leaves the data dir
    const ca = nsCurl(h.a4, ['-k', `${coreUrl()}/api/v1/system/ca`]);
    assert.equal(ca.status, 200);
    assert.match(ca.body, /BEGIN CERTIFICATE/);
    assert.doesNotMatch(ca.body, /PRIVATE KEY/);
  });

  test('plain HTTP to the core is refused with a message naming the fix', () => {
    const r = nsJson<{ error: string }>(h.a4, [`http://${h.core.ip}:7700/api/v1/nodes`]);
    assert.equal(r.status, 400);
    assert.match(r.json.error, /speaks HTTPS only: use https:\/\//);
  });

  test('an agent joins with the printed token over TLS, gets its API certificate, and the core deploys on it', async () => {
    const a1 = agent('a1', h.a1, token);
    await eventually(() => node('a1').json.status === 'ready', 150_000, 'a1 ready').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${a1.proc.output()}`);
    });
    assert.equal(node('a1').json.address, `https://${h.a1.ip}:5000`);
    for (const f of ['core-ca.pem', 'api-key.pem', 'node-credential.json'])
      assert.equal(statSync(join(a1.dir, f)).mode & 0o777, 0o600, `${f} is 0600`);
    assert.equal(readFileSync(join(a1.dir, 'core-ca.pem'), 'utf8'), readFileSync(join(coreDir, 'ca.pem'), 'utf8'));
    // the agent's API: HTTPS with a certificate of the core's CA for its address
    assert.equal(nsCurl(h.a4, [...curlTrust(coreDir), `https://${h.a1.ip}:5000/healthz`]).status, 200);
    assert.equal(nsJson(h.a4, [`http://${h.a1.ip}:5000/healthz`]).status, 400, 'the agent refuses plain HTTP');
    // core -> agent over HTTPS: a real container through the agent
    const mel = id('sleep');
    const r = api('/api/v1/mels', [
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '--data',
      JSON.stringify({ name: mel, image: 'osmo-test/sleeper:1', replicas: 1, placement: { node: id('a1') } }),
    ]);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await eventually(
      () =>
        api<{ instances: Array<{ state: string; node: string }> }>(`/api/v1/instances?mel=${mel}`).json.instances.some(
          (i) => i.state === 'running' && i.node === id('a1'),
        ),
      90_000,
      'a running instance on a1',
    );
  });

  test('a token whose CA fingerprint is wrong: the agent refuses to join and says why', async () => {
    const wrong = token.replace(/^osmoj1-([0-9a-f]{64})-/, (_m, fp: string) => `osmoj1-${fp.startsWith('0') ? '1' : '0'}${fp.slice(1)}-`);
    assert.notEqual(wrong, token);
    const a2 = agent('a2', h.a2, wrong);
    const code = await a2.proc.exit(60_000);
    assert.notEqual(code, 0, 'it stops');
    assert.match(
      a2.proc.output(),
      /refusing to join: the core at https:\/\/\S+ presented a CA with SHA-256 [0-9a-f]{64}, but the join token expects [0-9a-f]{64}/,
    );
    assert.match(a2.proc.output(), /take the current one from <core data-dir>\/join-token/);
    assert.equal(node('a2').status, 404, 'not joined');
  });

  test('a rotated join token admits a new node; the joined one keeps beating', async () => {
    const r = spawnOsmo(
      ['token', 'rotate-join', '--core', coreUrl(), '--token', token, '--ca', join(coreDir, 'ca.pem'), '--json'],
      {},
      undefined,
      h.core.enter,
    );
    assert.equal(await r.exit(60_000), 0, r.output());
    const old = token;
    token = (JSON.parse(r.output().slice(r.output().indexOf('{'))) as { token: string }).token;
    secrets.push(old, token);
    assert.match(token, /^osmoj1-[0-9a-f]{64}-osmo_/, 'the new token is pinned too');
    assert.equal(token.slice(0, 71), old.slice(0, 71), 'same CA');
    assert.equal(api('/api/v1/tokens', [], old).status, 401, 'the old secret is refused');
    agent('a3', h.a3, token);
    await eventually(() => node('a3').json.status === 'ready', 60_000, 'a3 ready with the rotated token');
    const since = Date.now();
    await eventually(() => Date.parse(node('a1').json.lastHeartbeat ?? '0') > since + 1000, 30_000, 'a1 still beating');
    assert.equal(node('a1').json.status, 'ready');
  });

  test('a revoked node is refused and down at once', async () => {
    const r = spawnOsmo(
      ['nodes', 'revoke', id('a3'), '--core', coreUrl(), '--token', token, '--ca', join(coreDir, 'ca.pem')],
      {},
      undefined,
      h.core.enter,
    );
    assert.equal(await r.exit(60_000), 0, r.output());
    assert.equal(node('a3').json.status, 'down');
    const a3 = agents.get('a3')!;
    const mark = a3.proc.output().length;
    await eventually(() => /heartbeat failed.*403/.test(a3.proc.output().slice(mark)), 30_000, 'its heartbeat refused');
    assert.equal(node('a3').json.status, 'down');
    assert.equal(node('a1').json.status, 'ready', 'the others are untouched');
  });

  test('no secret (join tokens, node credentials, command tokens, private keys) in any log line of the run', () => {
    const all = [...secrets, ...secretsIn({ cores: [coreDir], agents: [...agents.values()].map((a) => a.dir) })];
    assert.ok(all.length >= 10, `${all.length} secrets collected`);
    const logs = procs.map((p) => p.output()).join('\n');
    assert.ok(logs.includes('registered with core'), 'the logs are there');
    assert.deepEqual(leakedSecrets(logs, all), []);
  });
});
