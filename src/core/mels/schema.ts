// Route-side pieces of the MEL context: the scale body and the template rule. The MEL
// schemas themselves are domain types in src/model/mel.ts.
import { z } from 'zod';
import type { MelSpec } from '../../model/mel.js';

export const ScaleBody = z.object({ replicas: z.number().int().min(0).max(100_000) }).strict();

/** Fields whose change means running instances no longer match the spec. */
export function sameTemplate(a: MelSpec, b: MelSpec): boolean {
  const pick = (m: MelSpec) => JSON.stringify([m.image, m.command, m.ports, m.volumes, m.env, m.privileged, m.resources]);
  return pick(a) === pick(b);
}
