// Secrets at rest in the shared store, sealed with AES-256-GCM under a key derived (HKDF) from
// the command key every core of a cluster holds: a database dump or a stolen backup shows none
// of them. `purpose` separates the keys of different uses.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const derive = (commandKey: Buffer, purpose: string): Buffer => Buffer.from(hkdfSync('sha256', commandKey, Buffer.alloc(0), purpose, 32));

/** iv ‖ tag ‖ ciphertext, base64url. */
export function seal(commandKey: Buffer, purpose: string, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', derive(commandKey, purpose), iv);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
}

/** Throws when the text was not sealed with this key and purpose (or was altered). */
export function unseal(commandKey: Buffer, purpose: string, sealed: string): string {
  const b = Buffer.from(sealed, 'base64url');
  const d = createDecipheriv('aes-256-gcm', derive(commandKey, purpose), b.subarray(0, 12));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
}
