// Client-side routes live under /ui/ so they never collide with the core's own paths
// (/metrics is Prometheus, /docs is Swagger UI); the core answers any /ui/* with
// index.html. State worth sharing (selected node, target) goes in the query string.
import { useEffect, useState } from 'preact/hooks';

export const VIEWS = ['topology', 'services', 'metrics', 'events', 'policies', 'planner', 'monitoring', 'agreements', 'cloudlets'] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const m = /^\/ui\/([a-z]+)/.exec(location.pathname);
  const name = m?.[1];
  const view = (VIEWS as readonly string[]).includes(name ?? '') ? (name as View) : 'topology';
  return { view, params: new URLSearchParams(location.search) };
}

const listeners = new Set<() => void>();
addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  listeners.forEach((l) => l());
}

export function href(view: View, params?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') q.set(k, v);
  const qs = q.toString();
  return `/ui/${view}${qs ? `?${qs}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const l = () => setRoute(currentRoute());
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return route;
}

/** onClick for in-app <a> links: plain clicks stay in the page, modified clicks open a tab. */
export function linkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a?.href) return;
  e.preventDefault();
  const url = new URL(a.href);
  navigate(url.pathname + url.search);
}
