// The text/event-stream framing from the HTML standard (fields, comments, CR/LF), and a
// reader that feeds a fetch body through it. Pure apart from reading the stream.

export interface SseMessage {
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** Incremental parser: push text chunks as they arrive, messages come out of `emit`. */
export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  /** the last chunk ended in CR: a LF opening the next chunk belongs to it */
  private skipLf = false;

  constructor(private readonly emit: (m: SseMessage) => void) {}

  push(chunk: string): void {
    if (this.skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLf = false;
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buf.slice(0, nl);
      const crlf = this.buf[nl] === '\r' && this.buf[nl + 1] === '\n';
      if (this.buf[nl] === '\r' && nl + 1 === this.buf.length) this.skipLf = true;
      this.buf = this.buf.slice(nl + (crlf ? 2 : 1));
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.emit({ event: this.event, data: this.data.join('\n'), id: this.id });
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

/**
 * Reads `body` to its end, calling `on` per message; `on` returning true stops reading
 * (the stream is cancelled). Resolves when the stream ends or is stopped.
 */
export async function readSse(body: ReadableStream<Uint8Array>, on: (m: SseMessage) => boolean | void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let stop = false;
  const parser = new SseParser((m) => {
    if (!stop && on(m) === true) stop = true;
  });
  try {
    while (!stop) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
