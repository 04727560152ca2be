// decide(): one reconcile pass as a pure function (like a Nomad plan submission). The
// cluster as the core's memory holds it in, an explicit plan out: the records to write or
// delete, the events to log, the instances to deploy or stop. No I/O and no clock of its
// own (time, ids and the scheduler come in), so a plan can be inspected and tested without
// agents. reconciler.ts commits the plan, then dispatch.ts carries out its commands.
import type { InstanceRecord } from '../../store/index.js';
import type { CoreEvent } from '../../bus/events.js';
import { instanceName } from '../instances/spec.js';
import type { ClusterSnapshot, ScheduleFn } from '../scheduler/types.js';
import type { Mel } from '../state.js';
import { disconnectPolicy } from '../mels/disconnect.js';
import { diff, type Action } from './diff.js';
import { applyToSnapshot, type ClusterView } from './snapshot.js';

export interface DecideInput {
  state: ClusterView;
  /**
   * the scheduler's view, built from `state`; placements decided here are added to it. A
   * function is called once, when the first placement needs it (most passes place nothing).
   */
  snapshot: ClusterSnapshot | (() => ClusterSnapshot);
  schedule: ScheduleFn;
  now: number;
  /** how long a freshly failed instance of this MEL keeps its slot */
  holdFor: (mel: string) => number;
  /** a command for this instance is in flight or was sent too recently to repeat */
  busy: (id: string) => boolean;
  newId: () => string;
  /**
   * Most rows one MEL may write or delete (and commands it may issue) in this pass. A MEL
   * may ask for 100,000 replicas: its work is spread over passes (the plan says `more`), so
   * one pass stays small and the other MELs are served in between. Default 1000.
   */
  budget?: number;
  /** most units of work of all MELs together in this pass (default: no limit) */
  passBudget?: number;
  /** MELs are visited from this position on (a pass that runs out of budget leaves the rest to the next, which starts further on) */
  startAt?: number;
  /**
   * Visit only these MELs (those whose instances, spec or nodes changed since the last pass);
   * default: every MEL that has a record or instances. The MELs not finished are in `unfinished`.
   */
  only?: Iterable<string>;
  /** the instances of one MEL, from an index (default: grouped from `state.instances`, which costs a walk over all of them) */
  instancesOf?: (mel: string) => InstanceRecord[];
  /** every MEL that has a record or instances, from an index (default: from the grouping above) */
  melNames?: () => string[];
}

export interface ReconcilePlan {
  /** committed first, in one go */
  writes: InstanceRecord[];
  deletes: string[];
  events: CoreEvent[];
  /** commands, sent only after the commit */
  deploys: string[];
  stops: string[];
  /** new placements in this plan */
  placed: number;
  /** some MEL had more to do than its budget: run another pass soon */
  more: boolean;
  /** the pass budget ran out before every MEL was visited */
  cut: boolean;
  /** MELs visited to the end in this pass, of `mels` */
  completed: number;
  mels: number;
  /** where the next pass should start (the first MEL not visited to the end) */
  resumeAt: number;
  /** MELs this pass did not finish (not reached after the pass budget ran out, or with more left than their own budget) */
  unfinished: string[];
}

const DEFAULT_BUDGET = 1000;

