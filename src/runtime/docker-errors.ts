// Engine failures -> OsmoError. dockerode rejects with an Error carrying `statusCode` and the
// engine's JSON `{message}`; socket failures carry a Node `code` instead.
import { OsmoError } from '../shared/errors.js';

interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

export function engineStatus(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null ? (e as EngineErrorShape).statusCode : undefined;
}

export function engineMessage(e: unknown): string {
  if (typeof e !== 'object' || e === null) return String(e);
  const x = e as EngineErrorShape;
  return x.json?.message ?? x.reason ?? x.message ?? String(e);
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Wraps an engine error with what we were doing; keeps an OsmoError as it is. */
export function fromEngine(e: unknown, doing: string): OsmoError {
  if (e instanceof OsmoError) return e;
  const status = engineStatus(e);
  const msg = `${doing}: ${engineMessage(e)}`;
  const code = typeof e === 'object' && e !== null ? (e as EngineErrorShape).code : undefined;
  if (code && SOCKET_CODES.has(code))
    return new OsmoError('unavailable', `${doing}: docker engine unreachable (${code})`, undefined, 'OSMO_ENGINE_UNAVAILABLE');
  if (status === 404) return new OsmoError('not_found', msg);
  if (status === 409) return new OsmoError('conflict', msg);
  if (status === 400) return new OsmoError('invalid', msg);
  if (status === 403) return new OsmoError('forbidden', msg);
  return new OsmoError('unavailable', msg);
}
