// Picks the runtime driver for an agent (src/runtime/index.ts does the construction). Kept
// apart from index.ts so the agent's wiring does not depend on how drivers are built.
import { createRuntime } from '../runtime/index.js';
import type { DriverName } from '../model/index.js';
import type { Runtime } from '../runtime/types.js';

export interface RuntimeChoice {
  driver: DriverName;
  nodeId: string;
  dataDir: string;
  stopGraceSeconds?: number;
  /** address published ports bind to (a cloudlet publishes where devices reach it) */
  hostIp?: string;
  /** docker: guest stats from cgroup files when reachable (`auto`) or always from the engine */
  guestStats?: 'auto' | 'engine';
}

export function openRuntime(c: RuntimeChoice): Promise<Runtime> {
  return createRuntime(c.driver, {
    nodeId: c.nodeId,
    dataDir: c.dataDir,
    ...(c.stopGraceSeconds !== undefined ? { stopGraceSeconds: c.stopGraceSeconds } : {}),
    ...(c.hostIp !== undefined ? { hostIp: c.hostIp } : {}),
    ...(c.guestStats ? { guestStats: c.guestStats } : {}),
  });
}
