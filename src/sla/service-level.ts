// A guarantee term's CustomServiceLevel: JSON text carried inside the WS-Agreement document,
//   {"constraint": "ResponseTime LT 0.5", "policies": [{"count": 3, "interval": 60}]}
//   {"constraint": "qosConstraint_c1_Violated NOT_EXISTS", "qos": {"hasMaxValue": 2.0}}
// `policies` (Atos): a violation when `count` breaches fall within `interval` (seconds or an
// ISO 8601 duration); none = every breach is a violation. `qos` (E.6) is informative: the
// bound the monitoring rule checks. `window` (osmo) is the averaging window of an `avg…` KPI.
// A bare constraint (no JSON) is accepted too.
// osmo's extension (binding.ts): `source` (what osmo measures for the KPI), `mel` (which MEL;
// default the term's scope, then the agreement's Service), `actions` (compensating actions
// on a violation) and `cooldown` (seconds or ISO 8601 between two actions of the term).
import { z } from 'zod';
import { invalid } from '../shared/errors.js';
import { parseConstraint, type Constraint } from './constraint.js';
import { durationMs } from './duration.js';
import { SourceWire, readActions, readSource, type Action, type Source } from './binding.js';

export interface Policy {
  count: number;
  intervalMs: number;
  /** as written, for the violation's `policy` field */
  interval: string;
}

export interface ServiceLevel {
  constraint: Constraint;
  policies: Policy[];
  qos?: Record<string, unknown>;
  windowMs?: number;
  source?: Source;
  mel?: string;
  actions: Action[];
  cooldownMs: number;
}

/** Default pause between two compensating actions of one term. */
export const DEFAULT_COOLDOWN_MS = 60_000;

const Duration = z.union([z.number().positive(), z.string().min(1)]);
const PolicyWire = z.object({ count: z.number().int().min(1), interval: Duration });
const Wire = z.object({
  constraint: z.string({ error: 'a "constraint" string is required' }),
  policies: z
    .union([PolicyWire, z.array(PolicyWire)])
    .optional()
    .nullable(),
  qos: z.record(z.string(), z.unknown()).optional().nullable(),
  window: Duration.optional().nullable(),
  source: SourceWire.optional().nullable(),
  mel: z.string().min(1).optional().nullable(),
  actions: z.array(z.unknown()).optional().nullable(),
  cooldown: Duration.optional().nullable(),
});

/** Parses a CustomServiceLevel; throws an `invalid` OsmoError (constraint errors carry a position). */
export function parseServiceLevel(text: string): ServiceLevel {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { constraint: parseConstraint(trimmed), policies: [], actions: [], cooldownMs: DEFAULT_COOLDOWN_MS };
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed);
  } catch (e) {
    throw invalid(`CustomServiceLevel is not JSON: ${(e as Error).message}`);
  }
  const r = Wire.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw invalid(`CustomServiceLevel: ${first?.path.join('.') || 'body'}: ${first?.message ?? 'invalid'}`);
  }
  const w = r.data;
  const list = w.policies == null ? [] : Array.isArray(w.policies) ? w.policies : [w.policies];
  const out: ServiceLevel = {
    constraint: parseConstraint(w.constraint),
    policies: list.map((p) => ({ count: p.count, intervalMs: durationMs(p.interval), interval: String(p.interval) })),
    actions: readActions(w.actions ?? []),
    cooldownMs: w.cooldown == null ? DEFAULT_COOLDOWN_MS : durationMs(w.cooldown),
  };
  if (w.source != null) out.source = readSource(w.source);
  if (w.mel != null) out.mel = w.mel;
  if (w.qos) out.qos = w.qos;
  if (w.window != null) out.windowMs = durationMs(w.window);
  return out;
}
