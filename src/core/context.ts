// Everything a route plugin or a background service of the core may use. Plugins get it
// as an option (`{ ctx }`); nothing else is global.
import type { Store } from '../store/index.js';
import type { AgentClient } from './agents/client.js';
import type { EventLog } from './events/log.js';
import type { MelService } from './mels/service.js';
import type { CoreMetrics } from './metrics.js';
import type { Reconciler } from './reconciler/reconciler.js';
import type { Ingest } from './registry/ingest.js';
import type { Registry } from './registry/registry.js';
import type { ClusterState } from './state.js';

export interface CoreConfig {
  listen: { host: string; port: number };
  dataDir: string;
  /** client API without a token (loopback listen addresses only; agent endpoints always need it) */
  openClientApi: boolean;
}

export interface CoreContext {
  config: CoreConfig;
  token: string;
  store: Store;
  state: ClusterState;
  events: EventLog;
  agents: AgentClient;
  registry: Registry;
  reconciler: Reconciler;
  ingest: Ingest;
  mels: MelService;
  metrics: CoreMetrics;
}
