// The reconciler's decision, as a pure function: one MEL's desired state and its
// instances (with the status of their nodes) in, a list of actions out. No I/O, no
// clock; reconciler.ts applies the actions. Unit tested in test/unit/core/diff.test.ts.
import type { NodeStatus } from '../../model/index.js';
import type { InstanceRecord } from '../../store/index.js';
import { DEFAULT_DISCONNECT, type DisconnectPolicy } from '../mels/disconnect.js';

export interface NodeFacts {
  status: NodeStatus;
  draining: boolean;
}

export interface DiffInput {
  /** undefined when the MEL was deleted: everything it had goes */
  mel?: {
    name: string;
    replicas: number;
    generation: number;
    /** fixed host ports: old and new cannot run side by side on one node, so replace stop-first */ stopFirst?: boolean;
    /** what a down node's instances become (default: lost at once and replaced) */
    disconnect?: DisconnectPolicy;
  };
  instances: InstanceRecord[];
  nodes: ReadonlyMap<string, NodeFacts> | Record<string, NodeFacts>;
  /** ms; with failedHoldMs, a freshly failed instance keeps its slot for a while (crash-loop backoff) */
  now?: number;
  failedHoldMs?: number;
  /** rolling update: at most this many new-generation instances starting at once (default 1) */
  maxParallel?: number;
}

export type Action =
  /** place `count` new instances; `reuse` are pending rows (no node yet) to fill first */
  | { kind: 'place'; count: number; reuse: string[] }
  /** pending rows no longer needed */
  | { kind: 'drop-pending'; ids: string[] }
  /** stop and remove the container, then forget the row */
  | { kind: 'stop'; id: string; reason: string }
  /** the node is down: the instance no longer counts, a replacement will be placed (unless disconnect.replace is false) */
  | { kind: 'lost'; id: string }
  /** the node is down but disconnect.lostAfter has not run out: the instance still counts */
  | { kind: 'unknown'; id: string }
  /** (re)send the deploy command of a placed instance whose container is not confirmed */
  | { kind: 'deploy'; id: string };

function facts(nodes: DiffInput['nodes'], id: string | null): NodeFacts | undefined {
  if (id === null) return undefined;
  return nodes instanceof Map ? nodes.get(id) : (nodes as Record<string, NodeFacts>)[id];
}

const newestFirst = (a: InstanceRecord, b: InstanceRecord) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1);

