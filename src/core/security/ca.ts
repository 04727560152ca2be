// The core's own certificate authority, for a core that serves HTTPS without --tls-cert: a
// CA made once in the data dir (ca.pem; its key ca-key.pem, 0600), a serving certificate
// signed by it for the addresses the core answers on (made anew at every start, so a changed
// address or hostname is covered), and certificates for agents' APIs, each for the one host
// the agent asked for (after Kubernetes' kubelet serving certificates). ECDSA P-256 through
// webcrypto; @peculiar/x509 writes the certificates.
import { createPrivateKey, webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { caFingerprint } from '../../shared/join-token.js';
import { loadX509 } from '../../shared/x509.js';
import { invalid } from '../../shared/errors.js';
import { writeSecretFile } from './secrets.js';

type CryptoKey = webcrypto.CryptoKey;

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface CoreCa {
  /** PEM of the CA certificate (public: agents fetch it and check it against their token's pin) */
  pem: string;
  fingerprint: string;
  /** the serving certificate (with the CA after it) and its key, PEM */
  serving: { cert: string; key: string };
  /** signs an agent's CSR for `host` only (an IP address or a DNS name); PEM */
  signAgent(csrPem: string, host: string, node: string): Promise<string>;
}

const pemKey = (key: ArrayBuffer): string =>
  createPrivateKey({ key: Buffer.from(key), format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();

async function importKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign']);
}

function altNames(hosts: Iterable<string>): X509.JsonGeneralName[] {
  return [...new Set(hosts)].map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }));
}

/** The names a core listening on `host` answers to: that address, or every address of the machine for a wildcard. */
export function servingNames(host: string, extra: readonly string[] = []): string[] {
  const h = host.replace(/^\[|\]$/g, '');
  const names = ['localhost', '127.0.0.1', '::1', hostname(), ...extra];
  if (h === '0.0.0.0' || h === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.push(a.address.replace(/%.*$/, ''));
  } else names.push(h);
  return [...new Set(names.filter(Boolean))];
}

/** Loads the CA from `dataDir`, making it on first use, and issues this start's serving certificate. */
export async function loadOrCreateCa(dataDir: string, names: readonly string[]): Promise<CoreCa> {
  const certFile = join(dataDir, 'ca.pem');
  const keyFile = join(dataDir, 'ca-key.pem');
  const x509 = await loadX509();
  let caCert: X509.X509Certificate;
  let caKey: CryptoKey;
  if (existsSync(certFile) && existsSync(keyFile)) {
    caCert = new x509.X509Certificate(readFileSync(certFile, 'utf8'));
    caKey = await importKey(readFileSync(keyFile, 'utf8'));
  } else {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=osmo core CA ${hostname()}`,
      keys,
      signingAlgorithm: SIGN,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 3650 * DAY),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caKey = keys.privateKey;
    writeSecretFile(keyFile, pemKey(await webcrypto.subtle.exportKey('pkcs8', caKey)));
    writeSecretFile(certFile, caCert.toString('pem'));
  }
  const pem = caCert.toString('pem');

  const leaf = async (subject: string, publicKey: CryptoKey, hosts: Iterable<string>, days: number): Promise<string> => {
    const cert = await x509.X509CertificateGenerator.create({
      subject: `CN=${subject}`,
      issuer: caCert.subject,
      publicKey,
      signingKey: caKey,
      signingAlgorithm: SIGN,
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + days * DAY),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(altNames(hosts)),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ],
    });
    return `${cert.toString('pem')}\n${pem}\n`;
  };

  const servingKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const serving = {
    cert: await leaf('osmo core', servingKeys.publicKey, names, 365),
    key: pemKey(await webcrypto.subtle.exportKey('pkcs8', servingKeys.privateKey)),
  };
  return {
    pem,
    fingerprint: caFingerprint(pem),
    serving,
    async signAgent(csrPem, host, node) {
      let csr: X509.Pkcs10CertificateRequest;
      try {
        csr = new x509.Pkcs10CertificateRequest(csrPem);
      } catch (e) {
        throw invalid(`csr: not a PEM certificate request (${(e as Error).message})`);
      }
      if (!(await csr.verify())) throw invalid('csr: its signature does not verify');
      return leaf(`osmo agent ${node}`, await csr.publicKey.export(EC, ['verify']), [host], 365);
    },
  };
}
