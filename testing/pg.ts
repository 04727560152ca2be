// A private PostgreSQL for one test file (scripts/test-pg.sh): started on a free port in a temp
// dir, one database per test, stopped and removed when the file ends, even when a test fails
// or the process exits without running its after hooks.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ROOT } from './proc.js';

const run = promisify(execFile);
const SCRIPT = join(ROOT, 'scripts/test-pg.sh');

export interface TestPostgres {
  /** the server's own `osmo` database */
  url: string;
  dir: string;
  /** a fresh, empty database on this server; returns its URL */
  database(name: string): Promise<string>;
  /** pg_ctl restart -m fast: every open connection is cut */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const started = new Set<string>();
process.on('exit', () => {
  for (const dir of started) {
    try {
      execFileSync(SCRIPT, ['stop', dir], { stdio: 'ignore' });
    } catch {
      // best effort at exit; nothing to report to
    }
  }
});

/** Starts a PostgreSQL 15 (OSMO_TEST_PG_URL is not used: every test file gets its own server). */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync('/tmp/osmo-pg-');
  started.add(dir);
  let url: string;
  try {
    const { stdout } = await run(SCRIPT, ['start', dir], { timeout: 120_000 });
    url = stdout.trim().split('\n').at(-1) ?? '';
    if (!url.startsWith('postgres://')) throw new Error(`test-pg.sh printed no URL: ${stdout}`);
  } catch (e) {
    await run(SCRIPT, ['stop', dir]).catch(() => undefined);
    started.delete(dir);
    throw e;
  }
  return {
    url,
    dir,
    async database(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name}: lower-case letters, digits, _`);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`create database ${name}`);
      } finally {
        await c.end();
      }
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async restart() {
      await run(SCRIPT, ['restart', dir], { timeout: 60_000 });
    },
    async stop() {
      await run(SCRIPT, ['stop', dir], { timeout: 60_000 });
      started.delete(dir);
    },
  };
}
