// The core's event stream (GET /api/v1/events, server-sent events) read with fetch
// rather than EventSource: EventSource cannot send the Authorization header, and its
// built-in retry gives up for good on a non-200 answer (e.g. while a restarting core
// is not listening yet). This client reconnects by itself with capped back-off and
// resumes from the last event id it saw, so a core restart only leaves a short gap.
import { SseParser } from '../../../src/client/sse.js';
import type { StreamEvent } from './types.js';

// one parser for the CLI, the core's clients and the page
export { SseParser, type SseMessage } from '../../../src/client/sse.js';

export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface StreamOptions {
  url?: string;
  onEvent: (e: StreamEvent) => void;
  onStatus?: (s: StreamStatus) => void;
  /** extra request headers, read at each attempt (the bearer token may change) */
  headers?: () => Record<string, string>;
  /** first and longest wait between attempts */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface StreamHandle {
  close(): void;
  /** drop the current connection and dial again now (e.g. after a new token) */
  reconnect(): void;
}

export function openStream(opts: StreamOptions): StreamHandle {
  const url = opts.url ?? '/api/v1/events';
  const minDelay = opts.minDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 5000;
  let closed = false;
  let lastId: string | undefined;
  let ctrl: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = minDelay;

  const status = (s: StreamStatus) => opts.onStatus?.(s);

  async function connect(): Promise<void> {
    if (closed) return;
    ctrl = new AbortController();
    status(lastId === undefined ? 'connecting' : 'reconnecting');
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers?.() };
      if (lastId !== undefined) headers['last-event-id'] = lastId;
      const res = await fetch(url, { headers, signal: ctrl.signal });
      if (res.status === 401 || res.status === 403) {
        status('unauthorized');
        schedule(maxDelay);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      status('open');
      delay = minDelay;
      await pump(res.body, ctrl.signal);
    } catch {
      // network error or aborted: fall through to the retry below
    }
    if (!closed) {
      status('reconnecting');
      schedule(delay);
      delay = Math.min(maxDelay, delay * 2);
    }
  }

  function schedule(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => void connect(), ms);
  }

  async function pump(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser((ev) => {
      if (ev.id !== undefined) lastId = ev.id;
      const parsed = parseData(ev.data, ev.event);
      if (parsed) opts.onEvent(parsed);
    });
    signal.addEventListener('abort', () => void reader.cancel().catch(() => {}));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(decoder.decode(value, { stream: true }));
    }
  }

  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      ctrl?.abort();
    },
    reconnect() {
      clearTimeout(timer);
      ctrl?.abort();
      delay = minDelay;
      schedule(0);
    },
  };
}

function parseData(data: string, event: string | undefined): StreamEvent | null {
  if (!data) return null;
  try {
    const v: unknown = JSON.parse(data);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const { data: inner, ...rec } = v as Record<string, unknown>;
    // The core stores an event as {id, origin, seq, node, type, ts, data}: lift the payload
    // to the top so agent and core events read alike (sample.fields, instance.state...).
    const flat: Record<string, unknown> =
      typeof inner === 'object' && inner !== null && !Array.isArray(inner)
        ? { ...(inner as Record<string, unknown>), ...rec }
        : { ...rec, ...(inner === undefined ? {} : { data: inner }) };
    const type = typeof flat.type === 'string' ? flat.type : (event ?? 'message');
    return { ...flat, type };
  } catch {
    return null;
  }
}
