// Container inspect JSON -> InstanceInfo. Pure.
import type { ContainerInspectInfo } from 'dockerode';
import type { ContainerState, PublishedPort } from '../model/index.js';
import type { InstanceInfo } from './types.js';

export function mapState(st: ContainerInspectInfo['State']): ContainerState {
  if (st.Restarting) return 'restarting';
  switch (st.Status) {
    case 'running':
    case 'paused': // still holds its resources and ports; the core sees it as placed
      return 'running';
    case 'created':
      return 'created';
    case 'restarting':
      return 'restarting';
    case 'removing':
      return 'removed';
    case 'dead':
      return 'failed';
    default:
      return st.OOMKilled || (st.ExitCode !== 0 && st.Error) ? 'failed' : 'exited';
  }
}

export function publishedPorts(ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | undefined): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, binds] of Object.entries(ports ?? {})) {
    const [p, proto] = key.split('/');
    for (const b of binds ?? []) {
      // Engines with IPv6 enabled report each port twice (0.0.0.0 and ::); keep one per family.
      out.push({
        containerPort: Number(p),
        protocol: proto === 'udp' ? 'udp' : 'tcp',
        hostIp: b.HostIp,
        hostPort: Number(b.HostPort),
      });
    }
  }
  return out;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function toInstanceInfo(c: ContainerInspectInfo): InstanceInfo {
  const running = c.State.Running || c.State.Paused || c.State.Restarting;
  return {
    name: c.Name.replace(/^\//, ''),
    id: c.Id,
    driver: 'docker',
    image: c.Config.Image,
    command: [c.Path, ...c.Args].filter((a) => a !== ''),
    state: mapState(c.State),
    createdAt: c.Created,
    ...(c.State.StartedAt && c.State.StartedAt !== ZERO_TIME ? { startedAt: c.State.StartedAt } : {}),
    ...(!running && c.State.StartedAt !== ZERO_TIME ? { exitCode: c.State.ExitCode } : {}),
    ports: publishedPorts(c.NetworkSettings.Ports),
    labels: c.Config.Labels ?? {},
    ...(c.State.Pid ? { pid: c.State.Pid } : {}),
    restarts: c.RestartCount,
  };
}
