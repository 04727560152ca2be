import { isIP } from 'node:net';
import { invalid } from './errors.js';

/** 127.0.0.0/8, ::1 (bracketed or not), ::ffff:127.x.y.z and "localhost": who may go without a token. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * `--listen HOST:PORT` (an IPv6 host in brackets) for the agent and the core alike.
 * @param example the port shown in the error message (the server's default)
 */
export function parseListen(listen: string, example = 5000): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw invalid(`--listen: "${listen}" is not HOST:PORT (e.g. 127.0.0.1:${example} or [::1]:${example})`);
  return { host: (m[1] ?? m[2])!, port };
}
