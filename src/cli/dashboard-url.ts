import { isLoopback } from '../shared/net.js';

/**
 * The dashboard URL to print. On a non-loopback address the page needs the join token: it is
 * handed over in the fragment, which browsers never send to a server; the page stores it and
 * clears it from the address bar. `withToken` false (output that is not a terminal: a service
 * journal is a log, and secrets stay out of logs): the URL and where the token is instead.
 */
export function dashboardUrl(coreUrl: string, token: string, withToken = true): string {
  if (isLoopback(new URL(coreUrl).hostname)) return `${coreUrl}/`;
  return withToken
    ? `${coreUrl}/#token=${encodeURIComponent(token)}`
    : `${coreUrl}/   (sign in with the join token: <data-dir>/join-token)`;
}
