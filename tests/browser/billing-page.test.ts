import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ensureDebianPackage } from '../../local/debian-packages';
import { formatMoney } from '../../web/src/format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/stack';
import { WEB_DIST_DIR } from '../../local/web';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * The billing page end to end: Debian's Chromium, driven by playwright-core, against the
 * page and API served by one local stack (frozen simulated clock). Never downloads a browser;
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
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

// Half past the hour: the hourly overage run after a period end falls in the renewal's draft hour.
const START = new Date('2027-10-01T00:30:00Z');
const TRIAL_END = new Date('2027-10-15T00:30:00Z');
const PERIOD_END = new Date('2027-11-15T00:30:00Z');
const HOURS = 3_600_000;

let api: TestApi;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let tenantToken: string;
const problems: string[] = [];

/** Waits for what the page shows to settle (it loads each tab afresh). */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });

const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `billing-page-${name}.png`), fullPage: true });

const openTab = async (name: string) => {
  await page.getByRole('tab', { name }).click();
  await eventually(() => page.getByRole('tab', { name, selected: true }).count()).toBe(1);
};

const track = async (records: { resource_type: string; usage_amount: number }[]) => {
  const res = await api.call('/usage/track', { method: 'POST', token: tenantToken, json: { records } });
  expect(res.status, await res.clone().text()).toBe(202);
  await api.stack.settle();
};

const apiCallsMeter = () => page.locator('[data-resource="api_calls"] [role="meter"]');

beforeAll(async () => {
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
  api = await startTestApi({ start: START });
  tenantToken = await api.token({ tenantId: 'org-web', userId: 'user-web' });
  userDataDir = mkdtempSync(join(tmpdir(), 'securenet-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_ARGS,
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Failed requests are judged below, by URL and status.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    // The only refusal the page expects: no subscription yet is a 404 of /subscriptions/current.
    const expected = response.status() === 404 && response.url().endsWith('/api/billing/subscriptions/current');
    if (response.status() >= 400 && !expected) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
}, 600_000); // a first run may install Chromium

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await api?.stack.stop();
});

describe('the billing page in Chromium, against the local stack', () => {
  it('signs in from #token=, keeps the token in session storage and drops it from the address bar', async () => {
    await page.goto(`${api.stack.apiUrl}/#token=${tenantToken}`);
    await eventually(() => page.getByTestId('tenant').textContent()).toBe('org-web');
    expect(page.url()).toBe(`${api.stack.apiUrl}/`);
    expect(await page.evaluate('sessionStorage.getItem("securenet-billing.token")')).toBe(tenantToken);
    await eventually(() => page.getByRole('heading', { name: 'No active subscription' }).count()).toBe(1);
    // A tenant token draws no Admin tab.
    expect(await page.getByRole('tab').allTextContents()).toEqual(['Dashboard', 'Subscription', 'Usage', 'Invoices']);
  });

  it('subscribes to Starter from the Subscription tab, with the 14-day trial, after saying what will happen', async () => {
    await openTab('Subscription');
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    const confirm = page.getByRole('region', { name: 'Subscribe to Starter' });
    await eventually(() => confirm.textContent()).toContain('the first charge of $99.00 is at the end of the trial');
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await eventually(() => page.getByRole('status').filter({ hasText: 'Subscribed to Starter' }).count()).toBe(1);
    await api.stack.settle();
    await eventually(() => page.getByRole('heading', { name: 'Current subscription' }).count()).toBe(1);
    await screenshot('subscription');
  });

  it('shows the trial and its end on the Dashboard', async () => {
    await openTab('Dashboard');
    await eventually(() => page.getByTestId('trial-end').textContent()).toBe('Until Oct 15, 2027');
    expect(await page.getByRole('region', { name: 'This period so far' }).textContent()).toContain('usage is tracked, never billed');
    await screenshot('dashboard-trial');
  });

  it('moves the usage bar when usage is tracked through the API', async () => {
    await openTab('Usage');
    await eventually(() => apiCallsMeter().getAttribute('aria-valuenow')).toBe('0');
    await track([{ resource_type: 'api_calls', usage_amount: 4_000 }]);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await eventually(() => apiCallsMeter().getAttribute('aria-valuenow')).toBe('4000');
    expect(await apiCallsMeter().getAttribute('aria-valuetext')).toBe('4,000 of 10,000 calls (40%)');
  });

  it('after the trial, shows usage over quota with its overage and estimates an upgrade before confirming', async () => {
    await api.advanceTo(new Date(TRIAL_END.getTime() + 2 * HOURS));
    await track([
      { resource_type: 'api_calls', usage_amount: 12_000 },
      { resource_type: 'devices', usage_amount: 20 },
    ]);
    await openTab('Usage');
    await eventually(() => apiCallsMeter().getAttribute('aria-valuetext')).toBe('12,000 of 10,000 calls (120%)');
    expect(await page.locator('[data-resource="api_calls"]').textContent()).toContain('$20.00 overage so far');
    expect(await page.locator('[data-resource="devices"] [role="meter"]').getAttribute('aria-valuetext')).toBe('20 of 25 devices (80%)');
    await eventually(() => page.locator('.chart-bar').count()).toBeGreaterThan(0);
    await screenshot('usage');

    await openTab('Dashboard');
    await eventually(() => page.getByTestId('estimated-total').textContent()).toBe('$119.00');
    await screenshot('dashboard');

    await openTab('Subscription');
    await page.getByRole('button', { name: 'Upgrade to Professional' }).click();
    // The page shows what the API's preview (Stripe's preview invoice) says the upgrade charges now.
    const preview = (await (
      await fetch(`${api.stack.apiUrl}/api/billing/subscriptions/preview`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenantToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ plan_id: 'professional', billing_cycle: 'monthly' }),
      })
    ).json()) as { change: { proration_amount: number } };
    expect(preview.change.proration_amount).toBeGreaterThan(0);
    const exact = formatMoney(preview.change.proration_amount, 'usd');
    await eventually(() => page.getByTestId('proration-amount').textContent()).toBe(exact);
    await page.getByRole('button', { name: 'Back' }).click();
  });

  it('shows the renewal invoice with its overage line once the period has closed', async () => {
    await api.advanceTo(new Date(PERIOD_END.getTime() + 2 * HOURS));
    await openTab('Invoices');
    const lines = page.getByTestId('invoice-lines');
    const overage = lines.locator('tr[data-kind="overage"]');
    await eventually(() => overage.count()).toBe(1);
    expect(await overage.textContent()).toContain('$20.00');
    expect(await lines.locator('tr[data-kind="subscription"]').textContent()).toContain('$99.00');
    expect(await lines.locator('tfoot').textContent()).toContain('$119.00');
    // The trial-end invoice is listed too, newest first, with its links.
    expect(await page.locator('table.invoices tbody tr').count()).toBeGreaterThanOrEqual(2);
    await screenshot('invoices');
  });

  it('shows an admin token the Admin tab with the overview figures', async () => {
    const admin = await api.token({ admin: true, userId: 'admin-web' });
    await page.goto(`${api.stack.apiUrl}/#token=${admin}`);
    await eventually(() => page.getByRole('tab').allTextContents()).toEqual(['Admin']);
    const mrr = page.locator('.kpis > div').filter({ hasText: 'MRR' });
    await eventually(() => mrr.textContent()).toContain('$99.00');
    await screenshot('admin');
  });

  it('logged no page error, no console error (CSP included) and no unexpected HTTP error along the way', () => {
    expect(problems).toEqual([]);
  });
});
