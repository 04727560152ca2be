// Picks the runtime driver for an agent. Kept apart from index.ts so the agent's wiring does
// not depend on how drivers are constructed.
import type { DriverName, Runtime } from '../runtime/types.js';
import { DockerRuntime } from '../runtime/docker.js';

export interface RuntimeChoice {
  driver: DriverName;
  nodeId: string;
  dataDir: string;
  stopGraceSeconds?: number;
}

export async function openRuntime(c: RuntimeChoice): Promise<Runtime> {
  if (c.driver === 'docker') {
    return new DockerRuntime({ nodeId: c.nodeId, ...(c.stopGraceSeconds !== undefined ? { stopGraceSeconds: c.stopGraceSeconds } : {}) });
  }
  const mod = '../runtime/index.js';
  const m = (await import(mod)) as { createRuntime: (d: DriverName, o: Record<string, unknown>) => Runtime | Promise<Runtime> };
  return m.createRuntime(c.driver, { nodeId: c.nodeId, dataDir: c.dataDir });
}
