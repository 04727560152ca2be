// Table types for kysely. Columns are what SQLite and PostgreSQL both store plainly:
// text, integers (ms since epoch for time), reals, and JSON kept as text, so a
// PostgreSQL dialect needs no type changes in the repositories.
import type { SampleRow } from './records.js';
import type { Generated } from 'kysely';

export interface NodesTable {
  id: string;
  address: string;
  layer: string;
  domain: string;
  labels: string; // JSON object
  cpus: number;
  memory_bytes: number;
  drivers: string; // JSON array
  version: string;
  status: string;
  schedulable: number; // 0 | 1
  draining: number; // 0 | 1
  acked_seq: number;
  registered_at: number;
  updated_at: number;
  last_heartbeat: number;
}

export interface MelsTable {
  name: string;
  spec: string; // JSON MelSpec
  generation: number;
  created_at: number;
  updated_at: number;
}

export interface InstancesTable {
  id: string;
  mel: string;
  node: string | null;
  name: string;
  generation: number;
  desired: string; // run | stop
  state: string;
  reason: string | null;
  ports: string; // JSON PublishedPort[]
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  /** who produced it: a node id for agent events, "core" for the core's own */
  origin: string;
  /** producer sequence number for agent events (dedupe); null for core events */
  seq: number | null;
  /** the node the event is about, when there is one (filter key) */
  node: string | null;
  type: string;
  ts: number;
  data: string; // JSON
}

/** raw samples are stored exactly as services see them: plain columns, no JSON */
export type SamplesTable = SampleRow;

export interface SamplesMinuteTable {
  bucket: number; // start of the minute, ms
  node: string;
  target: string;
  metric: string;
  field: string;
  avg: number;
  min: number;
  max: number;
  n: number;
  unit: string;
}

export interface KvTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface PlansTable {
  id: string;
  created_at: number;
  /** the planner's PlanResult, JSON */
  body: string;
  /** {mels, provider} while the plan is followed hour by hour, JSON; null otherwise */
  follow: string | null;
}

/** one row (id 1) once a core has led: the current term and who holds it */
export interface CoreLeaderTable {
  id: number;
  term: number;
  holder: string;
  since: number;
}

export interface CloudletServicesTable {
  id: string;
  spec: string; // JSON ServiceSpec
  created_at: number;
  updated_at: number;
}

export interface CloudletAppsTable {
  id: string;
  meta: string; // JSON AppFields (fileName filled in)
  md5: string;
  size: number;
  created_at: number;
}

export interface CloudletInstancesTable {
  /** the MEL made for the instance (one MEL per device-started instance) */
  mel: string;
  service_id: string;
  node: string;
  users: string; // JSON string[] of device ids
  created_at: number;
  updated_at: number;
}

export interface CloudletMessagesTable {
  id: Generated<number>;
  /** the cloudlet whose mailbox holds it (where the device last used the service) */
  node: string;
  device: string;
  service_id: string;
  body: string; // JSON
  created_at: number;
  read_at: number | null;
}

/** one idempotency key of one caller: reserved (status null) while its write runs, then its answer */
export interface IdempotencyKeysTable {
  /** who sent it (src/core/idempotency/service.ts principalId): keys are per caller */
  principal: string;
  key: string;
  method: string;
  /** the URL as sent (path and query) */
  path: string;
  /** sha256 (hex) of the request body */
  fingerprint: string;
  /** the core process that runs (or ran) the write */
  owner: string;
  status: number | null;
  content_type: string | null;
  /** the answer's text; null while running, or when it was not kept (too large, not text) */
  body: string | null;
  created_at: number;
}

export interface Database {
  nodes: NodesTable;
  mels: MelsTable;
  instances: InstancesTable;
  events: EventsTable;
  samples: SamplesTable;
  samples_1m: SamplesMinuteTable;
  kv: KvTable;
  plans: PlansTable;
  core_leader: CoreLeaderTable;
  cloudlet_services: CloudletServicesTable;
  cloudlet_apps: CloudletAppsTable;
  cloudlet_instances: CloudletInstancesTable;
  cloudlet_messages: CloudletMessagesTable;
  idempotency_keys: IdempotencyKeysTable;
}
