// The CLI against a core that wants the token on its client API: `osmo core` listening on
// 0.0.0.0 (not loopback, so openClientApi is off), reached through 127.0.0.1. The token
// comes from --token, $OSMO_TOKEN or ./.osmo/join-token in the working directory; without
// it, or with a wrong one, the CLI says so in one line and exits non-zero.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnOsmo, tempDir, waitForHttp, type OsmoProcess } from '../../../testing/proc.js';

let core: OsmoProcess;
let url = '';
let token = '';
/** a working directory whose ./.osmo is the core's data dir */
let home = '';
/** a working directory with no token file */
let elsewhere = '';

before(async () => {
  home = tempDir('osmo-cli-token-');
  elsewhere = tempDir('osmo-cli-notoken-');
  const port = await freePort();
  // plain HTTP: what is tested here is the token, not TLS (test/e2e/security/tls*.test.ts)
  core = spawnOsmo(['core', '--listen', `0.0.0.0:${port}`, '--data-dir', join(home, '.osmo'), '--insecure-http']);
  url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, 30_000);
  token = readFileSync(join(home, '.osmo', 'join-token'), 'utf8').trim();
});
after(async () => {
  await core?.stop();
});

/** Runs the CLI to its end (with a deadline), OSMO_TOKEN/OSMO_CORE unset unless given. */
async function osmo(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; out: string }> {
  const p = spawnOsmo(args, { OSMO_TOKEN: undefined, OSMO_CORE: undefined, ...o.env }, o.cwd ?? elsewhere);
  const t = setTimeout(() => void p.stop('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
  clearTimeout(t);
  return { code, out: p.output() };
}

function assertOneLine(out: string): string {
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${out}`);
  assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
  return lines[0]!;
}

test('the core on 0.0.0.0 wants the token on its client API', async () => {
  const r = await fetch(`${url}/api/v1/nodes`);
  assert.equal(r.status, 401);
});

test('no token: one line naming the 401 and where the token comes from, exit 1', async () => {
  const r = await osmo(['nodes', '--core', url]);
  assert.equal(r.code, 1);
  const line = assertOneLine(r.out);
  assert.match(line, /^osmo: GET \/api\/v1\/nodes: 401 missing or wrong token/);
  assert.match(line, /--token or \$OSMO_TOKEN/);
});

test('a wrong token: one line, exit 1, for every client command', async () => {
  for (const args of [['nodes'], ['ps'], ['policy', 'get'], ['cordon', 'nowhere'], ['migrate', 'nothing']]) {
    const r = await osmo([...args, '--core', url, '--token', 'not-the-token']);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}`);
    assert.match(assertOneLine(r.out), /^osmo: \w+ \/api\/v1\/\S+: 401 missing or wrong token/, args.join(' '));
  }
});

test('the token from --token, from $OSMO_TOKEN, and from ./.osmo/join-token', async () => {
  const viaFlag = await osmo(['nodes', '--json', '--core', url, '--token', token]);
  assert.equal(viaFlag.code, 0, viaFlag.out);
  assert.deepEqual(JSON.parse(viaFlag.out), { nodes: [] });

  const viaEnv = await osmo(['policy', 'get', '--json'], { env: { OSMO_TOKEN: token, OSMO_CORE: url } });
  assert.equal(viaEnv.code, 0, viaEnv.out);
  assert.ok(Array.isArray((JSON.parse(viaEnv.out) as { parameters: unknown }).parameters));

  const viaDataDir = await osmo(['ps', '--json', '--core', url], { cwd: home });
  assert.equal(viaDataDir.code, 0, viaDataDir.out);
  assert.deepEqual(JSON.parse(viaDataDir.out), { instances: [] });
});

test("a 4xx with a good token: the core's error text in one line", async () => {
  const r = await osmo(['scale', 'no-such-mel', '2', '--core', url, '--token', token]);
  assert.equal(r.code, 1);
  assert.equal(assertOneLine(r.out), 'osmo: POST /api/v1/mels/no-such-mel/scale: 404 MEL no-such-mel not found');
});

test('nothing listening and bad flags: one line each, exit 1', async () => {
  const port = await freePort();
  const down = await osmo(['nodes', '--core', `http://127.0.0.1:${port}`]);
  assert.equal(down.code, 1);
  assert.match(
    assertOneLine(down.out),
    new RegExp(
      `^osmo: cannot reach the core at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); start it with "osmo up" or pass --core URL$`,
    ),
  );

  const flag = await osmo(['nodes', '--frobnicate']);
  assert.equal(flag.code, 1);
  assert.equal(assertOneLine(flag.out), "osmo: unknown option '--frobnicate' (see osmo nodes --help)");

  const missing = await osmo(['drain']);
  assert.equal(missing.code, 1);
  assert.equal(assertOneLine(missing.out), "osmo: missing required argument 'node' (see osmo drain --help)");

  const value = await osmo(['scale', 'web', 'many', '--core', url, '--token', token]);
  assert.equal(value.code, 1);
  assert.equal(assertOneLine(value.out), 'osmo: replicas must be a whole number >= 0, got "many"');
});
