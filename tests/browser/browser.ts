import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ensureDebianPackage } from '../../local/debian-packages';
import { REPO_ROOT } from '../../local/stack';
import { WEB_DIST_DIR } from '../../local/web';

/**
 * Debian's Chromium driven by playwright-core, for the browser tests. Never downloads a browser;
 * without Chromium the run fails and says how to get it (CI installs it in .ci/run).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags that keep Chromium off the network on a closed machine (see the machine notes). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Page errors, console errors and unexpected HTTP errors seen so far. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Waits for what the page shows to settle (it loads each tab afresh). */
export const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });

/**
 * Starts Chromium (installing Debian's package on a fresh root machine) with one page that
 * records problems. `expectedFailure` names the HTTP errors the test expects.
 */
export const launchBrowser = async (expectedFailure: (status: number, url: string) => boolean = () => false): Promise<Browser> => {
  if (process.env.CHROMIUM_PATH === undefined) {
    // A fresh Debian machine where we are root gets Debian's Chromium, like the JRE (never a downloaded browser).
    ensureDebianPackage(() => existsSync(CHROMIUM), 'chromium', `Chromium at ${CHROMIUM} (for the browser test)`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  if (!existsSync(join(REPO_ROOT, WEB_DIST_DIR, 'index.html'))) {
    throw new Error(`${WEB_DIST_DIR}/index.html is missing: run \`npm run build:web\` first (npm test does).`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), 'securenet-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_ARGS,
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Failed requests are judged below, by URL and status.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !expectedFailure(response.status(), response.url())) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
};

/** The tabs a tenant sees, in order. */
export const TENANT_TABS = ['Dashboard', 'Subscription', 'Usage', 'Invoices'] as const;
