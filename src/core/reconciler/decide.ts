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
import { diff, type Action } from './diff.js';
import { applyToSnapshot, type ClusterView } from './snapshot.js';

export interface DecideInput {
  state: ClusterView;
  /** the scheduler's view, built from `state`; placements decided here are added to it */
  snapshot: ClusterSnapshot;
  schedule: ScheduleFn;
  now: number;
  /** how long a freshly failed instance of this MEL keeps its slot */
  holdFor: (mel: string) => number;
  /** a command for this instance is in flight or was sent too recently to repeat */
  busy: (id: string) => boolean;
  newId: () => string;
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
}

export function decide(input: DecideInput): ReconcilePlan {
  const { state } = input;
  const plan: ReconcilePlan = { writes: [], deletes: [], events: [], deploys: [], stops: [], placed: 0 };
  const groups = new Map<string, InstanceRecord[]>();
  for (const i of state.instances.values()) {
    let g = groups.get(i.mel);
    if (!g) groups.set(i.mel, (g = []));
    g.push(i);
  }
  const names = new Set([...state.mels.keys(), ...groups.keys()]);
  for (const name of names) {
    const mel = state.mels.get(name);
    const actions = diff({
      mel: mel && {
        name,
        replicas: mel.spec.replicas,
        generation: mel.generation,
        stopFirst: Object.values(mel.spec.ports ?? {}).some((hostPort) => hostPort !== null),
      },
      instances: groups.get(name) ?? [],
      nodes: state.nodes,
      now: input.now,
      failedHoldMs: input.holdFor(name),
    });
    for (const a of actions) apply(input, a, mel, plan);
  }
  return plan;
}

function apply(input: DecideInput, a: Action, mel: Mel | undefined, out: ReconcilePlan): void {
  const { state, now } = input;
  switch (a.kind) {
    case 'lost': {
      const i = state.instances.get(a.id);
      if (!i) return;
      out.writes.push({ ...i, state: 'lost', reason: `node ${i.node} down`, updatedAt: now });
      out.events.push({
        type: 'reconcile',
        node: i.node,
        data: { action: 'lost', mel: i.mel, instance: i.id, name: i.name, reason: `node ${i.node} down; replacing` },
      });
      return;
    }
    case 'drop-pending':
      out.deletes.push(...a.ids);
      return;
    case 'deploy':
      if (!input.busy(a.id)) out.deploys.push(a.id);
      return;
    case 'stop': {
      const i = state.instances.get(a.id);
      if (!i) return;
      if (i.node === null) {
        out.deletes.push(i.id);
        return;
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
      return;
    }
    case 'place':
      if (mel) place(input, a, mel, out);
      return;
  }
}

function place(input: DecideInput, a: Extract<Action, { kind: 'place' }>, mel: Mel, out: ReconcilePlan): void {
  const { state, now } = input;
  const spec = mel.spec;
  const result = input.schedule(input.snapshot, {
    mel: { name: mel.name, image: spec.image, resources: spec.resources, placement: spec.placement },
    count: a.count,
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
    applyToSnapshot(input.snapshot, p.node, mel.name, spec.image, spec.resources);
    out.placed++;
  }
  const reason = result.reason ?? 'not placed';
  const unplaced = a.count - result.placements.length;
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
      createdAt: now,
      updatedAt: now,
    });
    out.events.push({ type: 'reconcile', node: null, data: { action: 'pending', mel: mel.name, instance: id, reason } });
  }
  // reused pending rows beyond what this pass needed
  for (; k < a.reuse.length; k++) out.deletes.push(a.reuse[k]!);
}
