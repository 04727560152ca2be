// What the modules of a core share. `CoreBase` exists before any module starts; every
// other field is the service of the module with that name (src/core/module.ts), present
// once that module has started. A module sees only the fields of the modules it declares
// in `deps` (its `start` and its routes are typed with `ModuleContext<deps>`).
import type { Store, StoreLocation } from '../store/index.js';
import type { LeaderLease } from '../store/dialects/postgres/lease.js';
import type { CloudletService } from './cloudlets/service.js';
import type { AgentClient } from './agents/client.js';
import type { Ingest } from './agents/service.js';
import type { InstanceService } from './instances/service.js';
import type { EventLog } from './events/service.js';
import type { MelService } from './mels/service.js';
import type { CoreMetrics } from './metrics/service.js';
import type { PolicyEngine } from './migration/service.js';
import type { PolicyState } from './migration/policy-state.js';
import type { Registry, LivenessOptions } from './nodes/service.js';
import type { SlaService } from './sla/service.js';
import type { PlanService } from './planner/service.js';
import type { PolicyService } from './policies/service.js';
import type { ReconcilerOptions } from './reconciler/options.js';
import type { Reconciler } from './reconciler/reconciler.js';
import type { ScheduleFn } from './scheduler/types.js';
import type { Security } from './security/service.js';
import type { ClusterState } from './state.js';
import type { TlsFiles } from '../shared/tls.js';
import type { CoreCa } from './security/ca.js';
import type { BusOptions } from '../bus/nats/connect.js';
import type { CoreBus } from './bus/service.js';
import type { Idempotency } from './idempotency/service.js';

export interface CoreConfig {
  listen: { host: string; port: number };
  dataDir: string;
  /** where the store lives: `<dataDir>/osmo.db` unless `--store` / OSMO_STORE says otherwise */
  store: StoreLocation;
  /** client API without a token (loopback listen addresses only; agent endpoints always need it) */
  openClientApi: boolean;
  liveness: LivenessOptions;
  reconciler: ReconcilerOptions;
  /** Node's default process metrics in /metrics */
  processMetrics: boolean;
  /** PEM certificate and key: the API is HTTPS only */
  tls?: TlsFiles;
  /** the core's own CA (HTTPS off loopback without --tls-cert): it made `tls`, signs agents' certificates */
  ca?: CoreCa;
  /** the NATS bus (--bus): agents on it, the event stream */
  bus?: BusOptions;
  /** replicas of the event stream when this core creates it */
  busReplicas?: number;
  /** HOST:PORT where the other cores reach this one (several cores on PostgreSQL); default: the listen address */
  advertise?: string;
}

/** This core's hold on the leader lease, with a PostgreSQL store (src/core/leadership.ts). */
export interface Leadership {
  lease: LeaderLease;
  holder: string;
  /** stops serving as a follower (forwarding) so the leader's own API can take the port */
  releasePort(): Promise<void>;
  /** fence the store's writes with the lease's term, and follow it as it changes */
  fenceWith(store: Store, onLost: (why: string) => void): void;
  stop(): Promise<void>;
}

export interface CoreBase {
  config: CoreConfig;
  token: string;
  /** present when the store is PostgreSQL: this core leads (src/core/leadership.ts) */
  leadership?: Leadership;
}

/** Service of each module, under the module's name. */
export interface CoreServices {
  store: Store;
  bus: CoreBus;
  state: ClusterState;
  security: Security;
  events: EventLog;
  metrics: CoreMetrics;
  agents: AgentClient;
  policies: PolicyService;
  policyState: PolicyState;
  scheduler: ScheduleFn;
  reconciler: Reconciler;
  nodes: Registry;
  ingest: Ingest;
  mels: MelService;
  instances: InstanceService;
  engine: PolicyEngine;
  plans: PlanService;
  sla: SlaService;
  cloudlets: CloudletService;
  idempotency: Idempotency;
}

export type ServiceName = keyof CoreServices;

/** What a module with dependencies `D` may use. */
export type ModuleContext<D extends ServiceName = never> = CoreBase & Pick<CoreServices, D>;

/** A running core: every service. */
export type CoreContext = CoreBase & CoreServices;
