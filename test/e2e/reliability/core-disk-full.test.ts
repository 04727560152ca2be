// The core's data dir on a real full filesystem (an 8 MiB tmpfs, filled by the test):
// writes answer 503 OSMO_STORE_FULL (never a 500), reads keep working, SQLite's integrity
// check passes, and once space is back writes work again without a restart.
// Needs root for `mount -t tmpfs` (CI runs as root); the mount goes even when the test fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { eventually, tempDir } from '../../../testing/proc.js';
import { api, spawnCore, type CoreProc } from '../../../testing/cluster.js';

const mnt = tempDir('osmo-rel-core-tmpfs-');
let mounted = false;
let core: CoreProc | undefined;

after(async () => {
  await core?.proc.stop('SIGKILL');
  if (mounted) execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** Writes zeros until the filesystem says ENOSPC, down to the last byte. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [64 * 1024, 4096, 512, 64, 1]) {
      const chunk = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

function integrity(file: string): string {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? '';
  } finally {
    db.close();
  }
}

const mel = (name: string) => ({ name, image: 'osmo-test/sleeper:1', replicas: 0 });

test(
  'core data dir on a full tmpfs: writes 503 OSMO_STORE_FULL, reads work, the store stays intact, writes work again when space is back',
  { timeout: 180_000 },
  async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    mounted = true;
    const dataDir = join(mnt, 'core');
    mkdirSync(dataDir);
    core = await spawnCore(dataDir);
    for (let k = 0; k < 5; k++) assert.equal((await api(core, 'POST', '/api/v1/mels', mel(`rel-full-${k}`))).status, 201);

    const filler = join(mnt, 'filler');
    fill(filler);
    // every write while full: a 503 with its code, never a 500
    for (let k = 0; k < 20; k++) {
      const w = await api(core, 'POST', '/api/v1/mels', { ...mel(`rel-new-${k}`), env: { PAD: 'x'.repeat(4000) } });
      assert.equal(w.status, 503, JSON.stringify(w.json));
      assert.equal(w.json.code, 'OSMO_STORE_FULL');
      assert.match(String(w.json.error), /space|full/i);
    }
    const scale = await api(core, 'POST', '/api/v1/mels/rel-full-0/scale', { replicas: 0 });
    assert.ok(scale.status === 503 || scale.status === 200, `scale answered ${scale.status}`);
    // reads keep working, and show the state from before the disk filled
    const list = await api(core, 'GET', '/api/v1/mels');
    assert.equal(list.status, 200);
    const names = (list.json.mels as Array<{ name: string }>).map((m) => m.name);
    assert.deepEqual(
      names.filter((n) => n.startsWith('rel-')).sort(),
      [0, 1, 2, 3, 4].map((k) => `rel-full-${k}`),
    );
    assert.equal((await api(core, 'GET', '/api/v1/events?follow=false&type=mel')).status, 200);
    assert.equal((await fetch(`${core.url}/healthz`)).status, 200);
    assert.equal(integrity(join(dataDir, 'osmo.db')), 'ok');
    assert.equal(core.proc.child.exitCode, null, core.proc.output());

    // space back: the core recovers by itself
    unlinkSync(filler);
    await eventually(
      async () => (await api(core!, 'POST', '/api/v1/mels', mel('rel-after'))).status === 201,
      30_000,
      'a write succeeds again',
    );
    assert.equal((await api(core, 'GET', '/api/v1/mels/rel-after')).status, 200);
    assert.equal(integrity(join(dataDir, 'osmo.db')), 'ok');
    assert.doesNotMatch(core.proc.output(), /500 on /, 'no request answered 500');
    // the answer given while full is part of the contract
    const doc = (await (await fetch(`${core.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: object }>>;
    };
    assert.ok('503' in doc.paths['/api/v1/mels']!.post!.responses, 'POST /api/v1/mels documents its 503');
  },
);
