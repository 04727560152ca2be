// One way in: the agent asks for a driver by name and gets a Runtime.
import { join } from 'node:path';
import { invalid } from '../shared/errors.js';
import { DockerRuntime, type GuestStatsSource } from './docker.js';
import type { DriverName } from '../model/index.js';
import type { Runtime } from './types.js';

export interface RuntimeOptions {
  nodeId: string;
  /** The agent's data dir; the process driver keeps its instance table and work dirs under it. */
  dataDir: string;
  /** docker: address published ports bind to (default 127.0.0.1). */
  hostIp?: string;
  /** Seconds between SIGTERM and SIGKILL on remove (default 10). */
  stopGraceSeconds?: number;
  /** docker: where guest stats come from (DockerRuntimeOptions.guestStats). */
  guestStats?: GuestStatsSource;
}

export async function createRuntime(driver: DriverName | string, opts: RuntimeOptions): Promise<Runtime> {
  switch (driver) {
    case 'docker':
      return new DockerRuntime({
        nodeId: opts.nodeId,
        ...(opts.hostIp !== undefined ? { hostIp: opts.hostIp } : {}),
        ...(opts.stopGraceSeconds !== undefined ? { stopGraceSeconds: opts.stopGraceSeconds } : {}),
        ...(opts.guestStats ? { guestStats: opts.guestStats } : {}),
      });
    case 'process': {
      const { ProcessRuntime } = await import('./process.js');
      return ProcessRuntime.open({
        nodeId: opts.nodeId,
        dir: join(opts.dataDir, 'process-runtime'),
        ...(opts.stopGraceSeconds !== undefined ? { stopGraceSeconds: opts.stopGraceSeconds } : {}),
      });
    }
    default:
      throw invalid(`unknown runtime driver "${driver}": use docker or process`, { field: 'driver' });
  }
}

export * from './types.js';
