// @peculiar/x509, loaded on first use (only a core with its own CA and an agent asking it for
// a certificate need it). Its dependency injection (tsyringe) wants the Reflect metadata API
// that the `reflect-metadata` package provides; x509 only reads parameter types of
// constructors that take none, so a small WeakMap-backed stand-in is installed when the real
// one is absent (replace it with `import 'reflect-metadata'` if that package is added).
import { webcrypto } from 'node:crypto';
import type * as X509Module from '@peculiar/x509';

type X509 = typeof X509Module;
let loaded: Promise<X509> | undefined;

function installReflectMetadata(): void {
  const r = Reflect as unknown as Record<string, unknown>;
  if (typeof r.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const own = (target: object, key: unknown): unknown => store.get(target)?.get(key);
  r.defineMetadata = (key: unknown, value: unknown, target: object): void => {
    if (!store.has(target)) store.set(target, new Map());
    store.get(target)!.set(key, value);
  };
  r.getOwnMetadata = (key: unknown, target: object): unknown => own(target, key);
  r.getMetadata = (key: unknown, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const v = own(t, key);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** The library, with webcrypto as its crypto provider. */
export function loadX509(): Promise<X509> {
  return (loaded ??= (async () => {
    installReflectMetadata();
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })());
}
