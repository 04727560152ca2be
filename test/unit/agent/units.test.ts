// Pure and file-level parts of the agent: the command tokenizer, the /proc parsers, the
// token rule, --listen parsing, the sequence counter and the on-disk outbox.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { splitCommand } from '../../../src/agent/deploy/command.js';
import { cpuPercent, parseDiskstats, parseMeminfo, parseMounts, parseNetDev, parseProcStat } from '../../../src/agent/monitor/procfs.js';
import { isLoopback, resolveToken, bearerMatches } from '../../../src/agent/auth.js';
import { parseListen } from '../../../src/shared/net.js';
import { SeqCounter } from '../../../src/agent/events/seq.js';
import { Outbox } from '../../../src/agent/events/outbox.js';
import { DeployBody } from '../../../src/agent/http/schemas.js';
import { checkPolicy } from '../../../src/agent/deploy/policy.js';
import type { AgentEvent } from '../../../src/bus/events.js';
import { tempDir } from '../../../testing/proc.js';

describe('command tokenizer (no shell)', () => {
  test('splits words and honours quotes and escapes', () => {
    assert.deepEqual(splitCommand('redis-server --port 6380'), ['redis-server', '--port', '6380']);
    assert.deepEqual(splitCommand(`sh -c "echo 'hi there' \\"x\\""`), ['sh', '-c', `echo 'hi there' "x"`]);
    assert.deepEqual(splitCommand("a 'b c' d\\ e ''"), ['a', 'b c', 'd e', '']);
    assert.deepEqual(splitCommand('  '), []);
  });
  test('shell operators are plain characters', () => {
    assert.deepEqual(splitCommand('echo a; rm -rf / | cat $HOME && x'), ['echo', 'a;', 'rm', '-rf', '/', '|', 'cat', '$HOME', '&&', 'x']);
  });
  test('unterminated quotes are errors', () => {
    assert.throws(() => splitCommand('echo "abc'), /unterminated double quote/);
    assert.throws(() => splitCommand("echo 'abc"), /unterminated single quote/);
    assert.throws(() => splitCommand('echo \\'), /trailing backslash/);
  });
});

describe('deploy body (seed compatibility)', () => {
  test("the seed's sample body: empty strings mean not given, unknown host ignored", () => {
    const b = DeployBody.parse({
      image: 'redis:4.0.8-alpine',
      ports: '',
      name: 'redis',
      host: '',
      volumes: '',
      privileged: '',
      command: '',
    });
    assert.deepEqual(JSON.parse(JSON.stringify(b)), { image: 'redis:4.0.8-alpine', name: 'redis' });
  });
  test('command string is split, ports normalised', () => {
    const b = DeployBody.parse({ image: 'x', name: 'y', command: 'sleep 5', ports: { '80': 8080, '53/udp': null } });
    assert.deepEqual(b.command, ['sleep', '5']);
    assert.deepEqual(b.ports, { '80/tcp': 8080, '53/udp': null });
  });
  test('bad fields are named', () => {
    const r = DeployBody.safeParse({ image: 'x', name: 'y', ports: { '80/tcp': 70000 } });
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /ports/);
    assert.equal(DeployBody.safeParse({ image: 'x', name: 'bad name' }).success, false);
    assert.equal(DeployBody.safeParse({ image: 'x', name: 'y', command: 'echo "x' }).success, false);
  });
  test('policy refuses privileged and host paths unless allowed', () => {
    const deny = { allowPrivileged: false, allowHostVolumes: false };
    assert.throws(() => checkPolicy({ name: 'a', image: 'b', privileged: true }, deny), /privileged/);
    assert.throws(
      () => checkPolicy({ name: 'a', image: 'b', volumes: { '/etc': { bind: '/x', mode: 'ro' } } }, deny),
      /--allow-host-volumes/,
    );
    checkPolicy({ name: 'a', image: 'b', volumes: { data: { bind: '/x', mode: 'rw' } } }, deny);
    checkPolicy(
      { name: 'a', image: 'b', privileged: true, volumes: { '/etc': { bind: '/x', mode: 'ro' } } },
      { allowPrivileged: true, allowHostVolumes: true },
    );
  });
});

describe('/proc parsers', () => {
  test('cpu % from two /proc/stat readings', () => {
    const a = parseProcStat('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\n');
    const b = parseProcStat('cpu  150 0 150 900 0 0 0 0 0 0\ncpu0 100 0 50 450 0 0 0 0 0 0\n');
    const p = cpuPercent(a, b);
    assert.equal(p.get('cpu'), 50);
    assert.ok(Math.abs(p.get('cpu0')! - 50) < 1e-9);
  });
  test('meminfo, net/dev, diskstats, mounts', () => {
    const m = parseMeminfo('MemTotal:       1000 kB\nMemFree:         200 kB\nHugePages_Total:       0\n');
    assert.equal(m.get('MemTotal'), 1024000);
    assert.equal(m.get('HugePages_Total'), 0);
    const n = parseNetDev('h1\nh2\n  eth0: 100 2 0 0 0 0 0 0 300 4 0 0 0 0 0 0\n');
    assert.deepEqual(n.get('eth0'), { rxBytes: 100, rxPackets: 2, txBytes: 300, txPackets: 4 });
    const d = parseDiskstats(' 253 0 vda 10 0 8 5 20 0 16 7 0 0 0\n 253 1 vda1 1 0 2 0 1 0 2 0 0 0 0\n 7 0 loop0 1 0 2 0 0 0 0 0 0 0 0\n');
    assert.deepEqual([...d.keys()], ['vda']);
    assert.deepEqual(d.get('vda'), { readBytes: 8 * 512, writeBytes: 16 * 512 });
    const mounts = parseMounts(
      'proc /proc proc rw 0 0\n/dev/vda / ext4 rw 0 0\n/dev/vda /tmp/x ext4 rw 0 0\n/dev/sdb1 /mnt/my\\040disk xfs rw 0 0\ntmpfs /run tmpfs rw 0 0\n',
    );
    assert.deepEqual(mounts, ['/', '/mnt/my disk']);
  });
  test('the real files of this machine parse', () => {
    assert.ok(parseProcStat(readFileSync('/proc/stat', 'utf8')).has('cpu'));
    assert.ok((parseMeminfo(readFileSync('/proc/meminfo', 'utf8')).get('MemTotal') ?? 0) > 0);
    assert.ok(parseNetDev(readFileSync('/proc/net/dev', 'utf8')).has('lo'));
  });
});

