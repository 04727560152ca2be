// One fetch wrapper for the whole dashboard: adds the token, sends JSON, and turns an
// error body into an ApiError that keeps the server's message (and the field it names)
// so a form can show it next to the input it is about.
import { authHeaders } from './token.js';
import { ApiError, toApiError } from './errors.js';

export { ApiError };

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** `media`: the JSON media type both ways (the OCCI API speaks application/occi+json). */
export async function api<T>(method: Method, path: string, body?: unknown, media = 'application/json'): Promise<T> {
  const headers: Record<string, string> = { accept: media, ...authHeaders() };
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers['content-type'] = media;
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
