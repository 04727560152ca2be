// `osmo store migrate` and `osmo store copy`: the store's schema and moving a store between
// dialects (docs/production.md: from `osmo up`'s SQLite to PostgreSQL). They open the
// database directly, not through a core: run `copy` while no core writes the source.
import { type Command, Option } from 'commander';
import { copyStore } from '../../store/copy.js';
import { migrateAll } from '../../store/db.js';
import { openDatabase, parseStoreUrl, describeLocation } from '../../store/dialects/index.js';

const storeOption = () =>
  new Option('--store <url>', 'sqlite:PATH or postgres://user:pass@host:port/db (default: <data-dir>/osmo.db)').env('OSMO_STORE');

export function register(program: Command): void {
  const store = program.command('store').description("the core's store: migrate its schema, copy it to another database");

  store
    .command('migrate')
    .description('bring a store to the latest schema (what `osmo core` does when it starts); safe while cores run')
    .addOption(storeOption())
    .option('--data-dir <dir>', 'data dir of the default SQLite store', './.osmo')
    .action(async (f: { store?: string; dataDir: string }) => {
      const loc = parseStoreUrl(f.store, f.dataDir);
      const db = openDatabase(loc);
      try {
        const applied = await migrateAll(db);
        process.stdout.write(`${describeLocation(loc)}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}\n`);
      } finally {
        await db.db.destroy();
      }
    });

  store
    .command('copy')
    .description('copy every table of one store into another, in one transaction on the target')
    .requiredOption('--from <url>', 'source: sqlite:PATH or postgres://…')
    .requiredOption('--to <url>', 'target: postgres://… or sqlite:PATH (created and migrated if needed)')
    .option('--force', 'replace what a non-empty target holds')
    .action(async (f: { from: string; to: string; force?: boolean }) => {
      const from = parseStoreUrl(f.from, '.');
      const to = parseStoreUrl(f.to, '.');
      if (describeLocation(from) === describeLocation(to)) throw new Error('--from and --to are the same store');
      const r = await copyStore(from, to, { force: f.force === true });
      const total = Object.values(r.tables).reduce((a, b) => a + b, 0);
      for (const [t, n] of Object.entries(r.tables)) process.stdout.write(`${t.padEnd(20)} ${n}\n`);
      process.stdout.write(`copied ${total} rows from ${describeLocation(from)} to ${describeLocation(to)}\n`);
    });
}