export function decide(input: DecideInput): ReconcilePlan {
  const { state } = input;
  const plan: ReconcilePlan = {
    writes: [],
    deletes: [],
    events: [],
    deploys: [],
    stops: [],
    placed: 0,
    more: false,
    cut: false,
    completed: 0,
    mels: 0,
    resumeAt: 0,
    unfinished: [],
  };
  const budget = Math.max(1, input.budget ?? DEFAULT_BUDGET);
  let groups: Map<string, InstanceRecord[]> | undefined;
  const grouped = () => {
    if (groups) return groups;
    groups = new Map();
    for (const i of state.instances.values()) {
      let g = groups.get(i.mel);
      if (!g) groups.set(i.mel, (g = []));
      g.push(i);
    }
    return groups;
  };
  const instancesOf = input.instancesOf ?? ((mel: string) => grouped().get(mel) ?? []);
  const all = input.only ? [...input.only] : input.melNames ? input.melNames() : [...new Set([...state.mels.keys(), ...grouped().keys()])];
  const from = all.length ? (input.startAt ?? 0) % all.length : 0;
  let total = input.passBudget ?? Infinity;
  plan.mels = all.length;
  let v = 0;
  for (; v < all.length; v++) {
    if (total <= 0) {
      plan.cut = true;
      break;
    }
    const name = all[(from + v) % all.length]!;
    const mel = state.mels.get(name);
    const actions = diff({
      mel: mel && {
        name,
        replicas: mel.spec.replicas,
        generation: mel.generation,
        stopFirst: Object.values(mel.spec.ports ?? {}).some((hostPort) => hostPort !== null),
        disconnect: disconnectPolicy(mel.spec),
      },
      instances: instancesOf(name),
      nodes: state.nodes,
      now: input.now,
      failedHoldMs: input.holdFor(name),
    });
    let left = Math.min(budget, total);
    const start = left;
    let partial = false;
    // whether this MEL, not an earlier one, left work for a later pass
    const moreBefore = plan.more;
    plan.more = false;
    for (const a of actions) {
      if (left <= 0) {
        partial = true;
        break;
      }
      left -= apply(input, a, mel, plan, left);
    }
    total -= start - left;
    if (left <= 0 && start < budget) {
      // the pass budget ran out in this MEL, not its own: the next pass resumes with it
      plan.more ||= moreBefore;
      plan.cut = true;
      break;
    }
    if (partial) plan.more = true;
    if (plan.more) plan.unfinished.push(name);
    plan.more ||= moreBefore;
    plan.completed++;
  }
  for (; v < all.length; v++) plan.unfinished.push(all[(from + v) % all.length]!);
  plan.resumeAt = all.length ? (from + plan.completed) % all.length : 0;
  return plan;
}

/** Applies one action within `left` units of work; returns the units spent. */
function apply(input: DecideInput, a: Action, mel: Mel | undefined, out: ReconcilePlan, left: number): number {
  const { state, now } = input;
  switch (a.kind) {
    case 'lost': {
      const i = state.instances.get(a.id);
      if (!i) return 0;
      const p = disconnectPolicy(mel?.spec);
      const why = !mel || p.replace ? 'replacing' : 'not replaced (disconnect.replace false)';
      out.writes.push({ ...i, state: 'lost', reason: `node ${i.node} down`, updatedAt: now });
      out.events.push({
        type: 'reconcile',
        node: i.node,
        data: { action: 'lost', mel: i.mel, instance: i.id, name: i.name, reason: `node ${i.node} down; ${why}` },
      });
      return 1;
    }
    case 'unknown': {
      const i = state.instances.get(a.id);
      if (!i) return 0;
      const reason = `node ${i.node} down; still counted for disconnect.lostAfter (${disconnectPolicy(mel?.spec).lostAfterMs} ms)`;
      out.writes.push({ ...i, state: 'unknown', reason, updatedAt: now });
      out.events.push({ type: 'reconcile', node: i.node, data: { action: 'unknown', mel: i.mel, instance: i.id, name: i.name, reason } });
      return 1;
    }
    case 'drop-pending':
      if (a.ids.length > left) out.more = true;
      out.deletes.push(...a.ids.slice(0, left));
      return Math.min(left, a.ids.length);
    case 'deploy':
      // a command still in flight costs nothing this pass (thousands wait for their agents while a rollout goes on)
      if (input.busy(a.id)) return 0;
      out.deploys.push(a.id);
      return 1;
    case 'stop': {
      const i = state.instances.get(a.id);
      if (!i) return 0;
      if (i.node === null) {
        out.deletes.push(i.id);
        return 1;
      }
      if (i.desired !== 'stop' || i.state !== 'stopping') {
        out.writes.push({ ...i, desired: 'stop', state: 'stopping', reason: a.reason, updatedAt: now });
        out.events.push({
          type: 'reconcile',
          node: i.node,
          data: { action: 'stop', mel: i.mel, instance: i.id, name: i.name, reason: a.reason },
        });
      }
      if (!input.busy(a.id)) out.stops.push(a.id);
      return 1;
    }
    case 'place':
      return mel ? place(input, a, mel, out, left) : 0;
  }
}

