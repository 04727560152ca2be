// `osmo policy get|set` and `osmo migrate`: the run-time policy manager and manual
// migration over the core API (--core / OSMO_CORE, token from --token / OSMO_TOKEN /
// ./.osmo/join-token).
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { PARAMETERS } from '../../policy/document.js';

interface Common {
  core?: string;
  token?: string;
  json?: boolean;
  node?: string;
}

type Json = Record<string, unknown>;

async function call(o: Common, method: string, path: string, body?: unknown): Promise<Json> {
  const base = (o.core ?? process.env.OSMO_CORE ?? 'http://127.0.0.1:7700').replace(/\/+$/, '');
  const token = o.token ?? process.env.OSMO_TOKEN ?? (existsSync('.osmo/join-token') ? readFileSync('.osmo/join-token', 'utf8').trim() : undefined);
  let r: Response;
  try {
    r = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Error(`cannot reach the core at ${base} (${(e as Error).message}); start it with "osmo up" or pass --core URL`);
  }
  const text = await r.text();
  const json = text ? (JSON.parse(text) as Json) : {};
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${String(json.error ?? text)}`);
  return json;
}

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
    else patch[group] = { ...((patch[group] as Json | undefined) ?? {}), [key]: value };
  }
  return patch;
}

function withCommon(c: Command): Command {
  return c
    .option('--core <url>', 'core API (default $OSMO_CORE or http://127.0.0.1:7700)')
    .option('--token <token>', 'API token (default $OSMO_TOKEN or ./.osmo/join-token)')
    .option('--json', 'print JSON');
}

function printParameters(list: Array<Json>): void {
  const rows = [['PARAMETER', 'VALUE', 'UNIT', 'RANGE', 'DEFAULT']];
  for (const p of list) {
    const range = p.allowed ? (p.allowed as string[]).join(' | ') : `${String(p.min)} .. ${String(p.max)}`;
    rows.push([String(p.name), String(p.value), String(p.unit ?? ''), range, String(p.default)]);
  }
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  process.stdout.write(rows.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(w[c]!))).join('  ')).join('\n') + '\n');
}

export function register(program: Command): void {
  const policy = program.command('policy').description('read and change the load policies at run time (M.A.E.A.I.)');

  withCommon(policy.command('get').description('every parameter with value, unit, range and default').option('--node <id>', "a node's effective policy")).action(
    async (o: Common) => {
      const json = await call(o, 'GET', o.node ? `/api/v1/nodes/${encodeURIComponent(o.node)}/policies` : '/api/v1/policies');
      if (o.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
      else printParameters(json.parameters as Json[]);
    },
  );

  withCommon(
    policy
      .command('set')
      .description('change parameters, e.g. `osmo policy set thresholds.high=0.9 acceptance=if-unloaded-after`')
      .argument('[assignments...]', 'NAME=VALUE pairs (names as `osmo policy get` lists them)')
      .option('--file <path>', 'a partial policy document (JSON) instead of assignments')
      .option('--node <id>', "change this node's override instead of the global policy"),
  ).action(async (items: string[], o: Common & { file?: string }) => {
    const patch = o.file ? (JSON.parse(readFileSync(o.file, 'utf8')) as Json) : assignmentsToPatch(items);
    if (Object.keys(patch).length === 0) throw new InvalidArgumentError('nothing to change: give NAME=VALUE pairs or --file');
    const json = await call(o, 'PUT', o.node ? `/api/v1/nodes/${encodeURIComponent(o.node)}/policies` : '/api/v1/policies', patch);
    if (o.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
    else {
      const changes = (json.changes as Array<{ name: string; from: unknown; to: unknown }>) ?? [];
      process.stdout.write(changes.length ? changes.map((c) => `${c.name}: ${String(c.from)} -> ${String(c.to)}`).join('\n') + '\n' : 'no change\n');
    }
  });

  withCommon(
    program
      .command('migrate')
      .description('move a running instance (make-before-break); without --node the destination policy chooses')
      .argument('<instance>', 'instance id or name')
      .option('--node <id>', 'target node'),
  ).action(async (id: string, o: Common) => {
    const json = await call(o, 'POST', `/api/v1/instances/${encodeURIComponent(id)}/migrate`, o.node ? { node: o.node } : {});
    if (o.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
    else process.stdout.write(`${String(json.instance)} ${String(json.from)} -> ${String(json.to)} as ${String(json.newInstance)} in ${String(json.ms)} ms\n  ${String(json.reason)}\n`);
  });
}
