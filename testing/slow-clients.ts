// Hostile clients on real sockets, for the slow-and-huge-clients test and bench: slowloris
// (headers dribbled a byte at a time), connections that never send anything, and a body far
// past the server's limit. Each counts what the server closed.
import { connect, type Socket } from 'node:net';

export interface Held {
  opened: number;
  /** sockets the server has closed so far */
  closed: () => number;
  /** closes what is left (our side) */
  stop: () => void;
}

function target(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

async function open(url: string, n: number, onOpen: (s: Socket) => void): Promise<{ sockets: Socket[]; closed: () => number }> {
  const { host, port } = target(url);
  const sockets: Socket[] = [];
  let closed = 0;
  // in batches: a burst of thousands of SYNs overflows the listen backlog (511) and only
  // makes the kernel retry
  const BATCH = 200;
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, n - i) }, () => {
        return new Promise<void>((resolve) => {
          const s = connect({ host, port });
          s.on('error', () => undefined);
          s.once('close', () => {
            closed++;
            resolve();
          });
          s.once('connect', () => {
            onOpen(s);
            resolve();
          });
          sockets.push(s);
        });
      }),
    );
  }
  return { sockets, closed: () => closed };
}

/** `n` connections that send half a request and then one header byte every `everyMs`, forever. */
export async function slowloris(url: string, n: number, everyMs = 1000): Promise<Held> {
  const timers: NodeJS.Timeout[] = [];
  const { sockets, closed } = await open(url, n, (s) => {
    s.write(`GET /healthz HTTP/1.1\r\nHost: ${target(url).host}\r\nX-Slow: `);
    const t = setInterval(() => {
      if (!s.destroyed) s.write('a');
    }, everyMs);
    timers.push(t);
    s.once('close', () => clearInterval(t));
  });
  return {
    opened: sockets.length,
    closed,
    stop: () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
  };
}

/** `n` connections that never send a byte. */
export async function idle(url: string, n: number): Promise<Held> {
  const { sockets, closed } = await open(url, n, () => undefined);
  return { opened: sockets.length, closed, stop: () => sockets.forEach((s) => s.destroy()) };
}

/**
 * Sends a `bytes`-long JSON body to `path` (Content-Length announced, or chunked), as fast as
 * the server reads it. Resolves with the server's answer, if one could be read, and how much
 * was written before the server answered or closed the connection. A server that refuses
 * early closes a connection with unread data in it, which resets it: the client may never see
 * the answer. With `announceOnly` the length is announced and no byte of the body is sent, so
 * the answer to the announcement itself can always be read.
 */
export function hugeBody(
  url: string,
  method: string,
  path: string,
  bytes: number,
  opts: { chunked?: boolean; announceOnly?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; sent: number }> {
  const { host, port } = target(url);
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let sent = 0;
    let answer = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      s.destroy();
      // node answers "100 Continue" by itself to a client that asks; curl always asks
      const final = answer.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(final)?.[1] ?? 0);
      resolve({ status, body: final.split('\r\n\r\n').slice(1).join('\r\n\r\n'), sent });
    };
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (!done && sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        const piece = opts.chunked
          ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), chunk.subarray(0, n), Buffer.from('\r\n')])
          : chunk.subarray(0, n);
        sent += n;
        if (!s.write(piece)) return void s.once('drain', pump);
      }
      if (!done && opts.chunked) s.write('0\r\n\r\n');
    };
    s.on('error', finish);
    s.on('close', finish);
    s.on('data', (d: Buffer) => {
      answer += d.toString();
      // the whole answer is in once its headers and Content-Length bytes are
      const m = /content-length: (\d+)/i.exec(answer);
      const head = answer.indexOf('\r\n\r\n');
      if (m && head >= 0 && Buffer.byteLength(answer.slice(head + 4)) >= Number(m[1])) finish();
    });
    s.once('connect', () => {
      const extra = Object.entries(opts.headers ?? {})
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const framing = opts.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${bytes}\r\n`;
      s.write(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${framing}${extra}\r\n`);
      if (!opts.announceOnly) pump();
    });
  });
}
