// HTTPS for the core's and the agent's API (`--tls-cert`, `--tls-key`). A client that speaks
// plain HTTP to it gets a plain-HTTP 400 saying so, not a reset connection: the first byte of
// a connection tells a TLS ClientHello (0x16) from anything else, and only the former is
// handed to the TLS layer (the technique of httpolyglot).
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Server as HttpServer, RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import { invalid } from './errors.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

/** PEM certificate (chain) and key, read once; a missing file is named. */
export function readTls(certFile: string | undefined, keyFile: string | undefined): TlsFiles | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw invalid('--tls-cert and --tls-key go together');
  const read = (flag: string, f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      throw invalid(`${flag} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return { cert: read('--tls-cert', certFile), key: read('--tls-key', keyFile) };
}

const TLS_HANDSHAKE = 0x16;

/** A fastify `serverFactory`: HTTPS, answering plain HTTP with a 400 that names the fix. */
export function httpsServerFactory(tls: TlsFiles, service: string): (handler: RequestListener) => HttpServer {
  return (handler) => {
    const server: HttpsServer = createHttps({ cert: tls.cert, key: tls.key }, handler);
    const tlsListeners = server.listeners('connection') as Array<(s: Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        if (first[0] === TLS_HANDSHAKE) {
          socket.unshift(first);
          for (const l of tlsListeners) l.call(server, socket);
          process.nextTick(() => socket.resume());
          return;
        }
        const body = JSON.stringify({
          response: false,
          status: 400,
          error: `the osmo ${service} speaks HTTPS only: use https:// in its URL`,
          code: 'OSMO_BAD_REQUEST',
        });
        socket.end(
          `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      });
      socket.on('error', () => socket.destroy());
    });
    return server;
  };
}
