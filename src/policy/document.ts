// The policy document: every M.A.E.A.I. parameter in one JSON shape, like the attributes
// of the seed's policy MBeans. One table (PARAMETERS) is the single source for the zod
// schemas, the defaults, the ranges and describe(), so the four cannot drift apart.
import { z } from 'zod';
import { SampleSource } from '../model/metric.js';
import { Acceptance } from '../model/node.js';
import { invalid } from '../shared/errors.js';

export const ACCEPTANCE = Acceptance.options;
export const SELECTION = ['prefer-known-destination', 'ascending-load', 'descending-load'] as const;
export const DESTINATION = ['least-loaded', 'nearest', 'least-loaded-nearest'] as const;
export const LOAD_SOURCE = SampleSource.options;

export type { Acceptance };
export type Selection = (typeof SELECTION)[number];
export type Destination = (typeof DESTINATION)[number];
export type LoadSource = (typeof LOAD_SOURCE)[number];

export interface PolicyDocument {
  thresholds: { low: number; high: number };
  weights: { cpu: number; mem: number; io: number };
  acceptance: Acceptance;
  selection: Selection;
  destination: Destination;
  loadSource: LoadSource;
  management: Management;
}

export interface Management {
  /** multiplier of the estimated load of accepted-but-not-arrived instances */
  phantomLoadWeight: number;
  /** max entries in the pending (accepted-but-not-arrived) table of one node */
  pendingTableSize: number;
  /** a pending entry (and a destination's answer) older than this is dropped */
  acceptanceTimeoutMs: number;
  /** load sampling period; also the EWMA time constant */
  monitoringPeriodMs: number;
  /** a node's load older than this is unknown */
  stalenessTimeoutMs: number;
  /** how often the rebalancer runs one round */
  rebalancePeriodMs: number;
  /** how often node loads are refreshed from the metrics store (other domains) */
  loadRefreshPeriodMs: number;
  /** how often the image/MEL tables used by prefer-known-destination are refreshed */
  catalogRefreshPeriodMs: number;
  /** at most this many moves in one round (0 turns automatic migration off) */
  maxMovesPerRound: number;
  /** an instance lighter than this (load factor) is not worth moving to relieve its node */
  minInstanceLoad: number;
  /** make-before-break: the destination must be running (and healthy) within this */
  migrationTimeoutMs: number;
  /** network + disk bytes/s that make a full io term (io = rate / this) */
  ioCapacityBytesPerSec: number;
}

type Spec =
  | { kind: 'number'; unit: string; min: number; max: number; int?: boolean; def: number; doc: string }
  | { kind: 'enum'; values: readonly string[]; def: string; doc: string };

const num = (unit: string, min: number, max: number, def: number, doc: string, int = false): Spec => ({
  kind: 'number',
  unit,
  min,
  max,
  def,
  doc,
  int,
});
const en = (values: readonly string[], def: string, doc: string): Spec => ({ kind: 'enum', values, def, doc });

const HOUR = 3_600_000;

/** Every parameter, by its dotted path in the document. */
export const PARAMETERS: Record<string, Spec> = {
  'thresholds.low': num('load factor', 0, 1, 0.6, 'back to normal when L <= low'),
  'thresholds.high': num('load factor', 0, 1, 0.8, 'overloaded when L >= high'),
  'weights.cpu': num('weight', 0, 100, 0.6, 'weight of the CPU term in L (weights are normalised by their sum)'),
  'weights.mem': num('weight', 0, 100, 0.3, 'weight of the memory term in L'),
  'weights.io': num('weight', 0, 100, 0.1, 'weight of the I/O term in L'),
  // `always` by default: a platform should not refuse desired state because of load unless
  // the operator asks for it (migration destinations are guarded by the thresholds anyway).
  acceptance: en(ACCEPTANCE, 'always', 'when a node accepts a new or migrating instance'),
  selection: en(SELECTION, 'prefer-known-destination', 'which instances leave an overloaded node first'),
  destination: en(DESTINATION, 'least-loaded-nearest', 'where a leaving instance goes'),
  loadSource: en(LOAD_SOURCE, 'host', 'host: machine metrics; guest: sum of the node instances against its capacity'),
  'management.phantomLoadWeight': num('factor', 0, 10, 1, 'weight of the phantom load of accepted-but-not-arrived instances'),
  'management.pendingTableSize': num('entries', 1, 10_000, 16, 'max accepted-but-not-arrived instances per node', true),
  'management.acceptanceTimeoutMs': num('ms', 100, HOUR, 30_000, 'pending entries expire after this', true),
  'management.monitoringPeriodMs': num('ms', 100, HOUR, 5_000, 'load sampling period and EWMA time constant', true),
  'management.stalenessTimeoutMs': num('ms', 100, 24 * HOUR, 30_000, 'a load entry older than this is discarded', true),
  'management.rebalancePeriodMs': num('ms', 100, HOUR, 10_000, 'period of one rebalancing round', true),
  'management.loadRefreshPeriodMs': num('ms', 100, HOUR, 5_000, 'refresh period of node load information', true),
  'management.catalogRefreshPeriodMs': num('ms', 100, 24 * HOUR, 60_000, 'refresh period of the image/MEL tables', true),
  'management.maxMovesPerRound': num('moves', 0, 10_000, 4, 'at most this many migrations per round', true),
  'management.minInstanceLoad': num('load factor', 0, 1, 0.02, 'instances lighter than this are not moved to relieve an overloaded node'),
  'management.migrationTimeoutMs': num('ms', 1_000, HOUR, 60_000, 'the destination must be up within this or the move rolls back', true),
  'management.ioCapacityBytesPerSec': num('bytes/s', 1_000, 1e12, 100e6, 'network + disk rate that counts as a full io term'),
};

