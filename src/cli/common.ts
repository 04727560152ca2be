// What every client command shares: the flags that find and authenticate to the core,
// output (tables or --json), and the rule that a failure is one line on stderr naming
// the problem, with a non-zero exit.
import { CommanderError, type Command } from 'commander';
// not the client's barrel: every command loads this file, the agent too, and the typed
// client brings the core's schemas along (cli/core-client.ts has coreClient())
import { isApiError } from '../client/errors.js';
import { isOsmoError } from '../shared/errors.js';

/** The flags of every command that talks to a running core. */
export interface ClientFlags {
  core?: string;
  token?: string;
  ca?: string;
  json?: boolean;
}

export const DEFAULT_CORE = 'http://127.0.0.1:7700';
export const TOKEN_FILE = '.osmo/join-token';
export const CA_FILE = '.osmo/ca.pem';

/** Adds --core, --token and --json to a client command. */
export function clientFlags(c: Command): Command {
  return c
    .option(
      '--core <urls>',
      `core API base URL, or several comma-separated (any core serves; the next is tried when one is down) (default $OSMO_CORE or ${DEFAULT_CORE})`,
    )
    .option('--token <token>', `API token (default $OSMO_TOKEN or ./${TOKEN_FILE})`)
    .option('--ca <file>', `CA certificate (PEM) of an https core (default $OSMO_CA or ./${CA_FILE}, the local core's own CA)`)
    .option('--json', 'machine-readable output');
}

/** JSON with --json, the human rendering otherwise. */
export function print(f: ClientFlags, json: unknown, human: () => string): void {
  process.stdout.write(f.json ? `${JSON.stringify(json, null, 2)}\n` : human());
}

/** Left-aligned columns, two blanks apart; the last column is not padded. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/**
 * The one line a failure prints (without the "osmo: " prefix): what went wrong and, where
 * the fix is the user's, how to fix it. Stacks only with OSMO_DEBUG set.
 */
export function describeFailure(e: unknown): string {
  if (isApiError(e)) {
    if (e.kind === 'unreachable' && e.info.service === 'core') return `${e.message}; start it with "osmo up" or pass --core URL`;
    if (e.status === 401) return `${e.message} (give the token with --token or $OSMO_TOKEN; it is in <data-dir>/join-token)`;
    return e.message;
  }
  if (e instanceof CommanderError) return oneLine(e.message.replace(/^error: /, ''));
  if (isOsmoError(e)) return oneLine(e.message);
  if (e instanceof Error) return oneLine(process.env.OSMO_DEBUG ? (e.stack ?? e.message) : e.message);
  return oneLine(String(e));
}

const oneLine = (s: string) => (process.env.OSMO_DEBUG ? s : s.replace(/\s+/g, ' ').trim());

/** Reports a failure as one line on stderr and sets a non-zero exit code. */
export function fail(e: unknown): void {
  process.stderr.write(`osmo: ${describeFailure(e)}\n`);
  process.exitCode = 1;
}

/** "osmo policy set --help" for argv naming `policy set`: the deepest command argv names. */
export function helpHint(program: Command, argv: string[]): string {
  const path = ['osmo'];
  let cmd = program;
  for (const w of argv.filter((a) => !a.startsWith('-'))) {
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (!sub) break;
    path.push(w);
    cmd = sub;
  }
  return `${path.join(' ')} --help`;
}

/**
 * Commander's own complaints (unknown option, missing argument, a flag's bad value) in the
 * same one-line form, pointing at the command's help instead of printing it.
 */
export function oneLineUsageErrors(program: Command): void {
  program.configureOutput({
    outputError: (str, write) => write(`osmo: ${oneLine(str.replace(/^error: /, ''))} (see ${helpHint(program, process.argv.slice(2))})\n`),
  });
}
