// `osmo sensor create|ls|rm|tail`: OCCI monitoring sensors from a friendly YAML file (mapped
// to the OCCI JSON rendering the core's /occi/ server takes; --dry-run prints it), listed
// with their deployment state, removed, and their published values followed live.
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ApiError } from '../../client/index.js';
import { clientFlags, print, table, type ClientFlags } from '../common.js';
import { coreClient } from '../core-client.js';

const SENSOR = 'http://schemas.ogf.org/occi/monitoring#sensor';
const COLLECTOR = 'http://schemas.ogf.org/occi/monitoring#collector';
const START = 'http://schemas.ogf.org/occi/monitoring/sensor/action#start';
const M = 'http://osmo/occi/monitoring/';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const Params = z.record(z.string(), Scalar);
const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (at most 100)');

/** The friendly sensor file (see examples/monitoring/). */
export const SensorFile = z
  .object({
    name: Id,
    /** seconds (occi.sensor.period) */
    period: z.number().positive(),
    /** deploy at once (default true) */
    start: z.boolean().default(true),
    /** allow outputs nobody reads */
    dangling: z.boolean().optional(),
    aggregators: z.record(z.string(), Params).default({}),
    publishers: z.record(z.string(), Params).default({}),
    collectors: z
      .array(
        z
          .object({
            name: Id.optional(),
            /** node/<id>, instance/<id or name>, mel/<name> (its first instance) */
            target: z.string().regex(/^(node|instance|mel)\/.+$/, 'node/<id>, instance/<id or name> or mel/<name>'),
            metric: z.string().min(1),
            period: z.number().positive(),
          })
          .catchall(Scalar),
      )
      .default([]),
  })
  .strict();
export type SensorFile = z.output<typeof SensorFile>;

/** OCCI attribute names from the file's short keys: `in`/`out` for channels, the rest as given. */
function attrs(role: 'aggregator' | 'publisher' | 'metric', term: string, p: Record<string, unknown>): Record<string, unknown> {
  const alias: Record<string, string> =
    role === 'aggregator' ? { in: 'instream', out: 'outstream' } : role === 'publisher' ? { in: 'input' } : {};
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [`osmo.${role}.${term}.${alias[k] ?? k}`, v]));
}

/** Resolves a friendly target to a compute location (`lookup` answers names with the core's compute list). */
export type TargetLookup = (kind: 'instance' | 'mel', name: string) => Promise<string>;

/** The OCCI JSON rendering of the sensor with its collectors inside. */
export async function sensorToOcci(f: SensorFile, lookup: TargetLookup): Promise<Record<string, unknown>> {
  const links = [];
  for (const [i, c] of f.collectors.entries()) {
    const { name, target, metric, period, ...rest } = c;
    const [kind, ref] = [target.slice(0, target.indexOf('/')), target.slice(target.indexOf('/') + 1)];
    const location = kind === 'node' ? `/occi/compute/node.${ref}` : await lookup(kind as 'instance' | 'mel', ref);
    links.push({
      kind: COLLECTOR,
      id: name ?? `${f.name}-${i + 1}`,
      mixins: [`${M}metric#${metric}`],
      attributes: { 'occi.collector.period': period, ...attrs('metric', metric, rest) },
      target: { location },
    });
  }
  return {
    kind: SENSOR,
    id: f.name,
    mixins: [
      ...Object.keys(f.aggregators).map((t) => `${M}aggregator#${t}`),
      ...Object.keys(f.publishers).map((t) => `${M}publisher#${t}`),
    ],
    attributes: {
      'occi.sensor.period': f.period,
      ...(f.dangling !== undefined ? { 'osmo.sensor.dangling': f.dangling } : {}),
      ...Object.assign({}, ...Object.entries(f.aggregators).map(([t, p]) => attrs('aggregator', t, p))),
      ...Object.assign({}, ...Object.entries(f.publishers).map(([t, p]) => attrs('publisher', t, p))),
    },
    links,
  };
}

export function readSensorFile(path: string): SensorFile {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`-f ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const r = SensorFile.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new InvalidArgumentError(`-f ${path}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return r.data;
}

/** What the CLI reads of OCCI renderings (the server validated them). */
interface Json {
  id?: string;
  title?: string;
  attributes?: Record<string, unknown>;
  links?: unknown[];
  resources?: Json[];
}