function leaf(spec: Spec, withDefault: boolean): z.ZodType {
  if (spec.kind === 'enum') {
    const e = z.enum(spec.values as [string, ...string[]]);
    return withDefault ? e.default(spec.def) : e;
  }
  let n = z.number().min(spec.min).max(spec.max);
  if (spec.int) n = n.int();
  return withDefault ? n.default(spec.def) : n;
}

/** Builds a nested strict zod object from the dotted table: full (with defaults) or partial. */
function build(partial: boolean): z.ZodType {
  const groups = new Map<string, Record<string, z.ZodType>>();
  const top: Record<string, z.ZodType> = {};
  for (const [path, spec] of Object.entries(PARAMETERS)) {
    const [group, key] = path.split('.') as [string, string | undefined];
    const s = partial ? leaf(spec, false).optional() : leaf(spec, true);
    if (key === undefined) top[group] = s;
    else {
      const g = groups.get(group) ?? {};
      g[key] = s;
      groups.set(group, g);
    }
  }
  for (const [group, fields] of groups) {
    const obj = z.strictObject(fields);
    top[group] = partial ? obj.optional() : obj.prefault({});
  }
  return z.strictObject(top);
}

/** A full document; missing fields take their defaults. */
export const PolicyDocumentSchema = build(false) as z.ZodType<PolicyDocument, unknown>;

export type PolicyPatch = {
  [K in keyof PolicyDocument]?: PolicyDocument[K] extends object ? Partial<PolicyDocument[K]> : PolicyDocument[K];
};
/** A partial document (PUT body, per-node override): only the fields to change; unknown fields are refused. */
export const PolicyPatchSchema = build(true) as z.ZodType<PolicyPatch, unknown>;

export function defaultPolicy(): PolicyDocument {
  return PolicyDocumentSchema.parse({});
}

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? i.path.join('.') : 'policy'}: ${i.message}`).join('; ');
}

/** Parses a patch body; throws OsmoError invalid naming the field. */
export function parsePatch(body: unknown): PolicyPatch {
  const r = PolicyPatchSchema.safeParse(body ?? {});
  if (!r.success) throw invalid(`invalid policy: ${zodMessage(r.error)}`);
  return r.data;
}

/** Combination rules a per-field range cannot express. */
export function checkCombination(doc: PolicyDocument): void {
  const { low, high } = doc.thresholds;
  if (!(low < high)) throw invalid(`invalid policy: thresholds.low (${low}) must be below thresholds.high (${high})`);
  const { cpu, mem, io } = doc.weights;
  if (cpu + mem + io <= 0)
    throw invalid('invalid policy: weights.cpu, weights.mem and weights.io are all zero; at least one must be positive');
  const m = doc.management;
  if (m.stalenessTimeoutMs < m.monitoringPeriodMs)
    throw invalid(
      `invalid policy: management.stalenessTimeoutMs (${m.stalenessTimeoutMs}) must be at least management.monitoringPeriodMs (${m.monitoringPeriodMs}), or every load would be stale`,
    );
}

/** base + patch, validated as a whole: the result is either a valid document or an error (base untouched). */
export function applyPatch(base: PolicyDocument, patch: PolicyPatch): PolicyDocument {
  const merged: PolicyDocument = {
    ...base,
    ...stripUndefined(patch),
    thresholds: { ...base.thresholds, ...stripUndefined(patch.thresholds ?? {}) },
    weights: { ...base.weights, ...stripUndefined(patch.weights ?? {}) },
    management: { ...base.management, ...stripUndefined(patch.management ?? {}) },
  };
  checkCombination(merged);
  return merged;
}

/** Merges two patches (later wins), e.g. a stored per-node override and a new PUT. */
export function mergePatches(a: PolicyPatch, b: PolicyPatch): PolicyPatch {
  const out: PolicyPatch = { ...stripUndefined(a), ...stripUndefined(b) };
  for (const g of ['thresholds', 'weights', 'management'] as const) {
    if (a[g] || b[g]) (out as Record<string, unknown>)[g] = { ...stripUndefined(a[g] ?? {}), ...stripUndefined(b[g] ?? {}) };
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export interface ParameterDescription {
  name: string;
  type: 'number' | 'integer' | 'enum';
  unit?: string;
  min?: number;
  max?: number;
  allowed?: readonly string[];
  default: number | string;
  value: number | string;
  description: string;
}

function valueAt(doc: PolicyDocument, path: string): number | string {
  let cur: unknown = doc;
  for (const p of path.split('.')) cur = (cur as Record<string, unknown>)[p];
  return cur as number | string;
}

/** Every parameter with type, unit, allowed range and current value (the MBean attribute list). */
export function describe(doc: PolicyDocument): ParameterDescription[] {
  return Object.entries(PARAMETERS).map(([name, s]) =>
    s.kind === 'enum'
      ? { name, type: 'enum', allowed: s.values, default: s.def, value: valueAt(doc, name), description: s.doc }
      : {
          name,
          type: s.int ? 'integer' : 'number',
          unit: s.unit,
          min: s.min,
          max: s.max,
          default: s.def,
          value: valueAt(doc, name),
          description: s.doc,
        },
  );
}

/** Global document plus partial per-node overrides. */
export interface PolicySet {
  global: PolicyDocument;
  nodes?: Record<string, PolicyPatch>;
}

/** The effective document of one node: global with that node's override on top. */
export function policyFor(set: PolicySet | PolicyDocument, node: string): PolicyDocument {
  if (!('global' in set)) return set;
  const o = set.nodes?.[node];
  return o ? applyPatch(set.global, o) : set.global;
}
