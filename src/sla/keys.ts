// Dedupe keys: the identity of a breach, violation and penalty is derived from what caused it,
// never from when enforcement happened to run. The store keeps each key once (unique index),
// so replaying the same inputs after a core restart adds nothing. Record ids are derived from
// the key for the same reason (a replayed record has the id it had the first time).

/** A breach: one observation of one term's KPI that fails the constraint. */
export const breachKey = (agreementId: string, term: string, at: number, value: number | null): string =>
  `b|${agreementId}|${term}|${at}|${value === null ? 'absent' : String(value)}`;

/** A violation: raised by `trigger` (a breach key) under policy `policy` (-1: the default policy). */
export const violationKey = (policy: number, trigger: string): string => `v|${policy}|${trigger}`;

/** A penalty: definition `penalty` of business value `value`, raised by violation `trigger`. */
export const penaltyKey = (value: number, penalty: number, trigger: string): string => `p|${value}|${penalty}|${trigger}`;

/**
 * A UUID-shaped id derived from a key (two 64-bit FNV-1a hashes over the UTF-16 code units,
 * formatted as an RFC 9562 version-8 UUID). Not cryptographic: it only has to be stable and
 * not collide by accident among one store's records.
 */
export function keyUuid(key: string): string {
  const h1 = fnv1a64(key, 0xcbf29ce484222325n);
  const h2 = fnv1a64(key, 0x84222325cbf29ce4n);
  const hex = (h1.toString(16).padStart(16, '0') + h2.toString(16).padStart(16, '0')).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

const PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;
function fnv1a64(s: string, seed: bigint): bigint {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = (h * PRIME) & MASK;
  }
  return h;
}
