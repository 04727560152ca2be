// Every event of the system, in one place: what agents produce (agent -> core) and what
// the core logs itself, and the envelope both have in the core's log and on its stream
// (core -> CLI, dashboard). Zod schemas are the single source: TypeScript types are
// inferred from them, the core validates incoming batches and documents its event
// stream with them.
import { z } from 'zod';
import { ContainerState, InstanceState, MoveKind } from '../model/instance.js';
import { Field, MetricName, SampleSource } from '../model/metric.js';
import { NodeLayer, NodeStatus } from '../model/node.js';

const base = {
  /** producer-local, strictly increasing; the receiver drops seq <= last seen */
  seq: z.number().int().nonnegative(),
  /** node id of the producer */
  node: z.string().min(1),
  /** ms since epoch */
  ts: z.number(),
};

export const SampleEvent = z.object({
  ...base,
  type: z.literal('sample'),
  source: SampleSource,
  /** "host", or the instance name for guest samples */
  target: z.string(),
  metric: MetricName,
  /** flat names, e.g. "total", "core0", "eth0.rx_bytes", "used", "/.used" */
  fields: z.record(z.string(), Field),
});
export type SampleEvent = z.infer<typeof SampleEvent>;

/** One run of a probe (agent: PUT /api/v1/probe/{id}): an HTTP GET or a TCP dial of a target. */
export const ProbeEvent = z.object({
  ...base,
  type: z.literal('probe'),
  /** the probe's id, as the one who put it chose */
  id: z.string(),
  kind: z.enum(['http', 'tcp']),
  /** the instance name, or host:port */
  target: z.string(),
  /** up (1/0), latency (ms), status (HTTP code, 0 without an answer) */
  fields: z.record(z.string(), Field),
});
export type ProbeEvent = z.infer<typeof ProbeEvent>;

