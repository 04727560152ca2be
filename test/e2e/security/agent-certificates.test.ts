// The core's CA signing agents' API certificates (POST /api/v1/agent/certificate), against
// an in-process core off loopback: a certificate for the one host asked, chained to the CA
// the join token pins; the join token only for a node without a credential; a node's own
// credential only for itself and never for a host another node's address names; a bad CSR
// is a 400 naming it; a core without its own CA answers 404 saying what to do instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import { startCore, type CoreHandle } from '../../../src/core/index.js';
import { loadX509 } from '../../../src/shared/x509.js';
import { caFingerprint, parseJoinToken } from '../../../src/shared/join-token.js';
import { tempDir } from '../../../testing/proc.js';

const RUN = process.pid.toString(36);
let core: CoreHandle;
let plain: CoreHandle;

before(async () => {
  core = await startCore({ listen: '0.0.0.0:0', dataDir: tempDir('osmo-sec-certs-'), processMetrics: false });
  plain = await startCore({ listen: '0.0.0.0:0', dataDir: tempDir('osmo-sec-certs-plain-'), processMetrics: false, insecureHttp: true });
});
after(async () => {
  await core?.close();
  await plain?.close();
});

async function csr(): Promise<string> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=t',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return req.toString('pem');
}

async function ask(c: CoreHandle, bearer: string, body: Record<string, unknown>) {
  const r = await c.app.inject({
    method: 'POST',
    url: '/api/v1/agent/certificate',
    headers: { authorization: `Bearer ${bearer}` },
    payload: body,
  });
  return { status: r.statusCode, json: r.json<{ certificate?: string; ca?: string; error?: string }>() };
}

async function register(c: CoreHandle, id: string, address: string, bearer = c.token) {
  const r = await c.app.inject({
    method: 'POST',
    url: '/api/v1/agent/register',
    headers: { authorization: `Bearer ${bearer}` },
    payload: { id, address, layer: 'edge', domain: 'd', capacity: { cpus: 1, memoryBytes: 1e9 }, drivers: ['process'], version: '0' },
  });
  assert.equal(r.statusCode, 200, r.body);
  return r.json<{ credential?: string }>().credential;
}

test('the join token gets a certificate for the one host asked, chained to the pinned CA', async () => {
  const r = await ask(core, core.token, { node: `tls-${RUN}-a`, host: '10.9.8.7', csr: await csr() });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const cert = new X509Certificate(r.json.certificate!);
  const ca = new X509Certificate(r.json.ca!);
  assert.ok(cert.verify(ca.publicKey), 'signed by the CA');
  assert.equal(caFingerprint(r.json.ca!), parseJoinToken(core.token).caSha256, 'the CA the join token pins');
  assert.equal(cert.subjectAltName, 'IP Address:10.9.8.7', 'that host only');
  assert.equal(cert.checkIP('10.9.8.8'), undefined);
  assert.equal(cert.ca, false);
});

test('the join token cannot certify a node that has joined; its credential can, for itself and a free host only', async () => {
  const a = `tls-${RUN}-b`;
  const b = `tls-${RUN}-c`;
  const credA = (await register(core, a, 'https://10.9.8.1:5000'))!;
  await register(core, b, 'https://10.9.8.2:5000');
  const joined = await ask(core, core.token, { node: a, host: '10.9.8.1', csr: await csr() });
  assert.equal(joined.status, 403);
  assert.match(joined.json.error!, /already joined/);
  assert.equal((await ask(core, credA, { node: a, host: '10.9.8.1', csr: await csr() })).status, 200, 'its own address');
  const other = await ask(core, credA, { node: a, host: '10.9.8.2', csr: await csr() });
  assert.equal(other.status, 403, "another node's address");
  assert.match(other.json.error!, /address of node/);
  assert.equal((await ask(core, credA, { node: b, host: '10.9.8.3', csr: await csr() })).status, 403, 'another node');
});

test('bad input: a 400 naming the field, never a certificate', async () => {
  for (const body of [
    { node: `tls-${RUN}-d`, host: '10.9.8.9', csr: 'not a csr' },
    { node: `tls-${RUN}-d`, host: 'a b', csr: await csr() },
    { node: `tls-${RUN}-d`, host: '10.9.8.9' },
  ]) {
    const r = await ask(core, core.token, body);
    assert.equal(r.status, 400, JSON.stringify(r.json));
    assert.match(r.json.error!, /csr|host/);
  }
});

test('a core with no CA of its own: 404 saying what to do; its CA route says so too', async () => {
  const r = await ask(plain, plain.token, { node: `tls-${RUN}-e`, host: '10.9.8.10', csr: await csr() });
  assert.equal(r.status, 404);
  assert.match(r.json.error!, /--tls-cert/);
  assert.equal((await plain.app.inject({ method: 'GET', url: '/api/v1/system/ca' })).statusCode, 404);
  const ca = await core.app.inject({ method: 'GET', url: '/api/v1/system/ca' });
  assert.equal(ca.statusCode, 200, 'public: no token');
  assert.match(ca.body, /^-----BEGIN CERTIFICATE-----/);
});
