// Security by default: an agent refuses privileged containers and host-path volumes unless
// its operator opted in with --allow-privileged / --allow-host-volumes. Named volumes are
// always fine (they live in the engine's own storage, not on arbitrary host paths).
import type { DeploySpec } from '../../runtime/types.js';
import { forbidden } from '../../shared/errors.js';

export interface DeployPolicy {
  allowPrivileged: boolean;
  allowHostVolumes: boolean;
}

export const isHostPath = (volumeKey: string): boolean => volumeKey.startsWith('/');

export function checkPolicy(spec: DeploySpec, p: DeployPolicy): void {
  if (spec.privileged && !p.allowPrivileged) {
    throw forbidden('privileged: this agent refuses privileged deployments (start it with --allow-privileged to permit them)');
  }
  const hostPaths = Object.keys(spec.volumes ?? {}).filter(isHostPath);
  if (hostPaths.length > 0 && !p.allowHostVolumes) {
    throw forbidden(
      `volumes: host path ${hostPaths.map((h) => JSON.stringify(h)).join(', ')} refused (start the agent with --allow-host-volumes, or use a named volume)`,
    );
  }
}
