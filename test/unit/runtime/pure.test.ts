// The pure parts of the drivers: spec translation, stats arithmetic, the ring log, /proc parsing.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createOptions, normaliseImageRef, normalisePortKey } from '../../../src/runtime/docker-spec.js';
import { toGuestStats, cpuPercent } from '../../../src/runtime/docker-stats.js';
import { toChange } from '../../../src/runtime/docker-events.js';
import { RingLog } from '../../../src/runtime/ring-log.js';
import { demuxLogs, tailBytes } from '../../../src/runtime/docker-logs.js';
import { parseStat } from '../../../src/runtime/proc-stats.js';
import { LABEL_NAME, LABEL_NODE, type DeploySpec, type VolumeMap } from '../../../src/runtime/types.js';
import { OsmoError } from '../../../src/shared/errors.js';

describe('docker spec translation', () => {
  test('ports, volumes, env, resources, privileged, labels as the Docker SDK means them', () => {
    const o = createOptions(
      {
        name: 'rt-web',
        image: 'nginx',
        command: ['nginx', '-g', 'daemon off;'],
        ports: { '80/tcp': 8080, '53/udp': null, '443': null },
        volumes: { '/srv/www': { bind: '/usr/share/nginx/html', mode: 'ro' }, cache: { bind: '/cache', mode: 'rw' } },
        env: { A: '1', B: 'x=y' },
        privileged: true,
        resources: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024 },
        labels: { [LABEL_NODE]: 'forged', mel: 'm1' },
        workdir: '/srv',
      },
      'node-1',
      '127.0.0.1',
    );
    assert.deepEqual(o.Cmd, ['nginx', '-g', 'daemon off;']);
    assert.equal(o.WorkingDir, '/srv');
    assert.deepEqual(o.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '443/tcp': {} });
    assert.deepEqual(o.HostConfig?.PortBindings, {
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    assert.deepEqual(o.HostConfig?.Binds, ['/srv/www:/usr/share/nginx/html:ro', 'cache:/cache:rw']);
    assert.deepEqual(o.Env, ['A=1', 'B=x=y']);
    assert.equal(o.HostConfig?.Privileged, true);
    assert.equal(o.HostConfig?.NanoCpus, 500_000_000);
    assert.equal(o.HostConfig?.Memory, 64 * 1024 * 1024);
    assert.deepEqual(o.HostConfig?.RestartPolicy, { Name: 'no' });
    // spec labels cannot claim another node
    assert.deepEqual(o.Labels, { mel: 'm1', [LABEL_NODE]: 'node-1', [LABEL_NAME]: 'rt-web' });
  });

  test('absent command keeps the image CMD', () => {
    assert.equal('Cmd' in createOptions({ name: 'rt-a', image: 'x' }, 'n', '0.0.0.0'), false);
    assert.equal('Cmd' in createOptions({ name: 'rt-a', image: 'x', command: [] }, 'n', '0.0.0.0'), false);
  });

  test('port keys: any valid key normalises, anything else is invalid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.constantFrom('', '/tcp', '/udp'), (p, suffix) => {
        const r = normalisePortKey(`${p}${suffix}`);
        assert.equal(r.key, `${p}/${suffix === '/udp' ? 'udp' : 'tcp'}`);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(s.trim())) return;
        assert.throws(
          () => normalisePortKey(s),
          (e) => e instanceof OsmoError && e.kind === 'invalid',
        );
      }),
    );
    for (const bad of ['0', '65536', '80/icmp', 'http', '-1']) {
      assert.throws(
        () => normalisePortKey(bad),
        (e) => e instanceof OsmoError && e.kind === 'invalid',
      );
    }
  });

  test('names and volumes: only what the engine accepts, as invalid (never an engine 500)', () => {
    for (const name of ['a', '-x', '../etc', 'a b', 'a/b', '']) {
      assert.throws(
        () => createOptions({ name, image: 'x' }, 'n', '127.0.0.1'),
        (e) => e instanceof OsmoError && e.kind === 'invalid',
      );
    }
    const bads: Array<Partial<DeploySpec>> = [{ command: ['a\0b'] }, { env: { 'A=B': '1' } }, { env: { A: '\0' } }, { env: { '': '1' } }];
    for (const bad of bads) {
      assert.throws(
        () => createOptions({ name: 'rt-n', image: 'x', ...bad }, 'n', '127.0.0.1'),
        (e) => e instanceof OsmoError && e.kind === 'invalid',
      );
    }
    const badVolumes: VolumeMap[] = [{ 'a:b': { bind: '/x', mode: 'rw' } }, { '/x': { bind: '/y', mode: 'rx' as 'rw' } }];
    for (const volumes of badVolumes) {
      assert.throws(() => createOptions({ name: 'rt-v', image: 'x', volumes }, 'n', '127.0.0.1'), /volumes/);
    }
  });

  test('image references compare with the implied :latest', () => {
    assert.equal(normaliseImageRef('redis'), 'redis:latest');
    assert.equal(normaliseImageRef('redis:7'), 'redis:7');
    assert.equal(normaliseImageRef('127.0.0.1:5000/a/b'), '127.0.0.1:5000/a/b:latest');
    assert.equal(normaliseImageRef('127.0.0.1:5000/a/b:1'), '127.0.0.1:5000/a/b:1');
    assert.equal(normaliseImageRef('a@sha256:00'), 'a@sha256:00');
  });
});

