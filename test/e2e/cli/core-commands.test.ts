// The cluster CLI against a real core (simulated agents): deploy -f YAML, events --json,
// ps --json, rm, and client errors reported without a stack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { eventually, spawnOsmo, tempDir } from '../../../testing/proc.js';
import { SimAgent } from '../../../testing/sim-agent.js';

let core: CoreHandle;
const agents: SimAgent[] = [];
before(async () => {
  core = await startCore({ listen: '127.0.0.1:0', dataDir: tempDir('osmo-co-cli-'), processMetrics: false });
  for (const id of ['co-cli-a', 'co-cli-b'])
    agents.push(await new SimAgent({ id, core: core.url, token: core.token, layer: id.endsWith('a') ? 'cloud' : 'edge' }).start());
});
after(async () => {
  for (const a of agents) await a.stop();
  await core.close();
});

async function run(args: string[]): Promise<{ code: unknown; out: string }> {
  const p = spawnOsmo([...args, '--core', core.url]);
  const code = await p.exit();
  return { code, out: p.output() };
}

test('deploy -f a YAML list waits until every replica runs; ps and rm follow', { timeout: 90_000 }, async () => {
  const dir = tempDir('osmo-co-cli-f-');
  const file = join(dir, 'mels.yaml');
  writeFileSync(
    file,
    [
      'mels:',
      '  - name: co-cli-web',
      '    image: osmo-test/httpd:1',
      '    replicas: 2',
      '    ports: {"80/tcp": null}',
      '    placement: {spread: true}',
      '  - name: co-cli-edge',
      '    image: osmo-test/sleeper:1',
      '    placement: {layer: edge}',
      '',
    ].join('\n'),
  );
  // replay from now: the stream process may connect after the deploy has already placed everything
  const events = spawnOsmo(['events', '--type', 'placement', '--json', '--since', String(Date.now() - 1000), '--core', core.url]);
  const d = await run(['deploy', '-f', file, '--json', '--timeout', '30']);
  assert.equal(d.code, 0, d.out);
  const body = JSON.parse(d.out.slice(d.out.indexOf('{'))) as {
    mels: Array<{ name: string; status: { running: number; desired: number } }>;
  };
  assert.deepEqual(
    body.mels.map((m) => [m.name, m.status.running, m.status.desired]),
    [
      ['co-cli-web', 2, 2],
      ['co-cli-edge', 1, 1],
    ],
  );
  await eventually(
    () =>
      events
        .output()
        .split('\n')
        .filter((l) => l.includes('"type":"placement"')).length >= 3,
    10_000,
    'placements on the stream',
  );
  const line = events
    .output()
    .split('\n')
    .find((l) => l.includes('co-cli-edge'))!;
  assert.equal((JSON.parse(line) as { data: { node: string } }).data.node, 'co-cli-b');
  await events.stop();

  const ps = await run(['ps', '--mel', 'co-cli-web']);
  assert.equal(ps.code, 0);
  assert.match(ps.out, /^NAME\s+MEL\s+NODE\s+STATE/m);
  assert.equal(ps.out.split('\n').filter((l) => /co-cli-web-\w+\s+co-cli-web\s+co-cli-[ab]\s+running/.test(l)).length, 2);
  assert.equal((await run(['rm', 'co-cli-web'])).code, 0);
  assert.equal((await run(['rm', 'co-cli-edge'])).code, 0);
  await eventually(() => agents.every((a) => a.containers.size === 0), 10_000, 'containers removed');
});

test('client mistakes: a clear message and exit code 1', async () => {
  const bad = await run(['scale', 'co-cli-nope', '2']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /osmo: POST \/api\/v1\/mels\/co-cli-nope\/scale: 404 MEL co-cli-nope not found/);
  assert.doesNotMatch(bad.out, /at .*\.ts:\d+/);
  const flags = await run(['deploy', '--image', 'x']);
  assert.equal(flags.code, 1);
  assert.match(flags.out, /needs --name and --image/);
  const down = spawnOsmo(['nodes', '--core', 'http://127.0.0.1:9']);
  assert.equal(await down.exit(), 1);
  assert.match(down.output(), /cannot reach the core at http:\/\/127\.0\.0\.1:9/);
});

test('deploy --lost-after/--reconcile/--stop-after make the disconnect block; a bad rule is the core 400 naming the field', async () => {
  const d = await run([
    'deploy',
    '--name',
    'co-cli-dis',
    '--image',
    'osmo-test/sleeper:1',
    '--lost-after',
    'PT5M',
    '--reconcile',
    'keep-original',
    '--stop-after',
    '60',
    '--detach',
    '--json',
  ]);
  assert.equal(d.code, 0, d.out);
  const body = JSON.parse(d.out.slice(d.out.indexOf('{'))) as { mels: Array<{ disconnect?: unknown }> };
  assert.deepEqual(body.mels[0]!.disconnect, { lostAfter: 'PT5M', reconcile: 'keep-original', stopAfter: 60 });
  const bad = await run(['deploy', '--name', 'co-cli-dis2', '--image', 'x', '--reconcile', 'newest', '--detach']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /disconnect\.reconcile/);
  assert.equal((await run(['rm', 'co-cli-dis'])).code, 0);
});
