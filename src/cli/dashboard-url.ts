import { isLoopback } from '../shared/net.js';

/**
 * The dashboard URL to print. On a non-loopback address the page needs the join token: it is
 * handed over in the fragment, which browsers never send to a server; the page stores it and
 * clears it from the address bar.
 */
export function dashboardUrl(coreUrl: string, token: string): string {
  return isLoopback(new URL(coreUrl).hostname) ? `${coreUrl}/` : `${coreUrl}/#token=${encodeURIComponent(token)}`;
}
