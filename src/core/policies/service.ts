// The run-time policy manager (the seed's policy MBeans): the global document and the
// per-node overrides, persisted in the store's kv table, every accepted change emitted on
// the core's event stream (the JMX notification). An invalid change throws and changes
// nothing, in memory or on disk.
import {
  applyPatch,
  defaultPolicy,
  mergePatches,
  parsePatch,
  PolicyDocumentSchema,
  policyFor,
  PolicyPatchSchema,
  describe,
  type PolicyDocument,
  type PolicyPatch,
  type PolicySet,
} from '../../policy/document.js';
import { notFound } from '../../shared/errors.js';
import type { Store } from '../../store/index.js';
import type { EventLog } from '../events/service.js';
import type { ClusterState } from '../state.js';

const GLOBAL_KEY = 'policy.global';
const NODE_PREFIX = 'policy.node.';

export interface PolicyChange {
  name: string;
  from: unknown;
  to: unknown;
}

function diffDocs(a: PolicyDocument, b: PolicyDocument): PolicyChange[] {
  const av = describe(a);
  const bv = describe(b);
  return av.flatMap((p, k) => (p.value !== bv[k]!.value ? [{ name: p.name, from: p.value, to: bv[k]!.value }] : []));
}

export class PolicyService {
  private global: PolicyDocument = defaultPolicy();
  private readonly nodes = new Map<string, PolicyPatch>();
  private readonly listeners = new Set<() => void>();
  /** serialises writes so two concurrent PUTs cannot interleave read-merge-write */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: { store: Store; state: ClusterState; events: EventLog }) {}

  async load(): Promise<void> {
    const g = await this.ctx.store.kv.get(GLOBAL_KEY);
    if (g) {
      const r = PolicyDocumentSchema.safeParse(JSON.parse(g));
      if (r.success) this.global = r.data;
      else process.emitWarning(`stored global policy is invalid, using defaults: ${r.error.message}`);
    }
    for (const id of this.ctx.state.nodes.keys()) {
      const s = await this.ctx.store.kv.get(NODE_PREFIX + id);
      if (!s) continue;
      const r = PolicyPatchSchema.safeParse(JSON.parse(s));
      if (r.success) this.nodes.set(id, r.data);
    }
  }

  /** Called after every accepted change (the rebalancer re-reads on its next round anyway). */
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get set(): PolicySet {
    return { global: this.global, nodes: Object.fromEntries(this.nodes) };
  }

  globalDocument(): PolicyDocument {
    return this.global;
  }

  override(node: string): PolicyPatch {
    return this.nodes.get(node) ?? {};
  }

  forNode(node: string): PolicyDocument {
    return policyFor(this.set, node);
  }

  patchGlobal(body: unknown): Promise<{ policy: PolicyDocument; changes: PolicyChange[] }> {
    return this.serial(async () => {
      const patch = parsePatch(body);
      const next = applyPatch(this.global, patch);
      // every node's effective document must stay valid too (e.g. an override's low vs the new high)
      for (const o of this.nodes.values()) applyPatch(next, o);
      const changes = diffDocs(this.global, next);
      await this.ctx.store.kv.set(GLOBAL_KEY, JSON.stringify(next));
      this.global = next;
      await this.ctx.events.core('policy', null, { scope: 'global', changes, patch });
      this.notify();
      return { policy: next, changes };
    });
  }

  patchNode(node: string, body: unknown): Promise<{ policy: PolicyDocument; override: PolicyPatch; changes: PolicyChange[] }> {
    return this.serial(async () => {
      if (!this.ctx.state.nodes.has(node)) throw notFound(`node ${node} not found`);
      const patch = parsePatch(body);
      const before = this.forNode(node);
      const override = mergePatches(this.nodes.get(node) ?? {}, patch);
      const next = applyPatch(this.global, override);
      const changes = diffDocs(before, next);
      await this.ctx.store.kv.set(NODE_PREFIX + node, JSON.stringify(override));
      this.nodes.set(node, override);
      await this.ctx.events.core('policy', node, { scope: 'node', node, changes, patch });
      this.notify();
      return { policy: next, override, changes };
    });
  }

  clearNode(node: string): Promise<void> {
    return this.serial(async () => {
      if (!this.ctx.state.nodes.has(node)) throw notFound(`node ${node} not found`);
      const before = this.forNode(node);
      await this.ctx.store.kv.remove(NODE_PREFIX + node);
      this.nodes.delete(node);
      await this.ctx.events.core('policy', node, { scope: 'node', node, changes: diffDocs(before, this.global), cleared: true });
      this.notify();
    });
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.catch(() => undefined).then(f);
    this.chain = next;
    return next;
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
