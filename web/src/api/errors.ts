// An API failure as the dashboard shows it: the server's own message, and the field it
// names when it names one, so a form can put the message next to that input.
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
    const f = data.field ?? (isRecord(data.details) ? (data.details.field ?? data.details.path) : undefined);
    if (typeof f === 'string') field = f;
    else if (Array.isArray(f)) field = f.join('.');
  }
  // Fall back to reading the field out of messages like "body/replicas must be ..." or "replicas: ...".
  field ??= /^(?:body[./])?([A-Za-z_][\w.[\]]*)\s*(?::|must|is|should)/.exec(message)?.[1];
  return new ApiError(status, message, field, data);
}
