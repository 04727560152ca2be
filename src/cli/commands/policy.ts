// `osmo policy get|set` and `osmo migrate`: the run-time policy manager and manual
// migration over the core API (--core / OSMO_CORE, token from --token / OSMO_TOKEN /
// ./.osmo/join-token).
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { PARAMETERS } from '../../policy/document.js';
import { clientFlags as withCommon, print, table, type ClientFlags } from '../common.js';
import { coreClient } from '../core-client.js';

type Json = Record<string, unknown>;
type Common = ClientFlags & { node?: string };

/** "thresholds.high=0.9" -> {thresholds: {high: 0.9}}; numbers for numeric parameters. */
export function assignmentsToPatch(items: string[]): Json {
  const patch: Json = {};
  for (const it of items) {
    const eq = it.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`"${it}" is not NAME=VALUE (e.g. thresholds.high=0.9)`);
    const name = it.slice(0, eq);
    const raw = it.slice(eq + 1);
    const spec = PARAMETERS[name];
    if (!spec) throw new InvalidArgumentError(`unknown parameter "${name}"; one of: ${Object.keys(PARAMETERS).join(', ')}`);
    const value = spec.kind === 'number' ? Number(raw) : raw;
    if (spec.kind === 'number' && !Number.isFinite(value)) throw new InvalidArgumentError(`${name}: "${raw}" is not a number`);
    const [group, key] = name.split('.') as [string, string | undefined];
    if (key === undefined) patch[group] = value;
    else patch[group] = { ...(patch[group] ?? {}), [key]: value };
  }
  return patch;
}

function parameterTable(
  list: Array<{
    name: string;
    value: unknown;
    unit?: string | undefined;
    allowed?: string[] | undefined;
    min?: number | undefined;
    max?: number | undefined;
    default: unknown;
  }>,
): string {
  const rows = [['PARAMETER', 'VALUE', 'UNIT', 'RANGE', 'DEFAULT']];
  for (const p of list) {
    const range = p.allowed ? p.allowed.join(' | ') : `${String(p.min)} .. ${String(p.max)}`;
    rows.push([p.name, String(p.value), p.unit ?? '', range, String(p.default)]);
  }
  return table(rows);
}

/** A partial policy document from a JSON file, named in the message when it is not one. */
function readPatch(file: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`--file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new InvalidArgumentError(`--file ${file}: not a JSON object (a partial policy document)`);
  return doc as Json;
}

export function register(program: Command): void {
  const policy = program.command('policy').description('read and change the load policies at run time (M.A.E.A.I.)');

  withCommon(
    policy
      .command('get')
      .description('every parameter with value, unit, range and default')
      .option('--node <id>', "a node's effective policy"),
  ).action(async (o: Common) => {
    const api = coreClient(o);
    const json = o.node ? await api.nodePolicies(o.node) : await api.policies();
    print(o, json, () => parameterTable(json.parameters));
  });

  withCommon(
    policy
      .command('set')
      .description('change parameters, e.g. `osmo policy set thresholds.high=0.9 acceptance=if-unloaded-after`')
      .argument('[assignments...]', 'NAME=VALUE pairs (names as `osmo policy get` lists them)')
      .option('--file <path>', 'a partial policy document (JSON) instead of assignments')
      .option('--node <id>', "change this node's override instead of the global policy"),
  ).action(async (items: string[], o: Common & { file?: string }) => {
    const patch = o.file ? readPatch(o.file) : assignmentsToPatch(items);
    if (Object.keys(patch).length === 0) throw new InvalidArgumentError('nothing to change: give NAME=VALUE pairs or --file');
    const api = coreClient(o);
    const json = o.node ? await api.patchNodePolicies(o.node, patch) : await api.patchPolicies(patch);
    print(o, json, () =>
      json.changes.length ? json.changes.map((c) => `${c.name}: ${String(c.from)} -> ${String(c.to)}`).join('\n') + '\n' : 'no change\n',
    );
  });

  withCommon(
    program
      .command('migrate')
      .description('move a running instance (make-before-break); without --node the destination policy chooses')
      .argument('<instance>', 'instance id or name')
      .option('--node <id>', 'target node'),
  ).action(async (id: string, o: Common) => {
    const json = await coreClient(o).migrate(id, o.node);
    print(o, json, () => `${json.instance} ${json.from} -> ${json.to} as ${json.newInstance} in ${json.ms} ms\n  ${json.reason}\n`);
  });
}
