// Debian's chromium driven by playwright-core, as the web tests use it: headless, no
// network beyond what the page asks for, a fresh profile per launch, and helpers that
// save screenshots where CI keeps them (test-results/screenshots/).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './proc.js';

export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** what the page logged as errors (console.error, uncaught exceptions) */
  errors: string[];
  close(): Promise<void>;
}

/**
 * `ignoreHttpsErrors`: accept any certificate (in this test browser only), for a core serving
 * HTTPS with the CA it made itself, which the browser's store does not hold.
 */
export async function launch(viewport = { width: 1280, height: 800 }, o: { ignoreHttpsErrors?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'osmo-web-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.OSMO_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport,
    ...(o.ignoreHttpsErrors ? { ignoreHTTPSErrors: true } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // a failed fetch while the core restarts is expected and reported by the page itself
    if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|net::ERR/.test(m.text()))
      errors.push(`console: ${m.text()}`);
  });
  // the page is answered by the core itself: refuse anything that would leave 127.0.0.1
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/]|data:|blob:)/, (r) => r.abort());
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
