// Typed calls to the core's REST API, one function per operation the dashboard uses.
// Collections come wrapped in an object holding one list ({"nodes": [...]}).
import { api } from './http.js';
import { normalizeParams, normalizeSeries, nestPatch } from './readers.js';
import type { Instance, Mel, MelSpec, MetricSeries, OsmoNode, PolicyParam } from './types.js';
import type { Loads, MigrationResult } from '../../../src/client/views.js';

const enc = encodeURIComponent;

export const listNodes = async (): Promise<OsmoNode[]> => (await api<{ nodes: OsmoNode[] }>('GET', '/api/v1/nodes')).nodes;
export const listMels = async (): Promise<Mel[]> => (await api<{ mels: Mel[] }>('GET', '/api/v1/mels')).mels;
export const listInstances = async (): Promise<Instance[]> => (await api<{ instances: Instance[] }>('GET', '/api/v1/instances')).instances;

/** one node in the policy engine's view: smoothed load factor L, hysteresis state, pending load */
export type NodeLoadView = Loads['nodes'][number];
/** The policy engine's view of every node (GET /api/v1/loads). */
export const listLoads = async (): Promise<NodeLoadView[]> => (await api<{ nodes: NodeLoadView[] }>('GET', '/api/v1/loads')).nodes;

export const createMel = (spec: MelSpec): Promise<unknown> => api('POST', '/api/v1/mels', spec);
export const deleteMel = (name: string): Promise<unknown> => api('DELETE', `/api/v1/mels/${enc(name)}`);
export const scaleMel = (name: string, replicas: number): Promise<unknown> => api('POST', `/api/v1/mels/${enc(name)}/scale`, { replicas });
/** node omitted: the destination policy chooses */
export type MigrationDone = MigrationResult;
/** Make-before-break: answers once the new instance runs (or with why it rolled back). */
export const migrateInstance = (id: string, node?: string): Promise<MigrationDone> =>
  api<MigrationDone>('POST', `/api/v1/instances/${enc(id)}/migrate`, node ? { node } : {});

export interface MetricQuery {
  node: string;
  target: string;
  metric: string;
  field?: string;
  from: number;
  to: number;
  step?: number;
}

export async function queryMetrics(q: MetricQuery): Promise<MetricSeries[]> {
  const p = new URLSearchParams({ node: q.node, target: q.target, metric: q.metric, from: String(q.from), to: String(q.to) });
  if (q.field) p.set('field', q.field);
  if (q.step) p.set('step', String(q.step));
  return normalizeSeries(await api<unknown>('GET', `/api/v1/metrics?${p.toString()}`));
}

// Policies (issue 4) and planner (issue 5) land later; the views show a notice on 404.
export async function getPolicies(): Promise<PolicyParam[]> {
  return normalizeParams(await api<unknown>('GET', '/api/v1/policies'));
}
/** The policy API takes a partial document: "weights.cpu" = 0.5 is sent as {weights: {cpu: 0.5}}. */
export const putPolicy = (name: string, value: unknown): Promise<unknown> => api('PUT', '/api/v1/policies', nestPatch(name, value));
export const runPlan = (model: unknown): Promise<unknown> => api('POST', '/api/v1/plans', model);
