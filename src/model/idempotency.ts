// The `Idempotency-Key` request header (after Stripe's and the IETF draft
// draft-ietf-httpapi-idempotency-key-header): a client names one logical write, so that a
// retry of it (another core, a lost answer) is answered from the first try instead of acting
// again. The server's side is src/core/idempotency/; the typed client sends one on its POSTs.
import { z } from 'zod';

/** The header's name as it travels (lower case, as node:http hands headers over). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on an answer replayed from the store rather than made again. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/** 1–255 printable ASCII characters (a UUID fits; so does anything a script makes up). */
export const IdempotencyKey = z
  .string()
  .min(1, 'Idempotency-Key must not be empty')
  .max(255, 'Idempotency-Key is at most 255 characters')
  .regex(/^[\x20-\x7e]+$/, 'Idempotency-Key takes printable ASCII only (0x20-0x7e)')
  .describe(
    'names one logical write: a repeat with the same key (same caller, method, path and body) gets the first answer again, marked Idempotent-Replayed: true, instead of acting twice (kept 24 h; docs/production.md)',
  );
