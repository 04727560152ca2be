// The pure part of idempotency keys: what a request's fingerprint is, which answers are
// kept, and what a request that finds its key already taken is answered.
import { createHash } from 'node:crypto';
import type { IdempotencyAnswer, IdempotencyRow } from '../../store/index.js';

/** The request a key names: who, what, and a digest of the body. */
export interface Keyed {
  principal: string;
  key: string;
  method: string;
  /** the URL as sent, path and query: the same body to another instance is another write */
  path: string;
  fingerprint: string;
}

export type Verdict =
  | { kind: 'replay'; status: number; contentType: string | null; body: string }
  | { kind: 'mismatch'; why: string }
  | { kind: 'in-flight' }
  | { kind: 'not-replayable'; why: string };

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

const isStream = (b: unknown): boolean => typeof (b as { pipe?: unknown } | null)?.pipe === 'function';

/**
 * sha256 of the body as parsed (JSON re-serialized: the same document in other whitespace is
 * the same request). A body the route reads itself as a stream (an app upload) is not in
 * memory before the write runs: its media type and length stand for it.
 */
export function fingerprintOf(
  body: unknown,
  headers: { 'content-type'?: string | undefined; 'content-length'?: string | undefined },
): string {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (isStream(body) || (body === undefined && type.startsWith('multipart/')))
    return sha256(`stream ${type} ${headers['content-length'] ?? 'chunked'}`);
  if (body === undefined || body === null) return sha256('');
  if (typeof body === 'string') return sha256(body);
  if (body instanceof Uint8Array) return sha256(body);
  return sha256(JSON.stringify(body));
}

/** The answer's text if it can be kept: text (valid UTF-8) of at most `maxBytes` bytes. */
export function keptBody(payload: unknown, maxBytes: number): string | null {
  if (payload === undefined || payload === null) return '';
  let bytes: Buffer;
  if (typeof payload === 'string') bytes = Buffer.from(payload, 'utf8');
  else if (payload instanceof Uint8Array) bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  else return null; // a stream: not kept
  if (bytes.length > maxBytes) return null;
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null; // bytes that are not text would not survive the text column
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What a request answers when its key is held by `row`. */
export function judge(row: IdempotencyRow, req: Keyed, self: { owner: string; running: boolean }): Verdict {
  if (row.method !== req.method || row.path !== req.path)
    return { kind: 'mismatch', why: `the key was first used for ${row.method} ${row.path}, not ${req.method} ${req.path}` };
  if (row.fingerprint !== req.fingerprint)
    return { kind: 'mismatch', why: `the key was first used with another body for ${row.method} ${row.path}` };
  if (row.status === null) {
    if (row.owner === self.owner && self.running) return { kind: 'in-flight' };
    return {
      kind: 'not-replayable',
      why: `the first request with this key was taken by core ${row.owner}, which stopped (or lost the lead) before it answered: it may or may not have taken effect`,
    };
  }
  if (row.body === null)
    return {
      kind: 'not-replayable',
      why: `the first request with this key took effect (status ${row.status}) but its answer was too large or not text, so it was not kept`,
    };
  return { kind: 'replay', status: row.status, contentType: row.contentType, body: row.body };
}

export type { IdempotencyAnswer };
