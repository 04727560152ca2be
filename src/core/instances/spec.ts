// What an instance is on its agent: a deterministic container name (a core restarted
// mid-deploy re-sends under the same name, so the agent answers 409 and nothing doubles)
// and the deploy spec built from its MEL. Shared by the reconciler and the migrator.
import { LABEL_INSTANCE, LABEL_MEL, LABEL_STOP_AFTER, type DeploySpec } from '../../runtime/types.js';
import { disconnectPolicy } from '../mels/disconnect.js';
import type { InstanceRecord } from '../../store/index.js';
import type { Mel } from '../state.js';

export function instanceName(mel: string, id: string): string {
  return `${mel}-${id.replace(/-/g, '').slice(0, 10)}`;
}

export function deploySpec(i: InstanceRecord, mel: Mel): DeploySpec {
  const s = mel.spec;
  // the agent must know it per instance: it acts on it exactly when it cannot ask the core
  const { stopAfterMs } = disconnectPolicy(s);
  return {
    name: i.name,
    image: s.image,
    ...(s.command ? { command: s.command } : {}),
    ...(s.ports ? { ports: s.ports } : {}),
    ...(s.volumes ? { volumes: s.volumes } : {}),
    privileged: s.privileged,
    ...(s.env ? { env: s.env } : {}),
    labels: {
      [LABEL_MEL]: mel.name,
      [LABEL_INSTANCE]: i.id,
      ...(stopAfterMs !== undefined ? { [LABEL_STOP_AFTER]: String(stopAfterMs) } : {}),
    },
    resources: s.resources,
  };
}