describe('token rule', () => {
  test('loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '127.255.0.9', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', '192.168.1.2', '128.0.0.1', 'example.org']) assert.equal(isLoopback(h), false, h);
  });
  test('non-loopback requires a token: generated once into the data dir, then reused', () => {
    const dir = tempDir('osmo-agent-token-');
    const a = resolveToken('0.0.0.0', dir, undefined, {});
    assert.equal(a.source, 'generated');
    assert.ok(a.token && a.token.length >= 24);
    assert.equal(statSync(join(dir, 'agent-token')).mode & 0o777, 0o600);
    const b = resolveToken('10.1.2.3', dir, undefined, {});
    assert.deepEqual(b, { token: a.token, source: 'file' });
  });
  test('loopback is open unless a token is configured; flag beats env', () => {
    assert.deepEqual(resolveToken('127.0.0.1', tempDir(), undefined, {}), { token: undefined, source: 'none' });
    assert.deepEqual(resolveToken('127.0.0.1', tempDir(), undefined, { OSMO_TOKEN: 'e' }), { token: 'e', source: 'env' });
    assert.deepEqual(resolveToken('0.0.0.0', tempDir(), 'f', { OSMO_TOKEN: 'e' }), { token: 'f', source: 'flag' });
  });
  test('bearer check', () => {
    assert.equal(bearerMatches('Bearer abc', 'abc'), true);
    assert.equal(bearerMatches('bearer abc', 'abc'), true);
    assert.equal(bearerMatches('Bearer abd', 'abc'), false);
    assert.equal(bearerMatches('abc', 'abc'), false);
    assert.equal(bearerMatches(undefined, 'abc'), false);
  });
  test('--listen parsing', () => {
    assert.deepEqual(parseListen('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.throws(() => parseListen('5000'), /HOST:PORT/);
    assert.throws(() => parseListen('h:99999'), /HOST:PORT/);
  });
});

const ev = (seq: number, pad = 0): AgentEvent => ({
  type: 'monitor',
  metric: 'cpu',
  source: 'host',
  action: 'started',
  seq,
  node: 'n',
  ts: seq,
  ...(pad ? { period: pad } : {}),
});

describe('sequence numbers', () => {
  test('strictly increasing across restarts', () => {
    const dir = tempDir();
    const a = new SeqCounter(dir);
    const first = [a.take(), a.take(), a.take()];
    assert.deepEqual(first, [1, 2, 3]);
    for (let i = 0; i < 1500; i++) a.take();
    const before = a.take();
    const b = new SeqCounter(dir);
    assert.ok(b.take() > before);
  });
});

describe('outbox', () => {
  test('delivers in order, survives reopen, acks remove segments', () => {
    const dir = tempDir();
    let o = new Outbox({ dir, segmentBytes: 1024, maxBytes: 1 << 20 });
    for (let i = 1; i <= 100; i++) o.append(ev(i));
    const b1 = o.peek(30);
    assert.deepEqual(
      b1.events.map((e) => e.seq),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    o.ack(b1.next);
    o.close();
    o = new Outbox({ dir, segmentBytes: 1024, maxBytes: 1 << 20 });
    for (let i = 101; i <= 110; i++) o.append(ev(i));
    const seen: number[] = [];
    for (;;) {
      const b = o.peek(7);
      if (b.events.length === 0) break;
      seen.push(...b.events.map((e) => e.seq));
      o.ack(b.next);
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 80 }, (_, i) => i + 31),
    );
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).length <= 2);
    o.close();
  });
  test('bounded: oldest segments dropped and counted', () => {
    const dir = tempDir();
    const drops: number[] = [];
    const o = new Outbox({ dir, segmentBytes: 2048, maxBytes: 8192, onDrop: (n) => drops.push(n) });
    for (let i = 1; i <= 1000; i++) o.append(ev(i));
    assert.ok(o.bytes <= 8192, `outbox holds ${o.bytes} bytes`);
    assert.ok(o.dropped > 0);
    assert.equal(
      drops.reduce((a, b) => a + b, 0),
      o.dropped,
    );
    const b = o.peek(5000);
    // what is left is the newest events, still in order, and nothing was lost silently
    assert.equal(b.events.at(-1)!.seq, 1000);
    assert.equal(b.events.length + o.dropped, 1000);
    for (let i = 1; i < b.events.length; i++) assert.equal(b.events[i]!.seq, b.events[i - 1]!.seq + 1);
    o.close();
  });
});