/**
 * Tries to place up to `left` of the `a.count` missing replicas (pending rows first); when
 * some do not fit, the rest of the missing replicas get pending rows too (up to `left` more
 * per pass), so a MEL's pending rows reach its shortfall over a few passes.
 */
function place(input: DecideInput, a: Extract<Action, { kind: 'place' }>, mel: Mel, out: ReconcilePlan, left: number): number {
  const { state, now } = input;
  const spec = mel.spec;
  const attempts = Math.min(a.count, left);
  if (typeof input.snapshot === 'function') input.snapshot = input.snapshot();
  const snapshot = input.snapshot;
  const result = input.schedule(snapshot, {
    mel: { name: mel.name, image: spec.image, resources: spec.resources, placement: spec.placement },
    count: attempts,
  });
  let k = 0;
  for (const p of result.placements) {
    const reuse = a.reuse[k] ? state.instances.get(a.reuse[k]!) : undefined;
    k++;
    const id = reuse?.id ?? input.newId();
    const rec: InstanceRecord = {
      id,
      mel: mel.name,
      node: p.node,
      name: reuse?.name ?? instanceName(mel.name, id),
      generation: mel.generation,
      desired: 'run',
      state: 'starting',
      reason: p.reason,
      ports: [],
      createdAt: reuse?.createdAt ?? now,
      updatedAt: now,
    };
    out.writes.push(rec);
    out.deploys.push(id);
    out.events.push({
      type: 'placement',
      node: p.node,
      data: { mel: mel.name, instance: id, name: rec.name, node: p.node, score: p.score, reason: p.reason },
    });
    applyToSnapshot(snapshot, p.node, mel.name, spec.image, spec.resources);
    out.placed++;
  }
  const reason = result.reason ?? 'not placed';
  const unplaced = attempts - result.placements.length;
  for (let u = 0; u < unplaced; u++) {
    const reuse = a.reuse[k] ? state.instances.get(a.reuse[k]!) : undefined;
    k++;
    if (reuse) {
      if (reuse.reason !== reason) {
        out.writes.push({ ...reuse, reason, generation: mel.generation, updatedAt: now });
        out.events.push({ type: 'reconcile', node: null, data: { action: 'pending', mel: mel.name, instance: reuse.id, reason } });
      }
      continue;
    }
    newPending(input, mel, reason, out);
  }
  let spent = attempts;
  if (a.count > attempts) {
    if (unplaced === 0) {
      // everything tried fitted: try the rest in the next pass
      out.more = true;
    } else {
      // room ran out: the replicas not tried get pending rows (those that have none yet); once
      // they all have one, another try waits for the next regular pass or a change
      const missing = Math.max(0, a.count - Math.max(a.reuse.length, attempts));
      const add = Math.min(left, missing);
      for (let u = 0; u < add; u++) newPending(input, mel, reason, out);
      spent += add;
      if (missing > add) out.more = true;
    }
  }
  // pending rows beyond the shortfall (replicas scaled down meanwhile)
  const excess = a.reuse.slice(a.count, a.count + left);
  if (a.reuse.length > a.count + left) out.more = true;
  out.deletes.push(...excess);
  return spent + excess.length;
}

function newPending(input: DecideInput, mel: Mel, reason: string, out: ReconcilePlan): void {
  const id = input.newId();
  out.writes.push({
    id,
    mel: mel.name,
    node: null,
    name: instanceName(mel.name, id),
    generation: mel.generation,
    desired: 'run',
    state: 'pending',
    reason,
    ports: [],
    createdAt: input.now,
    updatedAt: input.now,
  });
  out.events.push({ type: 'reconcile', node: null, data: { action: 'pending', mel: mel.name, instance: id, reason } });
}