export function register(program: Command): void {
  const sensor = program.command('sensor').description('OCCI monitoring sensors: create from YAML, list, remove, follow values');

  clientFlags(
    sensor
      .command('create')
      .description('create (and start) a sensor from a friendly YAML file; --dry-run prints the OCCI JSON instead')
      .requiredOption('-f, --file <path>', 'the sensor YAML (see examples/monitoring/)')
      .option('--dry-run', 'print the OCCI JSON rendering, send nothing'),
  ).action(async (o: ClientFlags & { file: string; dryRun?: boolean }) => {
    const f = readSensorFile(o.file);
    const api = coreClient(o);
    const occi = async (method: string, path: string, body?: unknown): Promise<Json> => {
      const r = await api.http.send(method, path, body);
      if (r.status >= 300) {
        const j = (r.json ?? {}) as { error?: string };
        throw new ApiError('status', `${method} ${path}: ${r.status} ${j.error ?? JSON.stringify(r.json)}`, {
          service: 'core',
          base: '',
          method,
          path,
          status: r.status,
        });
      }
      return r.json ?? {};
    };
    const lookup: TargetLookup = async (kind, name) => {
      if (kind === 'instance' && /^[0-9a-f-]{36}$/.test(name)) return `/occi/compute/instance.${name}`;
      const all = (await occi('GET', '/occi/compute/')).resources ?? [];
      // running instances first: a MEL's list may still hold a replaced one
      all.sort(
        (a, b) => Number(b.attributes?.['occi.compute.state'] === 'active') - Number(a.attributes?.['occi.compute.state'] === 'active'),
      );
      const hit = all.find((r) =>
        kind === 'mel'
          ? r.attributes?.['osmo.compute.mel'] === name
          : r.attributes?.['osmo.compute.role'] === 'instance' && (r.id === `instance.${name}` || r.title === name),
      );
      if (!hit)
        throw new InvalidArgumentError(`target ${kind}/${name}: no such ${kind === 'mel' ? 'MEL instance' : 'instance'} in the core`);
      return `/occi/compute/${hit.id ?? ''}`;
    };
    const body = await sensorToOcci(f, lookup);
    if (o.dryRun) {
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return;
    }
    let made = await occi('POST', '/occi/sensor/', body);
    if (f.start) made = await occi('POST', `/occi/sensor/${f.name}?action=start`, { action: START });
    print(o, made, () => `sensor ${f.name} created${f.start ? ' and started' : ''}: ${String(made.attributes?.['osmo.sensor.state'])}\n`);
  });

  clientFlags(sensor.command('ls').description('sensors with their state and collectors')).action(async (o: ClientFlags) => {
    const r = await coreClient(o).http.send('GET', '/occi/sensor/');
    if (r.status !== 200) throw new Error(`GET /occi/sensor/: ${r.status}`);
    const list = (r.json as Json).resources ?? [];
    print(o, list, () =>
      table([
        ['NAME', 'STATE', 'COLLECTORS', 'MESSAGE'],
        ...list.map((s) => [
          s.id ?? '',
          String(s.attributes?.['osmo.sensor.state'] ?? ''),
          String((s.links ?? []).length),
          String(s.attributes?.['osmo.sensor.state.message'] ?? ''),
        ]),
      ]),
    );
  });

  clientFlags(
    sensor
      .command('rm')
      .description('delete sensors (their collectors go too; the agents stop what nobody else uses)')
      .argument('<names...>'),
  ).action(async (names: string[], o: ClientFlags) => {
    const api = coreClient(o);
    for (const n of names) {
      const r = await api.http.send('DELETE', `/occi/sensor/${encodeURIComponent(n)}`);
      if (r.status !== 200) throw new Error(`sensor ${n}: ${r.status} ${(r.json as { error?: string } | undefined)?.error ?? ''}`.trim());
      if (!o.json) process.stdout.write(`deleted ${n}\n`);
    }
  });

  clientFlags(
    sensor
      .command('tail')
      .description("follow a started sensor's published values")
      .argument('<name>')
      .option('--publisher <term>', 'only the values of this publisher (e.g. stream, udp)'),
  ).action(async (name: string, o: ClientFlags & { publisher?: string }) => {
    await coreClient(o).http.stream(
      `/api/v1/sensors/${encodeURIComponent(name)}/stream`,
      o.publisher ? { publisher: o.publisher } : undefined,
      (m) => {
        if (m.event !== 'value') return;
        const v = JSON.parse(m.data) as { ts: number; channel: string; publisher: string; value: unknown };
        process.stdout.write(
          o.json ? `${m.data}\n` : `${new Date(v.ts).toISOString()}  ${v.channel}  ${v.publisher}  ${String(v.value)}\n`,
        );
      },
    );
  });
}
