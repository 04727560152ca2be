// Who is calling: the join token, a scoped API token, or one node's credential. Records live
// in the store's kv table (only hashes) and in memory, because every heartbeat is checked.
//   join token    — admin; the only secret that may register a node that has no credential.
//   node credential — issued at a node's first registration; the only secret that may
//                 heartbeat, send events or re-register for that node id (after Kubernetes'
//                 node authorizer: a kubelet touches only its own node).
//   API tokens    — `admin` or `read-only`, named, listed, revocable.
// The core also derives, per node, the token it sends with its commands to that agent
// (HMAC of a key in the data dir), so a node never holds a secret valid on another node.
import { join } from 'node:path';
import { z } from 'zod';
import { forbidden, notFound, OsmoError } from '../../shared/errors.js';
import type { Store } from '../../store/index.js';
import type { ClusterState } from '../state.js';
import { joinTokenText, newJoinToken, writeJoinToken } from '../token.js';
import { parseJoinToken } from '../../shared/join-token.js';
import { hashMatches, hmac, idOf, issue, loadOrCreateKey, NODE_PREFIX, sameSecret, TOKEN_PREFIX } from './secrets.js';

import { TokenScope, type TokenInfo } from './schema.js';

export { TokenScope };

/** Who a request was authenticated as. `subject` is what the audit trail names. */
export type Principal =
  | { kind: 'join'; subject: 'join-token'; scope: 'admin' }
  | { kind: 'token'; subject: string; scope: TokenScope; id: string }
  | { kind: 'node'; subject: string; node: string }
  | { kind: 'loopback'; subject: 'loopback'; scope: 'admin' };

/** A secret we know but no longer accept: answered 403 with the reason, never treated as absent. */
export interface Refused {
  refused: string;
}

const NodeCred = z.object({ credId: z.string(), hash: z.string(), issuedAt: z.number(), revokedAt: z.number().optional() });
type NodeCred = z.infer<typeof NodeCred>;
const ApiToken = z.object({ id: z.string(), name: z.string(), scope: TokenScope, hash: z.string(), createdAt: z.number() });
type ApiToken = z.infer<typeof ApiToken>;

const NODE_KEY = 'security/node/';
const TOKEN_KEY = 'security/token/';

export class Security {
  private joinToken: string;
  private readonly commandKey: Buffer;
  private readonly commandTokens = new Map<string, string>();
  private readonly nodes = new Map<string, NodeCred>();
  private readonly nodeOfCred = new Map<string, string>();
  private readonly tokens = new Map<string, ApiToken>();
  /** join-token registrations in flight: a second one for the same id must not get a credential too */
  private readonly joining = new Set<string>();

  private constructor(
    private readonly store: Store,
    private readonly state: ClusterState,
    private readonly dataDir: string,
    joinToken: string,
    private readonly caSha256: string | undefined,
  ) {
    this.joinToken = joinToken;
    this.commandKey = loadOrCreateKey(join(dataDir, 'command-key'));
  }

  /** `caSha256`: the fingerprint of the core's own CA, carried by the join token it hands out */
  static async open(store: Store, state: ClusterState, dataDir: string, joinToken: string, caSha256?: string): Promise<Security> {
    const s = new Security(store, state, dataDir, joinToken, caSha256);
    for (const { key, value } of await store.kv.withPrefix(NODE_KEY)) {
      const r = NodeCred.safeParse(JSON.parse(value));
      if (!r.success) continue;
      const node = key.slice(NODE_KEY.length);
      s.nodes.set(node, r.data);
      s.nodeOfCred.set(r.data.credId, node);
    }
    for (const { value } of await store.kv.withPrefix(TOKEN_KEY)) {
      const r = ApiToken.safeParse(JSON.parse(value));
      if (r.success) s.tokens.set(r.data.id, r.data);
    }
    return s;
  }

