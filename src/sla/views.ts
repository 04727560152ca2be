// Stored records as the seed's JSON shapes (E.5.7 violations, E.5.8 penalties). Times are
// written in ISO 8601 UTC without milliseconds: the Atos samples' zone names (`CEST`) are
// not machine-readable, and `begin`/`end` filters read ISO back.
import type { PenaltyRecord, ViolationRecord } from './enforce.js';
import type { PenaltyView, ViolationView } from './model.js';

export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function violationView(v: ViolationRecord): ViolationView {
  const out: ViolationView = {
    uuid: v.uuid,
    datetime: isoSeconds(v.at),
    contract_uuid: v.agreementId,
    service_name: v.serviceName,
    service_scope: v.serviceScope,
    metric_name: v.kpi,
    actual_value: v.actualValue,
    expected_value: v.expectedValue,
    breaches: v.breaches,
  };
  if (v.policy) out.policy = v.policy;
  return out;
}

export function penaltyView(p: PenaltyRecord): PenaltyView {
  return { uuid: p.uuid, datetime: isoSeconds(p.at), definition: p.definition, agreement: p.agreementId };
}
