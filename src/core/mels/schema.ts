// Route-side pieces of the MEL context: the scale body and the template rule. The MEL
// schemas themselves are domain types in src/model/mel.ts.
import { z } from 'zod';
import type { MelSpec } from '../../model/mel.js';
import { disconnectPolicy } from './disconnect.js';

export const ScaleBody = z.object({ replicas: z.number().int().min(0).max(100_000) }).strict();

/**
 * Fields whose change means running instances no longer match the spec. disconnect.stopAfter
 * is one: each instance carries it to its agent (a label), which must act on it while cut off.
 */
export function sameTemplate(a: MelSpec, b: MelSpec): boolean {
  const pick = (m: MelSpec) =>
    JSON.stringify([m.image, m.command, m.ports, m.volumes, m.env, m.privileged, m.resources, disconnectPolicy(m).stopAfterMs]);
  return pick(a) === pick(b);
}
