// The shapes the dashboard reads from the core's REST API (/openapi.json is the
// reference): the API's types come from src/client, the agent-side event types straight
// from the shared zod contract (type-only imports: nothing of zod reaches the bundle).
// Fields the core may add later are optional here so an older or newer core still renders.
import type { OsmoEvent } from '../../../src/bus/events.js';
import type { MetricName, NodeLayer } from '../../../src/model/index.js';
import type { Instance as InstanceView, Mel as MelView, MelSpecInput, Node as NodeView } from '../../../src/client/views.js';

export type { MetricName, NodeLayer, OsmoEvent };

/** The core reports the node's host CPU and memory percentages; the policy engine may add
 * the load factor L itself (then the dashboard shows it instead of its own estimate). */
export type NodeLoad = NodeView['load'] & { factor?: number; overloaded?: boolean };

export type OsmoNode = Omit<NodeView, 'load'> & { load: NodeLoad | number | null };

export type Mel = MelView;
export type Instance = InstanceView;

/** What the deploy form sends: POST /api/v1/mels (defaults filled in by the core). */
export type MelSpec = MelSpecInput;

type EnvelopeKey = 'id' | 'ts' | 'type' | 'origin' | 'seq' | 'node';
/** Omit on each member of a union (the plain one keeps only the keys all members share). */
type EachOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The core's event with its `data` lifted beside the envelope, as parseData delivers it.
 * Every field is optional and unknown ones are kept: an older or newer core still renders. */
type Lifted<E> = E extends OsmoEvent
  ? { type: E['type'] } & Partial<Omit<E, 'data' | 'type'>> & Partial<EachOmit<E['data'], EnvelopeKey>> & { [k: string]: unknown }
  : never;

/** An event of a type this dashboard knows: `switch (e.type)` narrows it to its fields. */
export type KnownStreamEvent = Lifted<OsmoEvent>;
/** An event of a type this dashboard does not know yet (a newer core). */
export interface OtherStreamEvent {
  type: string;
  id?: number;
  ts?: number;
  origin?: string;
  seq?: number | null;
  node?: string | null;
  [k: string]: unknown;
}
/** One event of the core's stream (GET /api/v1/events). */
export type StreamEvent = KnownStreamEvent | OtherStreamEvent;

const KNOWN: Record<OsmoEvent['type'], true> = {
  sample: true,
  probe: true,
  instance: true,
  pull: true,
  monitor: true,
  sensor: true,
  core: true,
  node: true,
  mel: true,
  placement: true,
  reconcile: true,
  'instance-state': true,
  policy: true,
  load: true,
  rebalance: true,
  sla: true,
  cloudlet: true,
  audit: true,
  migration: true,
};

/** Whether this dashboard knows the event's type (and so its fields). */
export function isKnown(e: StreamEvent): e is KnownStreamEvent {
  return Object.hasOwn(KNOWN, e.type);
}

export interface MetricPoint {
  ts: number;
  value: number;
}

export interface MetricSeries {
  node?: string;
  target?: string;
  metric?: string;
  field: string;
  unit?: string;
  points: MetricPoint[];
}

/** A run-time policy parameter (M.A.E.A.I. management attribute). */
export interface PolicyParam {
  name: string;
  value: number | string | boolean;
  description?: string;
  min?: number;
  max?: number;
  step?: number;
  options?: string[];
  unit?: string;
  group?: string;
}
