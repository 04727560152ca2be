// What the dashboard's token may do (GET /api/v1/whoami): a read-only token sees the cluster
// and no control that would change it (the core refuses those calls anyway, with a 403).
import { useEffect, useState } from 'preact/hooks';
import { api } from './http.js';
import { onTokenChange } from './token.js';

export type Scope = 'admin' | 'read-only';

/** The token's scope; undefined until known (or when the core cannot tell). */
export function useScope(): Scope | undefined {
  const [scope, setScope] = useState<Scope | undefined>(undefined);
  useEffect(() => {
    let live = true;
    const read = () =>
      void api<{ scope: Scope }>('GET', '/api/v1/whoami')
        .then((w) => live && setScope(w.scope))
        .catch(() => live && setScope(undefined));
    read();
    const off = onTokenChange(read);
    return () => {
      live = false;
      off();
    };
  }, []);
  return scope;
}
