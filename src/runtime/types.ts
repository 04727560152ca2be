// The one small interface every runtime driver implements (Nomad's driver plugin, reduced).
// Agents talk only to this; docker.ts and process.ts sit behind it.
import type { ContainerState, DriverName, PublishedPort, Resources } from '../model/index.js';

/** Container port key as in the Docker SDK: "80/tcp", "53/udp" (a bare "80" means tcp). */
export type PortMap = Record<string, number | null>;
export type VolumeMap = Record<string, { bind: string; mode: 'rw' | 'ro' }>;

export interface DeploySpec {
  name: string;
  image: string;
  /** argv; never a shell string. Absent = the image's default CMD. */
  command?: string[];
  ports?: PortMap;
  volumes?: VolumeMap;
  privileged?: boolean;
  env?: Record<string, string>;
  /** extra labels (the core puts mel / instance ids here); the driver adds node + name labels itself */
  labels?: Record<string, string>;
  resources?: Partial<Resources>;
  /** process driver: working directory */
  workdir?: string;
}

export interface InstanceInfo {
  name: string;
  /** container id, or "proc-<pid>" style id for the process driver */
  id: string;
  driver: DriverName;
  image: string;
  command: string[];
  state: ContainerState;
  /** ISO timestamp */
  createdAt: string;
  startedAt?: string;
  exitCode?: number;
  ports: PublishedPort[];
  labels: Record<string, string>;
  pid?: number;
  restarts?: number;
}

export interface GuestStats {
  name: string;
  ts: number; // ms since epoch
  cpuPercent: number; // of one core = 100
  memUsageBytes: number;
  memLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  blkReadBytes: number;
  blkWriteBytes: number;
}

export interface PullProgress {
  image: string;
  status: string;
  id?: string;
  current?: number;
  total?: number;
}

/** A health check the agent runs for one of its instances (POST /api/v1/deploy/{name}/check). */
export type HealthCheckSpec =
  /** the instance's container port, dialled where this host publishes it */
  | { kind: 'tcp'; port: number }
  /** argv run inside the instance (never a shell string); healthy when it exits 0 within timeoutMs */
  | { kind: 'command'; argv: string[]; timeoutMs?: number };

export interface HealthResult {
  healthy: boolean;
  /** what was tried and what came back, e.g. "tcp 80 -> 127.0.0.1:32768" or "exit 1: <output>" */
  detail: string;
}

/** One lane of engine calls (docker-engine.ts). */
export interface LaneLoad {
  /** calls holding a slot (= a socket) */
  active: number;
  /** calls waiting for one */
  queued: number;
  max: number;
}

/** What a driver has in flight at its engine: short calls and streams. */
export interface EngineLoad {
  short: LaneLoad;
  stream: LaneLoad;
}

export type InstanceChange = { name: string; state: ContainerState; info?: InstanceInfo; reason?: string };

export interface Runtime {
  readonly driver: DriverName;
  /** node id this driver manages; only instances labelled with it are visible */
  readonly nodeId: string;
  /** Pull if absent, create and start. Name taken -> OsmoError('conflict'). */
  deploy(spec: DeploySpec, onProgress?: (p: PullProgress) => void): Promise<InstanceInfo>;
  /** Stop and remove. Unknown -> OsmoError('not_found'). Removes `image` too unless still used. */
  remove(name: string, opts?: { image?: string; removeImage?: boolean }): Promise<{ imageRemoved: boolean }>;
  list(): Promise<InstanceInfo[]>;
  get(name: string): Promise<InstanceInfo | undefined>;
  /**
   * The newest usage reading of a running instance: read on the call (process) or the
   * engine's latest, at most about a second old (docker). Not running -> 'conflict'.
   */
  stats(name: string): Promise<GuestStats>;
  /** Is the image present locally (for prefer-known-destination)? */
  hasImage(image: string): Promise<boolean>;
  /** Instance state changes (die, restart, oom) as they happen. Returns an unsubscribe. */
  watch(listener: (c: InstanceChange) => void): () => void;
  close(): Promise<void>;
  /** Runs one health check of an instance. Unknown -> OsmoError('not_found'); a stopped instance is unhealthy. */
  check?(name: string, check: HealthCheckSpec): Promise<HealthResult>;
  /** Newest output of an instance, stdout and stderr interleaved, at most `maxBytes` (default 1 MiB). Unknown -> OsmoError('not_found'). */
  logs?(name: string, opts?: { maxBytes?: number }): Promise<string>;
  /** Engine calls in flight and waiting, by lane (docker: see docker-engine.ts); absent for drivers with no engine. */
  engineLoad?(): EngineLoad;
}

/** Labels every driver puts on what it runs. */
export const LABEL_NODE = 'io.osmo.node';
export const LABEL_NAME = 'io.osmo.name';
export const LABEL_MEL = 'io.osmo.mel';
export const LABEL_INSTANCE = 'io.osmo.instance';
/** ms: the agent stops this instance once it has not reached the core for this long (a MEL's disconnect.stopAfter) */
export const LABEL_STOP_AFTER = 'io.osmo.stop-after-ms';