export const InstanceEvent = z.object({
  ...base,
  type: z.literal('instance'),
  name: z.string(),
  image: z.string().optional(),
  state: ContainerState,
  reason: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type InstanceEvent = z.infer<typeof InstanceEvent>;

export const PullEvent = z.object({
  ...base,
  type: z.literal('pull'),
  image: z.string(),
  status: z.string(),
  current: z.number().optional(),
  total: z.number().optional(),
});
export type PullEvent = z.infer<typeof PullEvent>;

export const MonitorEvent = z.object({
  ...base,
  type: z.literal('monitor'),
  metric: MetricName,
  source: SampleSource,
  action: z.enum(['started', 'retimed', 'stopped']),
  period: z.number().optional(),
});
export type MonitorEvent = z.infer<typeof MonitorEvent>;

/** A value an edge sensor's pipe delivered to one of its publishers on the agent (live only). */
export const SensorValueEvent = z.object({
  ...base,
  type: z.literal('sensor'),
  /** the sensor's id */
  sensor: z.string(),
  channel: z.string(),
  /** the publisher's term (log, udp, webhook) */
  publisher: z.string(),
  value: z.union([z.number(), z.boolean()]),
});
export type SensorValueEvent = z.infer<typeof SensorValueEvent>;

export const AgentEvent = z.discriminatedUnion('type', [SampleEvent, ProbeEvent, InstanceEvent, PullEvent, MonitorEvent, SensorValueEvent]);
export type AgentEvent = z.infer<typeof AgentEvent>;
/** An event before the producer stamps seq/node/ts on it. */
export type AgentEventBody = AgentEvent extends infer E ? (E extends AgentEvent ? Omit<E, 'seq' | 'node' | 'ts'> : never) : never;

// ---- the core's own events: what each one's `data` holds --------------------------------

const Thresholds = z.object({ low: z.number(), high: z.number() });

export const CoreEventData = {
  /** the core started (after loading its store) */
  core: z.object({
    action: z.literal('start'),
    url: z.string(),
    nodes: z.number().int(),
    mels: z.number().int(),
    instances: z.number().int(),
  }),
  /** a node joined, changed status, was probed on suspicion, cordoned, drained or forgotten */
  node: z.object({
    node: z.string(),
    action: z.enum(['register', 're-register', 'status', 'probe', 'cordon', 'uncordon', 'drain', 'undrain', 'removed', 'revoke']),
    status: NodeStatus.optional(),
    previous: NodeStatus.nullable().optional(),
    reason: z.string().optional(),
    /** how the connect probe on suspicion ended: 'connected', 'timeout' or the error code (ECONNREFUSED: the agent process is gone) */
    probe: z.string().optional(),
    address: z.string().optional(),
    layer: NodeLayer.optional(),
    domain: z.string().optional(),
  }),
  /** a MEL was created, changed, scaled or deleted */
  mel: z.object({
    action: z.enum(['create', 'update', 'scale', 'delete']),
    mel: z.string(),
    replicas: z.number().int().optional(),
    previous: z.number().int().optional(),
    image: z.string().optional(),
    generation: z.number().int().optional(),
  }),
  /** the scheduler placed an instance on a node */
  placement: z.object({ mel: z.string(), instance: z.string(), name: z.string(), node: z.string(), score: z.number(), reason: z.string() }),
  /** what the reconciler did about an instance (or a container it does not know) */
  reconcile: z.object({
    action: z.enum(['lost', 'unknown', 'stop', 'pending', 'adopt', 'remove-orphan']),
    mel: z.string().optional(),
    instance: z.string().optional(),
    name: z.string().optional(),
    reason: z.string(),
  }),
  /** an instance the core tracks reached a new state */
  'instance-state': z.object({
    mel: z.string(),
    instance: z.string(),
    name: z.string(),
    state: InstanceState,
    reason: z.string().optional(),
  }),
  /** the policy document changed (globally or one node's override) */
  policy: z.object({
    scope: z.enum(['global', 'node']),
    node: z.string().optional(),
    changes: z.array(z.object({ name: z.string(), from: z.unknown(), to: z.unknown() })),
    patch: z.record(z.string(), z.unknown()).optional(),
    cleared: z.literal(true).optional(),
  }),
  /** a node crossed its hysteresis thresholds (overloaded, or back to normal) */
  load: z.object({
    node: z.string(),
    overloaded: z.boolean(),
    load: z.number().optional(),
    terms: z.object({ cpu: z.number(), mem: z.number(), io: z.number() }).optional(),
    thresholds: Thresholds,
    reason: z.string(),
  }),
  /** a rebalance decision: move an instance, or hold (and why) */
  rebalance: z.discriminatedUnion('decision', [
    z.object({ decision: z.literal('hold'), node: z.string(), reason: z.string() }),
    z.object({
      decision: z.literal('move'),
      instance: z.string(),
      mel: z.string(),
      from: z.string(),
      to: z.string(),
      kind: MoveKind,
      estimatedLoad: z.number().optional(),
      reason: z.string(),
      policy: z.object({ selection: z.string(), destination: z.string(), thresholds: Thresholds }).optional(),
      loads: z.object({ from: z.number().optional(), to: z.number().optional() }).optional(),
    }),
  ]),
  /**
   * a call that changes something, through the API: who (the token's subject: "join-token",
   * "token:<name>", "node:<id>", "loopback"), what (method, matched route, path) and the answer
   */
  audit: z.object({
    subject: z.string(),
    method: z.string(),
    route: z.string(),
    path: z.string(),
    status: z.number().int(),
  }),
  /** one migration's phases: start, then done or rolled-back */
  migration: z.object({
    mel: z.string(),
    instance: z.string(),
    name: z.string(),
    newInstance: z.string(),
    newName: z.string(),
    from: z.string(),
    to: z.string(),
    kind: MoveKind,
    phase: z.enum(['start', 'done', 'rolled-back']),
    reason: z.string().optional(),
    ms: z.number().optional(),
    health: z.string().optional(),
    error: z.string().optional(),
  }),
  /** the cloudlet catalog, app repository and device-started instances (src/core/cloudlets) */
  cloudlet: z.object({
    action: z.enum([
      'service-put',
      'service-removed',
      'app-added',
      'app-removed',
      'instance-adopted',
      'instance-users',
      'instance-released',
      'instance-moved',
    ]),
    service: z.string().optional(),
    app: z.string().optional(),
    mel: z.string().optional(),
    users: z.number().int().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    reason: z.string().optional(),
  }),
  /** a compensating action of an SLA term, caused by one violation (src/core/sla/actions.ts) */
  sla: z.object({
    agreement: z.string(),
    term: z.string(),
    /** uuid of the violation (GET /sla-service/violations/{uuid}) */
    violation: z.string(),
    action: z.enum(['scale-out', 'migrate', 'replan']),
    mel: z.string(),
    outcome: z.enum(['done', 'skipped', 'failed']),
    reason: z.string(),
    replicas: z.number().int().optional(),
    previous: z.number().int().optional(),
    instance: z.string().optional(),
    to: z.string().optional(),
    /** replan: the new plan (followed from now on) */
    plan: z.string().optional(),
  }),
};
export type CoreEventType = keyof typeof CoreEventData;
export type CoreEventData<K extends CoreEventType> = z.infer<(typeof CoreEventData)[K]>;
/** One event the core logs, before the log stamps origin, ts and id on it. */
export type CoreEvent = { [K in CoreEventType]: { type: K; node: string | null; data: CoreEventData<K> } }[CoreEventType];

// ---- the log's envelope: every event as stored and streamed (GET /api/v1/events) --------

/** the envelope carries these: the stored `data` of an agent event is the rest */
const lifted = { seq: true, node: true, ts: true, type: true } as const;

/** What each event type's `data` holds: an agent event without its envelope fields, or a core event's data. */
export const EventData = {
  sample: SampleEvent.omit(lifted),
  probe: ProbeEvent.omit(lifted),
  instance: InstanceEvent.omit(lifted),
  pull: PullEvent.omit(lifted),
  monitor: MonitorEvent.omit(lifted),
  sensor: SensorValueEvent.omit(lifted),
  ...CoreEventData,
};
export type EventType = keyof typeof EventData;

const envelope = <K extends EventType>(type: K) =>
  z.object({
    /** log id: increasing; negative for live-only events (samples), which are never stored */
    id: z.number(),
    ts: z.number(),
    type: z.literal(type),
    /** "core", or the node id of the agent that produced it */
    origin: z.string(),
    /** the producer's seq for agent events; null for the core's */
    seq: z.number().nullable(),
    node: z.string().nullable(),
    data: EventData[type],
  });

/** Any event of the log or the live stream, discriminated by `type`. */
export const OsmoEvent = z.discriminatedUnion('type', [
  envelope('sample'),
  envelope('probe'),
  envelope('instance'),
  envelope('pull'),
  envelope('monitor'),
  envelope('sensor'),
  envelope('core'),
  envelope('node'),
  envelope('mel'),
  envelope('placement'),
  envelope('reconcile'),
  envelope('instance-state'),
  envelope('policy'),
  envelope('load'),
  envelope('rebalance'),
  envelope('migration'),
  envelope('sla'),
  envelope('cloudlet'),
  envelope('audit'),
]);
export type OsmoEvent = z.infer<typeof OsmoEvent>;
/** An event before the log numbers it. */
export type NewOsmoEvent = OsmoEvent extends infer E ? (E extends OsmoEvent ? Omit<E, 'id'> : never) : never;

// A type added to EventData but not to the union above fails to compile here.
const everyType: [Exclude<EventType, OsmoEvent['type']>] extends [never] ? true : never = true;
void everyType;
