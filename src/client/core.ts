// Typed calls to the core's REST API (the OpenAPI document at /openapi.json is the
// reference). Request and answer types are inferred from the zod schemas the routes
// declare, and every answer is read with its route's schema.
import { z } from 'zod';
import { CoreHealth, InstanceLogs, InstanceView, MelView, NodeView, OkBody } from '../model/index.js';
import { GlobalPolicyChanged, GlobalPolicyView, NodePolicyChanged, NodePolicyView } from '../core/policies/schema.js';
import { LoadsView, MigrationDone } from '../core/migration/schema.js';
import { CreatedToken, RotatedJoin, TokenInfo, TokenList, type TokenScope } from '../core/security/schema.js';
import { HttpClient, type HttpOptions, type Query } from './http.js';
import { SlaClient } from './sla.js';
import { CloudletClient } from './cloudlets.js';
import type {
  Node,
  Instance,
  Mel,
  MelSpecInput,
  MelPutInput,
  MigrationResult,
  Loads,
  GlobalPolicy,
  NodePolicy,
  CoreEvent,
} from './views.js';

export type { NodeView, InstanceView, MelView };

const NodeList = z.object({ nodes: z.array(NodeView) });
const MelList = z.object({ mels: z.array(MelView) });
const InstanceList = z.object({ instances: z.array(InstanceView) });
// the stream's frames are read as JSON and handed on; the store wrote them, the history
// route below is where their shape is checked
const EventList = z.object({ events: z.array(z.record(z.string(), z.unknown())) });

export type NodeAction = 'cordon' | 'uncordon' | 'drain' | 'undrain';

export interface EventQuery {
  /** comma-separated types, e.g. "node,placement" */
  type?: string;
  node?: string;
  /** ms since epoch or an ISO date: replay history from then */
  since?: string;
}

const enc = encodeURIComponent;

/** The core's API. One instance per core; cheap to make. */
export class CoreClient {
  readonly http: HttpClient;

  /** the SLA manager's API (/sla-service/) */
  readonly sla: SlaClient;

  /** the cloudlet catalog and app repository (/api/v1/services, /api/v1/apps) */
  readonly cloudlets: CloudletClient;

  constructor(o: HttpOptions) {
    // every POST carries an Idempotency-Key: the failover retry (several bases) acts once
    this.http = new HttpClient('core', { idempotencyKeys: true, ...o });
    this.sla = new SlaClient(this.http);
    this.cloudlets = new CloudletClient(this.http);
  }

  get base(): string {
    return this.http.base;
  }

  health() {
    return this.http.call('GET', '/healthz', { response: CoreHealth });
  }

  async nodes(q: { status?: Node['status']; layer?: Node['layer'] } = {}): Promise<Node[]> {
    return (await this.http.call('GET', '/api/v1/nodes', { query: q, response: NodeList })).nodes;
  }

  node(id: string): Promise<Node> {
    return this.http.call('GET', `/api/v1/nodes/${enc(id)}`, { response: NodeView });
  }

  /** cordon | uncordon | drain | undrain; answers the node as it is afterwards */
  nodeAction(id: string, action: NodeAction): Promise<Node> {
    return this.http.call('POST', `/api/v1/nodes/${enc(id)}/${action}`, { response: NodeView });
  }

  /** cuts the node off: its credential is refused from now on and it is marked down */
  revokeNode(id: string): Promise<Node> {
    return this.http.call('POST', `/api/v1/nodes/${enc(id)}/revoke`, { response: NodeView });
  }

  /** a new API token; the answer is the only place its secret appears */
  createToken(scope: TokenScope, name?: string) {
    return this.http.call('POST', '/api/v1/tokens', { body: { scope, ...(name ? { name } : {}) }, response: CreatedToken });
  }

  async tokens() {
    return (await this.http.call('GET', '/api/v1/tokens', { response: TokenList })).tokens;
  }

  /** by id or name */
  revokeToken(ref: string) {
    return this.http.call('DELETE', `/api/v1/tokens/${enc(ref)}`, { response: TokenInfo });
  }

