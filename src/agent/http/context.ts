import type { DriverName, NodeLayer } from '../../model/index.js';
import type { DeployService } from '../deploy/service.js';
import type { MonitorService } from '../monitor/service.js';
import type { ProbeService } from '../monitor/probes.js';
import type { EventProducer } from '../events/producer.js';
import type { AgentMetrics } from '../metrics.js';
import type { EdgeSensors } from '../../sensors/edge-host.js';

/** What the HTTP layer needs from the running agent. */
export interface AgentContext {
  nodeId: string;
  layer: NodeLayer;
  domain: string;
  driver: DriverName;
  deploy: DeployService;
  monitors: MonitorService;
  probes: ProbeService;
  /** edge sensors: OCCI sensors whose pipe runs next to their target, as child processes */
  sensors: EdgeSensors;
  producer: EventProducer;
  metrics: AgentMetrics;
  /** undefined = the API is open (loopback without a configured token) */
  token: string | undefined;
  /** the token the core signs its commands to this node with (issued at registration), accepted beside `token` */
  coreToken?: () => string | undefined;
}
