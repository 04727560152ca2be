// An agent joining a core over HTTPS. With a pinned join token (src/shared/join-token.ts) the
// agent fetches the core's CA from the public GET /api/v1/system/ca without trusting anything
// yet, believes it only when its SHA-256 is the token's pin, keeps it in its data dir and from
// then on verifies the core with it (trustCa). An agent whose API listens off loopback with no
// --tls-cert then asks that CA for a certificate for the host it listens on: a key made here
// (it never leaves the data dir) and a CSR, signed by the core for that one host.
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { loadX509 } from '../shared/x509.js';
import { exchange, trustCa } from '../client/exchange.js';
import { causeOf } from '../client/errors.js';
import { CertificateResponse } from '../bus/protocol.js';
import { caFingerprint } from '../shared/join-token.js';
import { invalid, OsmoError } from '../shared/errors.js';
import type { TlsFiles } from '../shared/tls.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** renew the API certificate when it has less than this left */
const RENEW_MS = 30 * 86_400_000;

function writeSecretFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

type Log = (level: 'info' | 'warn', msg: string) => void;

/** Retries `f` until it succeeds or throws an OsmoError (a mistake retrying will not fix); one log line per new failure. */
async function untilAnswered<T>(what: string, log: Log, f: () => Promise<T>): Promise<T> {
  let last = '';
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await f();
    } catch (e) {
      if (e instanceof OsmoError) throw e;
      const msg = `${what}: ${causeOf(e)} (retrying)`;
      if (msg !== last) log('warn', msg);
      last = msg;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** GET of the CA without verifying the server: the pin, not the connection, is what is trusted. */
function fetchCa(core: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/api/v1/system/ca', core), { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => reject(Object.assign(new Error('GET /api/v1/system/ca failed', { cause: e }))));
    req.end();
  });
}

/**
 * Makes this process trust the core at `core` (https): the CA kept in `<dataDir>/core-ca.pem`
 * when it matches the pin (or there is no pin), else the CA fetched from the core and checked
 * against the pin. Without a pin and without a kept CA, nothing changes (the system's CAs and
 * NODE_EXTRA_CA_CERTS decide). Returns the CA trusted, if any. Throws, naming expected and
 * got, when the core's CA is not the one the token names.
 */
export async function trustCore(core: string, dataDir: string, pin: string | undefined, log: Log): Promise<string | undefined> {
  const file = join(dataDir, 'core-ca.pem');
  const kept = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (kept && (!pin || caFingerprint(kept) === pin)) {
    trustCa(kept);
    return kept;
  }
  if (!pin) return undefined;
  const pem = await untilAnswered(`fetching the CA of the core at ${core}`, log, async () => {
    const r = await fetchCa(core);
    if (r.status === 404)
      throw invalid(
        `the join token carries a CA fingerprint but the core at ${core} has no CA of its own (it was given --tls-cert): start this agent with the plain join token (the part after the second "-") and NODE_EXTRA_CA_CERTS=<its CA>`,
      );
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return r.text;
  });
  let got: string;
  try {
    got = caFingerprint(pem);
  } catch {
    got = 'not a certificate';
  }
  if (got !== pin)
    throw invalid(
      `refusing to join: the core at ${core} presented a CA with SHA-256 ${got}, but the join token expects ${pin}. ` +
        `Either the token is not this core's (take the current one from <core data-dir>/join-token, or osmo token rotate-join on the core) ` +
        `or something between this agent and the core is impersonating it. Nothing was sent to it.`,
    );
  writeSecretFile(file, pem);
  trustCa(pem);
  log('info', `trusting the CA of the core at ${core} (SHA-256 ${pin}, kept in ${file})`);
  return pem;
}

function coversHost(cert: X509Certificate, host: string): boolean {
  return isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

/**
 * The agent API's certificate from the core's CA, for `host`: the one kept in the data dir
 * while it covers `host`, is the CA's and has more than 30 days left, else a new one.
 * `bearer`: the node credential when the node has one, else the join token.
 */
export async function agentCertificate(o: {
  core: string;
  dataDir: string;
  node: string;
  host: string;
  ca: string;
  bearer: () => string | undefined;
  log: Log;
}): Promise<TlsFiles> {
  const certFile = join(o.dataDir, 'api-cert.pem');
  const keyFile = join(o.dataDir, 'api-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    try {
      const chain = readFileSync(certFile, 'utf8');
      const cert = new X509Certificate(chain);
      const ca = new X509Certificate(o.ca);
      if (coversHost(cert, o.host) && cert.verify(ca.publicKey) && Date.parse(cert.validTo) - Date.now() > RENEW_MS)
        return { cert: chain, key: readFileSync(keyFile, 'utf8') };
    } catch {
      // unreadable: make a new one
    }
  }
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=osmo agent ${o.node}`,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const key = createPrivateKey({
    key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    format: 'der',
    type: 'pkcs8',
  })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  const body = JSON.stringify({ node: o.node, host: o.host, csr: csr.toString('pem') });
  const answer = await untilAnswered(`asking the core at ${o.core} for this agent's certificate`, o.log, async () => {
    const bearer = o.bearer();
    const r = await exchange(
      new URL('/api/v1/agent/certificate', o.core).href,
      'POST',
      { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body,
      15_000,
    );
    if (r.status >= 400 && r.status < 500) {
      let error = r.text.slice(0, 300);
      try {
        error = (JSON.parse(r.text) as { error?: string }).error ?? error;
      } catch {
        // keep the text
      }
      throw invalid(`the core refused this agent a certificate for ${o.host} (${r.status}): ${error}`);
    }
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return CertificateResponse.parse(JSON.parse(r.text));
  });
  writeSecretFile(keyFile, key);
  writeSecretFile(certFile, answer.certificate);
  o.log('info', `the core's CA issued this agent's API certificate for ${o.host} (kept in ${certFile})`);
  return { cert: answer.certificate, key };
}
