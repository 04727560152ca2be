// One fetch wrapper for the whole dashboard: adds the token, sends JSON, and turns an
// error body into an ApiError that keeps the server's message (and the field it names)
// so a form can show it next to the input it is about.
import { authHeaders } from './token.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** dotted path of the offending field when the server names one */
    readonly field: string | undefined,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `the core is unreachable (${e instanceof Error ? e.message : String(e)})`, undefined, null);
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) throw toApiError(res.status, data);
  return data as T;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function toApiError(status: number, data: unknown): ApiError {
  let message = `HTTP ${status}`;
  let field: string | undefined;
  if (typeof data === 'string' && data) message = data;
  if (isRecord(data)) {
    const m = data.error ?? data.message;
    if (typeof m === 'string') message = m;
    else if (isRecord(m) && typeof m.message === 'string') message = m.message;
    const f = data.field ?? (isRecord(data.details) ? data.details.field ?? data.details.path : undefined);
    if (typeof f === 'string') field = f;
    else if (Array.isArray(f)) field = f.join('.');
  }
  // Fall back to reading the field out of messages like "body/replicas must be ..." or "replicas: ...".
  field ??= /^(?:body[./])?([A-Za-z_][\w.[\]]*)\s*(?::|must|is|should)/.exec(message)?.[1];
  return new ApiError(status, message, field, data);
}
