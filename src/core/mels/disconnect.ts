// A MEL's disconnect policy in milliseconds, with the defaults filled in (absent block =
// the behaviour before the policy existed: lost at once, replaced, the replacement kept).
import type { DisconnectReconcile, MelSpec } from '../../model/index.js';
import { durationMs } from '../../sla/duration.js';

export interface DisconnectPolicy {
  lostAfterMs: number;
  replace: boolean;
  reconcile: DisconnectReconcile;
  /** the agent stops the instances once cut off from the core this long; undefined: never */
  stopAfterMs?: number;
}

export const DEFAULT_DISCONNECT: DisconnectPolicy = { lostAfterMs: 0, replace: true, reconcile: 'keep-replacement' };

const ms = (d: number | string): number => (d === 0 ? 0 : durationMs(d));

export function disconnectPolicy(spec: Pick<MelSpec, 'disconnect'> | undefined): DisconnectPolicy {
  const d = spec?.disconnect;
  if (!d) return DEFAULT_DISCONNECT;
  return {
    lostAfterMs: d.lostAfter === undefined ? 0 : ms(d.lostAfter),
    replace: d.replace ?? true,
    reconcile: d.reconcile ?? 'keep-replacement',
    ...(d.stopAfter !== undefined ? { stopAfterMs: ms(d.stopAfter) } : {}),
  };
}
