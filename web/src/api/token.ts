// Where the dashboard keeps the core's bearer token. `osmo up` prints the dashboard URL
// with the token in the fragment (#token=...): the fragment never reaches a server log,
// the page moves it into localStorage and removes it from the address bar.
const KEY = 'osmo.token';

export function adoptTokenFromLocation(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m?.[1]) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // private mode without storage: the token lives for this page only
  }
  listeners.forEach((l) => l());
}

const listeners = new Set<() => void>();
export function onTokenChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}