  /** The principal an `Authorization` header names; undefined = no or an unknown secret (401). */
  authenticate(header: string | undefined): Principal | Refused | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    const presented = m[1]!;
    // a node credential first: it is what nearly every request carries (each heartbeat), and
    // one that does not match still falls through to the join token, so the order changes
    // no answer (a join token of a node credential's shape is still the join token)
    const credId = idOf(NODE_PREFIX, presented);
    if (credId !== undefined) {
      const node = this.nodeOfCred.get(credId);
      const rec = node === undefined ? undefined : this.nodes.get(node);
      if (node !== undefined && rec && rec.credId === credId && hashMatches(presented, rec.hash)) {
        if (rec.revokedAt !== undefined) return { refused: `the credential of node ${node} was revoked` };
        return { kind: 'node', subject: `node:${node}`, node };
      }
    }
    // the pinned form is accepted as well: its secret is what counts, the pin is for agents
    if (sameSecret(parseJoinToken(presented).secret, this.joinToken)) return { kind: 'join', subject: 'join-token', scope: 'admin' };
    if (credId !== undefined) return undefined;
    const tokenId = idOf(TOKEN_PREFIX, presented);
    if (tokenId !== undefined) {
      const t = this.tokens.get(tokenId);
      if (!t || !hashMatches(presented, t.hash)) return undefined;
      return { kind: 'token', subject: `token:${t.name}`, scope: t.scope, id: t.id };
    }
    return undefined;
  }

  /**
   * Registers node `id` if this principal may: its own credential, or the join token for a
   * node that holds none (a new node, or one forgotten with `osmo nodes rm`). With the join
   * token, a credential is issued once `register` has succeeded and handed back. Throws 403
   * otherwise, before anything is stored.
   */
  async register<R>(p: Principal, id: string, register: () => Promise<R>): Promise<{ result: R; credential?: string }> {
    if (p.kind === 'node') {
      if (p.node !== id) throw forbidden(`this credential belongs to node ${p.node}, not ${id}`);
      return { result: await register() };
    }
    if (p.kind !== 'join') throw forbidden('registering a node needs the join token (or the node its own credential)');
    const rec = this.nodes.get(id);
    if (rec?.revokedAt !== undefined) throw forbidden(`node ${id} was revoked; remove it (osmo nodes rm ${id}) before it may join again`);
    if (rec || this.joining.has(id)) throw forbidden(`node ${id} has already joined: only its own node credential may register it again`);
    this.joining.add(id);
    try {
      const result = await register();
      const cred = issue(NODE_PREFIX);
      await this.putNode(id, { credId: cred.id, hash: cred.hash, issuedAt: Date.now() });
      return { result, credential: cred.secret };
    } finally {
      this.joining.delete(id);
    }
  }

  /**
   * May this principal have a certificate for node `id`'s API at `host`? The join token for a
   * node that holds no credential yet (as for registration); the node's own credential for a
   * host no other node's address names, so that one stolen credential cannot be used to stand
   * in for another node's API.
   */
  checkCertificate(p: Principal, id: string, host: string): void {
    if (p.kind === 'join') {
      const rec = this.nodes.get(id);
      if (rec?.revokedAt !== undefined) throw forbidden(`node ${id} was revoked`);
      if (rec) throw forbidden(`node ${id} has already joined: only its own node credential may ask for its certificate`);
      return;
    }
    this.checkNode(p, id);
    for (const n of this.state.nodes.values()) {
      if (n.id === id) continue;
      let other = '';
      try {
        other = new URL(n.address).hostname.replace(/^\[|\]$/g, '');
      } catch {
        // an address the core could not parse names no host
      }
      if (other === host) throw forbidden(`${host} is the address of node ${n.id}: a certificate for it is not node ${id}'s to have`);
    }
  }

  /** Heartbeats and event batches: only the node's own credential. */
  checkNode(p: Principal, id: string): void {
    if (p.kind === 'node' && p.node === id) return;
    if (p.kind === 'node') throw forbidden(`this credential belongs to node ${p.node}, not ${id}`);
    throw forbidden(`only node ${id}'s own credential (issued when it registered) may send its heartbeats and events`);
  }

  /** The token the core sends with commands to this node's agent. */
  commandTokenFor(node: string): string {
    // an HMAC per command was a visible part of the leader's CPU while placing at 5,000 nodes;
    // the key never changes in a core's life, so neither does a node's token
    let t = this.commandTokens.get(node);
    if (t === undefined) this.commandTokens.set(node, (t = `osmoc_${hmac(this.commandKey, `agent-api\0${node}`)}`));
    return t;
  }

  /** Cuts a node off: its credential is refused from now on (403), and it cannot re-join with the join token. */
  async revokeNode(id: string): Promise<void> {
    const rec = this.nodes.get(id);
    if (!this.state.nodes.has(id)) throw notFound(`node ${id} not found`);
    await this.putNode(id, { ...(rec ?? { credId: '', hash: '', issuedAt: Date.now() }), revokedAt: Date.now() });
  }

  /** the join token as agents are given it (pinned to the core's CA when it has one) */
  get currentJoinToken(): string {
    return joinTokenText(this.joinToken, this.caSha256);
  }

  /** `osmo nodes rm`: the id is free again, the join token may register it anew. */
  async forgetNode(id: string): Promise<void> {
    this.commandTokens.delete(id);
    const rec = this.nodes.get(id);
    if (!rec) return;
    this.nodes.delete(id);
    this.nodeOfCred.delete(rec.credId);
    await this.store.kv.remove(NODE_KEY + id);
  }

  /** A new join token, in memory and in <data-dir>/join-token; joined nodes keep their credentials. */
  rotateJoin(): string {
    const t = newJoinToken();
    writeJoinToken(this.dataDir, t, this.caSha256);
    this.joinToken = t;
    return this.currentJoinToken;
  }

  async createToken(scope: TokenScope, name: string | undefined): Promise<TokenInfo & { token: string }> {
    const t = issue(TOKEN_PREFIX);
    const label = name ?? t.id;
    if ([...this.tokens.values()].some((x) => x.name === label)) throw new OsmoError('conflict', `a token named "${label}" exists`);
    const rec: ApiToken = { id: t.id, name: label, scope, hash: t.hash, createdAt: Date.now() };
    await this.store.kv.set(TOKEN_KEY + t.id, JSON.stringify(rec));
    this.tokens.set(t.id, rec);
    return { ...info(rec), token: t.secret };
  }

  listTokens(): TokenInfo[] {
    return [...this.tokens.values()].map(info).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** by id or by name */
  async revokeToken(ref: string): Promise<TokenInfo> {
    const t = this.tokens.get(ref) ?? [...this.tokens.values()].find((x) => x.name === ref);
    if (!t) throw notFound(`no API token with id or name "${ref}"`);
    await this.store.kv.remove(TOKEN_KEY + t.id);
    this.tokens.delete(t.id);
    return info(t);
  }

  private async putNode(id: string, rec: NodeCred): Promise<void> {
    const old = this.nodes.get(id);
    if (old) this.nodeOfCred.delete(old.credId);
    // memory first, so that a second registration racing this one sees the credential
    this.nodes.set(id, rec);
    if (rec.credId) this.nodeOfCred.set(rec.credId, id);
    await this.store.kv.set(NODE_KEY + id, JSON.stringify(rec));
  }
}

function info(t: ApiToken): TokenInfo {
  return { id: t.id, name: t.name, scope: t.scope, createdAt: t.createdAt };
}