export function diff(input: DiffInput): Action[] {
  const actions: Action[] = [];
  const { mel } = input;
  const placed: InstanceRecord[] = [];
  const pending: InstanceRecord[] = [];
  const draining: InstanceRecord[] = [];
  /** running instances of an older generation: they keep serving until their replacements run */
  const outdated: InstanceRecord[] = [];
  const policy = mel?.disconnect ?? DEFAULT_DISCONNECT;
  /** lost instances that are not to be replaced (disconnect.replace false): their slots stay taken */
  let held = 0;

  for (const i of input.instances) {
    const node = facts(input.nodes, i.node);
    if (i.desired === 'stop' || i.state === 'stopping') {
      // a stop that has not finished (or never got sent before a crash): send it again while the node answers
      if (!node || node.status === 'down') continue;
      actions.push({ kind: 'stop', id: i.id, reason: i.reason ?? 'stopping' });
      continue;
    }
    if (i.state === 'stopped') continue;
    if (i.state === 'lost') {
      // on a node that is back, sync decides about it (reconnect.ts); until then it keeps a slot only if it is not replaced
      if (mel && !policy.replace && node) held++;
      continue;
    }
    if (i.state === 'pending') {
      pending.push(i);
      continue;
    }
    if (!node || node.status === 'down') {
      if (mel && node && isAway(i, policy, input.now)) {
        // still counted: a partition shorter than lostAfter must not start a second copy
        if (i.state !== 'unknown') actions.push({ kind: 'unknown', id: i.id });
        placed.push(i);
        continue;
      }
      actions.push({ kind: 'lost', id: i.id });
      if (mel && !policy.replace) held++;
      continue;
    }
    if (!mel) {
      actions.push({ kind: 'stop', id: i.id, reason: 'MEL deleted' });
      continue;
    }
    if (i.state === 'failed') {
      if (input.now !== undefined && input.failedHoldMs && i.updatedAt > input.now - input.failedHoldMs) {
        placed.push(i);
        continue;
      }
      actions.push({ kind: 'stop', id: i.id, reason: `replacing failed instance${i.reason ? `: ${i.reason}` : ''}` });
      continue;
    }
    if (i.generation < mel.generation) {
      if (i.state === 'running' && !mel.stopFirst) outdated.push(i);
      else actions.push({ kind: 'stop', id: i.id, reason: `spec changed (generation ${i.generation} -> ${mel.generation})` });
      continue;
    }
    if (node.draining) {
      draining.push(i);
      continue;
    }
    placed.push(i);
    if (i.state === 'starting') actions.push({ kind: 'deploy', id: i.id });
  }

  if (!mel) {
    if (pending.length) actions.push({ kind: 'drop-pending', ids: pending.map((p) => p.id) });
    return actions;
  }

  const want = Math.max(0, mel.replicas - held);
  if (outdated.length) return [...actions, ...rollingUpdate(mel, want, placed, pending, outdated, input.maxParallel ?? 1)];
  if (placed.length < want) {
    actions.push({ kind: 'place', count: want - placed.length, reuse: pending.map((p) => p.id) });
  } else {
    if (pending.length) actions.push({ kind: 'drop-pending', ids: pending.map((p) => p.id) });
    if (placed.length > want) {
      // newest first: the oldest instances have proven themselves; pending/starting ones go before running ones
      const order = [...placed].sort((a, b) => rank(a) - rank(b) || newestFirst(a, b));
      for (const i of order.slice(0, placed.length - want)) actions.push({ kind: 'stop', id: i.id, reason: `scaled down to ${want}` });
    }
  }

  // drain moves instances only once their replacements run, so capacity never dips
  const runningElsewhere = placed.filter((i) => i.state === 'running').length;
  if (draining.length && runningElsewhere >= want) {
    for (const i of draining) actions.push({ kind: 'stop', id: i.id, reason: 'node draining; replacement running' });
  }
  return actions.filter((a) => !(a.kind === 'place' && a.count === 0));
}

/**
 * A spec change rolls like Nomad's `update` block with max_parallel: at most `maxParallel`
 * new instances are starting at any time, and an old instance stops only once a new one
 * runs in its place, so running capacity never dips below the replica count (it surges by
 * up to maxParallel instead: a node without room for the surge leaves the new one pending).
 */
function rollingUpdate(
  mel: { generation: number },
  want: number,
  fresh: InstanceRecord[],
  pending: InstanceRecord[],
  outdated: InstanceRecord[],
  maxParallel: number,
): Action[] {
  const actions: Action[] = [];
  const freshRunning = fresh.filter((i) => i.state === 'running').length;
  const inFlight = fresh.length - freshRunning + pending.length;
  const toPlace = Math.min(Math.max(0, want - fresh.length), Math.max(0, maxParallel - inFlight + pending.length));
  const reuse = pending.slice(0, toPlace).map((p) => p.id);
  if (toPlace > 0) actions.push({ kind: 'place', count: toPlace, reuse });
  const unneeded = pending.slice(reuse.length);
  if (unneeded.length && fresh.length + toPlace >= want) actions.push({ kind: 'drop-pending', ids: unneeded.map((p) => p.id) });
  // oldest first: they have served longest; stop as many as running replacements cover
  const surplus = outdated.length + freshRunning - want;
  const order = [...outdated].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  for (const i of order.slice(0, Math.max(0, surplus)))
    actions.push({ kind: 'stop', id: i.id, reason: `rolling update to generation ${mel.generation}: replacement running` });
  return actions;
}

/**
 * An instance of a down node still counts while disconnect.lostAfter runs: from the moment it
 * was marked unknown (its updatedAt), or from now for one about to be.
 */
function isAway(i: InstanceRecord, p: DisconnectPolicy, now: number | undefined): boolean {
  if (p.lostAfterMs <= 0) return false;
  if (i.state === 'unknown') return now === undefined || now - i.updatedAt < p.lostAfterMs;
  return i.state === 'running' || i.state === 'starting';
}

function rank(i: InstanceRecord): number {
  return i.state === 'running' ? 1 : 0;
}