describe('docker stats arithmetic', () => {
  const sample = {
    read: '2026-11-21T10:00:01Z',
    cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 18_000_000_000, online_cpus: 2 },
    memory_stats: { usage: 50_000_000, limit: 1_000_000_000, stats: { total_inactive_file: 10_000_000 } },
    networks: { eth0: { rx_bytes: 100, tx_bytes: 10 }, eth1: { rx_bytes: 5, tx_bytes: 1 } },
    blkio_stats: {
      io_service_bytes_recursive: [
        { op: 'Read', value: 4096 },
        { op: 'Write', value: 8192 },
        { op: 'Total', value: 12288 },
        { op: 'read', value: 1 },
      ],
    },
  };

  test('as the docker CLI computes it, plus net', () => {
    const g = toGuestStats('rt-x', sample);
    // 1e9 ns of container cpu over 2e9 ns of system time on 2 cpus = 100 % (one core)
    assert.equal(g.cpuPercent, 100);
    assert.equal(g.memUsageBytes, 40_000_000);
    assert.equal(g.memLimitBytes, 1_000_000_000);
    assert.deepEqual([g.netRxBytes, g.netTxBytes], [105, 11]);
    assert.deepEqual([g.blkReadBytes, g.blkWriteBytes], [4097, 8192]);
    assert.equal(g.ts, Date.parse('2026-11-21T10:00:01Z'));
  });

  test('missing blocks are zeros, not crashes (one-shot precpu, --net=none, cgroup v2)', () => {
    assert.equal(cpuPercent({ cpu_stats: sample.cpu_stats, precpu_stats: {} }), 0);
    const g = toGuestStats('rt-x', { memory_stats: { usage: 10, stats: { inactive_file: 4 } } });
    assert.equal(g.memUsageBytes, 6);
    assert.deepEqual([g.netRxBytes, g.blkReadBytes, g.cpuPercent, g.memLimitBytes], [0, 0, 0, 0]);
    assert.equal(toGuestStats('rt-x', { blkio_stats: { io_service_bytes_recursive: null } }).blkWriteBytes, 0);
  });
});

describe('docker events', () => {
  test('engine events become instance changes', () => {
    const ev = (Action: string, extra: Record<string, string> = {}) => ({
      Type: 'container',
      Action,
      Actor: { ID: 'abc', Attributes: { name: 'rt-c', [LABEL_NAME]: 'rt-c', ...extra } },
    });
    assert.deepEqual(toChange(ev('die', { exitCode: '137' })), { name: 'rt-c', state: 'exited', reason: 'exit code 137' });
    assert.equal(toChange(ev('start'))?.state, 'running');
    assert.equal(toChange(ev('oom'))?.state, 'failed');
    assert.equal(toChange(ev('destroy'))?.state, 'removed');
    assert.equal(toChange(ev('exec_start: sh')), undefined);
    assert.equal(toChange({ Action: 'die' }), undefined);
  });
});

describe('RingLog', () => {
  test('keeps exactly the newest bytes, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), (cap, chunks) => {
        const log = new RingLog(cap);
        for (const c of chunks) log.write(Buffer.from(c));
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const want = all.subarray(Math.max(0, all.length - cap));
        assert.equal(log.length, want.length);
        assert.equal(log.droppedBytes, all.length - want.length);
        assert.equal(log.toString(), want.toString('utf8'));
      }),
    );
  });
});

describe('/proc/<pid>/stat parsing', () => {
  test('a comm with spaces and parens does not shift the fields', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[5 - 3] = '777'; // pgrp
    fields[14 - 3] = '10';
    fields[15 - 3] = '20';
    fields[16 - 3] = '1';
    fields[17 - 3] = '2';
    fields[22 - 3] = '123456';
    const s = parseStat(`4242 (we ird) (name)) ${fields.join(' ')}`);
    assert.deepEqual(s, { pid: 4242, pgrp: 777, ticks: 33, starttime: 123456 });
    assert.equal(parseStat('garbage'), undefined);
  });
});

describe('docker logs framing', () => {
  const frame = (type: number, text: string) => {
    const body = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };

  test('multiplexed frames are joined in order; a TTY stream passes through', () => {
    const buf = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    assert.equal(demuxLogs(buf).toString(), 'out 1\nerr 1\nout 2\n');
    assert.equal(demuxLogs(Buffer.from('plain tty text\n')).toString(), 'plain tty text\n');
    assert.equal(demuxLogs(Buffer.alloc(0)).length, 0);
  });

  test('tailBytes keeps at most the budget, from a line start', () => {
    const text = Buffer.from('aaaa\nbbbb\ncccc\n');
    assert.equal(tailBytes(text, 100), 'aaaa\nbbbb\ncccc\n');
    assert.equal(tailBytes(text, 12), 'bbbb\ncccc\n');
    assert.equal(tailBytes(text, 7), 'cccc\n');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), fc.integer({ min: 0, max: 50 }), (s, max) => {
        const out = tailBytes(Buffer.from(s), max);
        assert.ok(out.length <= max || out === s, out);
        assert.ok(s.endsWith(out), out);
      }),
    );
  });
});
