// Libraries that load heavy modules at import time for features an agent never uses:
// dockerode loads gRPC + protobuf (BuildKit sessions), docker-modem loads ssh2 (ssh:// hosts),
// prom-client loads OpenTelemetry (exemplars on the process CPU metric). Together they are
// tens of MB of resident memory in an agent that talks to a local socket. This hook hands
// those modules to exactly those importers as lazy stand-ins that load the real module on
// first use, so only someone who really uses the feature pays. Everyone else requires them
// as usual.
import Module from 'node:module';

/** deferred module -> the packages whose requires of it are deferred */
const DEFERRED = new Map<string, string[]>([
  ['@grpc/grpc-js', ['dockerode']],
  ['@grpc/proto-loader', ['dockerode']],
  ['ssh2', ['docker-modem']],
  ['@opentelemetry/api', ['prom-client']],
]);

type Loader = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Loader };
const load = mod._load;

function deferredFor(request: string, parent: { filename?: string } | undefined): boolean {
  const f = parent?.filename ?? '';
  return (DEFERRED.get(request) ?? []).some((pkg) => f.includes(`/node_modules/${pkg}/`));
}

/** A stand-in for one export (e.g. `require('ssh2').Client`) that resolves the real one when used. */
function lazyExport(real: () => Record<PropertyKey, unknown>, key: PropertyKey): unknown {
  const target = () => real()[key] as object;
  // A function target so that `new X()` and `X()` both reach the traps.
  return new Proxy(function deferred() {}, {
    construct: (_t, args) => Reflect.construct(target() as new (...a: unknown[]) => object, args),
    apply: (_t, self, args) => Reflect.apply(target() as (...a: unknown[]) => unknown, self, args),
    get: (_t, p) => Reflect.get(target(), p),
    has: (_t, p) => Reflect.has(target(), p),
  });
}

if (!(load as { osmoDeferred?: boolean }).osmoDeferred) {
  const hooked: Loader = function (this: unknown, request, parent, isMain) {
    if (!deferredFor(request, parent)) return load.call(this, request, parent, isMain);
    let real: Record<PropertyKey, unknown> | undefined;
    const get = () => (real ??= load.call(this, request, parent, isMain) as Record<PropertyKey, unknown>);
    return new Proxy(
      {},
      {
        get: (_t, p) => lazyExport(get, p),
        has: (_t, p) => Reflect.has(get(), p),
      },
    );
  };
  (hooked as { osmoDeferred?: boolean }).osmoDeferred = true;
  mod._load = hooked;
}