  /** a new join token (the answer carries it); joined nodes keep working */
  rotateJoinToken() {
    return this.http.call('POST', '/api/v1/join-token/rotate', { response: RotatedJoin });
  }

  removeNode(id: string) {
    return this.http.call('DELETE', `/api/v1/nodes/${enc(id)}`, { response: OkBody });
  }

  async mels(): Promise<Mel[]> {
    return (await this.http.call('GET', '/api/v1/mels', { response: MelList })).mels;
  }

  mel(name: string): Promise<Mel> {
    return this.http.call('GET', `/api/v1/mels/${enc(name)}`, { response: MelView });
  }

  /** POST /api/v1/mels: 409 when the name exists */
  createMel(spec: MelSpecInput): Promise<Mel> {
    return this.http.call('POST', '/api/v1/mels', { body: spec, response: MelView });
  }

  /** create or replace */
  putMel(name: string, body: MelPutInput): Promise<Mel> {
    return this.http.call('PUT', `/api/v1/mels/${enc(name)}`, { body, response: MelView });
  }

  scaleMel(name: string, replicas: number): Promise<Mel> {
    return this.http.call('POST', `/api/v1/mels/${enc(name)}/scale`, { body: { replicas }, response: MelView });
  }

  removeMel(name: string) {
    return this.http.call('DELETE', `/api/v1/mels/${enc(name)}`, { response: OkBody });
  }

  async instances(q: { mel?: string; node?: string; state?: Instance['state'] } = {}): Promise<Instance[]> {
    return (await this.http.call('GET', '/api/v1/instances', { query: q, response: InstanceList })).instances;
  }

  instance(id: string): Promise<Instance> {
    return this.http.call('GET', `/api/v1/instances/${enc(id)}`, { response: InstanceView });
  }

  logs(id: string, bytes?: number) {
    return this.http.call('GET', `/api/v1/instances/${enc(id)}/logs`, { query: { bytes }, response: InstanceLogs });
  }

  /** make-before-break; without `node` the destination policy chooses. Answers when done. */
  migrate(id: string, node?: string): Promise<MigrationResult> {
    return this.http.call('POST', `/api/v1/instances/${enc(id)}/migrate`, {
      body: node ? { node } : {},
      response: MigrationDone,
      timeoutMs: 300_000,
    });
  }

  loads(): Promise<Loads> {
    return this.http.call('GET', '/api/v1/loads', { response: LoadsView });
  }

  policies(): Promise<GlobalPolicy> {
    return this.http.call('GET', '/api/v1/policies', { response: GlobalPolicyView });
  }

  nodePolicies(node: string): Promise<NodePolicy> {
    return this.http.call('GET', `/api/v1/nodes/${enc(node)}/policies`, { response: NodePolicyView });
  }

  /** a partial policy document: only the fields to change */
  patchPolicies(patch: Record<string, unknown>) {
    return this.http.call('PUT', '/api/v1/policies', { body: patch, response: GlobalPolicyChanged });
  }

  patchNodePolicies(node: string, patch: Record<string, unknown>) {
    return this.http.call('PUT', `/api/v1/nodes/${enc(node)}/policies`, { body: patch, response: NodePolicyChanged });
  }

  clearNodePolicies(node: string) {
    return this.http.call('DELETE', `/api/v1/nodes/${enc(node)}/policies`, { response: OkBody });
  }

  /** stored events (no stream) */
  async eventHistory(q: EventQuery & { limit?: number } = {}): Promise<CoreEvent[]> {
    return (await this.http.call('GET', '/api/v1/events', { query: { ...q, follow: 'false' }, response: EventList })).events as CoreEvent[];
  }

  /**
   * Follows the event stream: `on` per event until it returns true, the stream ends, or
   * `signal` aborts.
   */
  follow(q: EventQuery, on: (e: CoreEvent) => boolean | void, signal?: AbortSignal): Promise<void> {
    return this.http.stream(
      '/api/v1/events',
      q as Query,
      (m) => (m.data ? on(JSON.parse(m.data) as CoreEvent) : undefined),
      signal ? { signal } : {},
    );
  }
}
