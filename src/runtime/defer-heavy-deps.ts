// dockerode loads gRPC + protobuf (for BuildKit sessions) and docker-modem loads ssh2 (for
// ssh:// hosts) at import time: about 30 MB of resident memory in an agent that only talks
// to a local socket and never builds. This hook hands those three modules to dockerode and
// docker-modem as lazy stand-ins that load the real module on first use, so the cost is paid
// only by someone who really builds or uses ssh://. Everything else requires them as usual.
import Module from 'node:module';

const DEFERRED = new Set(['@grpc/grpc-js', '@grpc/proto-loader', 'ssh2']);

type Loader = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Loader };
const load = mod._load;

function fromDocker(parent: { filename?: string } | undefined): boolean {
  const f = parent?.filename ?? '';
  return f.includes('/node_modules/dockerode/') || f.includes('/node_modules/docker-modem/');
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
    if (!DEFERRED.has(request) || !fromDocker(parent)) return load.call(this, request, parent, isMain);
    let real: Record<PropertyKey, unknown> | undefined;
    const get = () => (real ??= load.call(this, request, parent, isMain) as Record<PropertyKey, unknown>);
    return new Proxy({}, {
      get: (_t, p) => lazyExport(get, p),
      has: (_t, p) => Reflect.has(get(), p),
    });
  };
  (hooked as { osmoDeferred?: boolean }).osmoDeferred = true;
  mod._load = hooked;
}
