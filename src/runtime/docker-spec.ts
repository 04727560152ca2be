// DeploySpec -> Docker Engine "create container" body, with the Docker SDK's meanings for
// ports and volumes. Pure: no engine calls, so every rule here is unit-testable.
import type { ContainerCreateOptions } from 'dockerode';
import { invalid } from '../shared/errors.js';
import { LABEL_NAME, LABEL_NODE, type DeploySpec, type PortMap, type VolumeMap } from './types.js';

/** Docker's own rule for container names (daemon/names.go), without the optional leading slash. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** A named volume (not a path): same alphabet as container names. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PORT_KEY = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

export function assertContainerName(name: string): void {
  if (!CONTAINER_NAME.test(name)) {
    throw invalid(`name "${name}" is not a valid container name: use [a-zA-Z0-9][a-zA-Z0-9_.-]+ (at least 2 characters)`, {
      field: 'name',
    });
  }
}

/** "80" -> "80/tcp"; "53/udp" stays. Throws invalid on anything else. */
export function normalisePortKey(key: string): { key: string; port: number; protocol: 'tcp' | 'udp' | 'sctp' } {
  const m = PORT_KEY.exec(key.trim());
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw invalid(`ports: key "${key}" is not a container port like "80/tcp", "80" or "53/udp"`, { field: 'ports' });
  }
  const protocol = (m[2] ?? 'tcp') as 'tcp' | 'udp' | 'sctp';
  return { key: `${port}/${protocol}`, port, protocol };
}

export function portBindings(ports: PortMap, hostIp: string) {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const [rawKey, hostPort] of Object.entries(ports)) {
    const { key } = normalisePortKey(rawKey);
    if (hostPort !== null && (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535)) {
      throw invalid(`ports: host port for "${rawKey}" must be an integer 1-65535 or null (any free port)`, { field: 'ports' });
    }
    exposed[key] = {};
    // HostPort "" asks the engine for any free port.
    bindings[key] = [{ HostIp: hostIp, HostPort: hostPort === null ? '' : String(hostPort) }];
  }
  return { exposed, bindings };
}

/** Host path (absolute) or named volume -> "src:dst:mode" bind strings, as docker run -v. */
export function volumeBinds(volumes: VolumeMap): string[] {
  return Object.entries(volumes).map(([source, { bind, mode }]) => {
    if (!source.startsWith('/') && !VOLUME_NAME.test(source)) {
      throw invalid(`volumes: "${source}" is neither an absolute host path nor a volume name`, { field: 'volumes' });
    }
    if (!bind.startsWith('/')) {
      throw invalid(`volumes: bind "${bind}" for "${source}" must be an absolute path inside the container`, {
        field: 'volumes',
      });
    }
    if (mode !== 'rw' && mode !== 'ro') throw invalid(`volumes: mode for "${source}" must be "rw" or "ro"`, { field: 'volumes' });
    if ([source, bind].some((p) => p.includes(':'))) {
      throw invalid(`volumes: "${source}" -> "${bind}" must not contain ":"`, { field: 'volumes' });
    }
    return `${source}:${bind}:${mode}`;
  });
}

/** NUL cannot cross exec(2) or the engine's JSON into argv/env; say so instead of failing deep inside. */
export function assertNoNul(spec: Pick<DeploySpec, 'command' | 'env'>): void {
  if (spec.command?.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw invalid('command: every argument must be a string without NUL bytes', { field: 'command' });
  }
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    if (!k || k.includes('=') || k.includes('\0') || typeof v !== 'string' || v.includes('\0')) {
      throw invalid(`env: "${k.replace(/\0/g, '\\0')}" must be a name without "=" or NUL, with a string value without NUL`, {
        field: 'env',
      });
    }
  }
}

export function createOptions(spec: DeploySpec, nodeId: string, hostIp: string): ContainerCreateOptions {
  assertContainerName(spec.name);
  assertNoNul(spec);
  const { exposed, bindings } = portBindings(spec.ports ?? {}, hostIp);
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const cpus = spec.resources?.cpus;
  const mem = spec.resources?.memoryBytes;
  if (cpus !== undefined && !(cpus > 0)) throw invalid('resources.cpus must be > 0', { field: 'resources' });
  if (mem !== undefined && !(Number.isInteger(mem) && mem >= 6 * 1024 * 1024)) {
    throw invalid('resources.memoryBytes must be an integer >= 6 MiB (the engine minimum)', { field: 'resources' });
  }
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command && spec.command.length > 0 ? { Cmd: spec.command } : {}),
    ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
    Env: env,
    // The node/name labels come last so spec.labels cannot forge another node's ownership.
    Labels: { ...(spec.labels ?? {}), [LABEL_NODE]: nodeId, [LABEL_NAME]: spec.name },
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Binds: volumeBinds(spec.volumes ?? {}),
      Privileged: spec.privileged === true,
      ...(cpus !== undefined ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
      ...(mem !== undefined ? { Memory: mem } : {}),
      // No engine restarts: the core reconciles desired vs actual state, and an engine that
      // restarts behind its back would hide crashes from it (see README.md).
      RestartPolicy: { Name: 'no' },
    },
  };
}

/** "redis" -> "redis:latest"; digests and explicit tags are kept. Used to compare image references. */
export function normaliseImageRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}
