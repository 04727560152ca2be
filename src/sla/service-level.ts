// A guarantee term's CustomServiceLevel: JSON text carried inside the WS-Agreement document,
//   {"constraint": "ResponseTime LT 0.5", "policies": [{"count": 3, "interval": 60}]}
//   {"constraint": "qosConstraint_c1_Violated NOT_EXISTS", "qos": {"hasMaxValue": 2.0}}
// `policies` (Atos): a violation when `count` breaches fall within `interval` (seconds or an
// ISO 8601 duration); none = every breach is a violation. `qos` (E.6) is informative: the
// bound the monitoring rule checks. `window` (osmo) is the averaging window of an `avg…` KPI.
// A bare constraint (no JSON) is accepted too.
import { z } from 'zod';
import { invalid } from '../shared/errors.js';
import { parseConstraint, type Constraint } from './constraint.js';
import { durationMs } from './duration.js';

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
}

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
});

/** Parses a CustomServiceLevel; throws an `invalid` OsmoError (constraint errors carry a position). */
export function parseServiceLevel(text: string): ServiceLevel {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { constraint: parseConstraint(trimmed), policies: [] };
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
  };
  if (w.qos) out.qos = w.qos;
  if (w.window != null) out.windowMs = durationMs(w.window);
  return out;
}
