import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { formatMoney } from '../../web/src/format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';
import { ARTIFACTS, TENANT_TABS, eventually, launchBrowser, type Browser } from './browser';

/**
 * The billing page end to end: Debian's Chromium, driven by playwright-core, against the
 * page and API served by one local stack (frozen simulated clock), and the local Stripe
 * endpoint's hosted pages (Checkout) in between.
 */

// Half past the hour: the hourly overage run after a period end falls in the renewal's draft hour.
const START = new Date('2027-10-01T00:30:00Z');
const TRIAL_END = new Date('2027-10-15T00:30:00Z');
const PERIOD_END = new Date('2027-11-15T00:30:00Z');
const HOURS = 3_600_000;

let api: TestApi;
let browser: Browser;
let page: Page;
let tenantToken: string;

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
  api = await startTestApi({ start: START });
  tenantToken = await api.token({ tenantId: 'org-web', userId: 'user-web' });
  // The only refusal the page expects: no subscription yet is a 404 of /subscriptions/current.
  browser = await launchBrowser((status, url) => status === 404 && url.endsWith('/api/billing/subscriptions/current'));
  page = browser.page;
}, 600_000); // a first run may install Chromium

afterAll(async () => {
  await browser?.close();
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

  it('subscribes to Starter from the Subscription tab, with the 14-day trial, after saying what will happen and asking where it is billed', async () => {
    await openTab('Subscription');
    await eventually(() => page.getByTestId('tax-location-missing').count()).toBe(1);
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    const confirm = page.getByRole('region', { name: 'Subscribe to Starter' });
    await eventually(() => confirm.textContent()).toContain('the first charge of $99.00 is at the end of the trial');
    // No country stored yet: Stripe Tax needs one (and a ZIP code in the US) before the subscription is made.
    await confirm.getByLabel('Country').selectOption('US');
    await confirm.getByLabel('Postal or ZIP code').fill('94107');
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await eventually(() => page.getByRole('status').filter({ hasText: 'Subscribed to Starter' }).count()).toBe(1);
    await api.stack.settle();
    await eventually(() => page.getByRole('heading', { name: 'Current subscription' }).count()).toBe(1);
    // The country (and ZIP code) went to the billing details.
    await eventually(() => page.getByTestId('billing-address').textContent()).toContain('United States');
    expect(await page.getByTestId('tax-location-missing').count()).toBe(0);
    await screenshot('subscription');
  });

  it('shows the trial and its end on the Dashboard', async () => {
    await openTab('Dashboard');
    await eventually(() => page.getByTestId('trial-end').textContent()).toBe('Until Oct 15, 2027');
    expect(await page.getByRole('region', { name: 'This period so far' }).textContent()).toContain('usage is tracked, never billed');
    await screenshot('dashboard-trial');
  });

  it('asks for a card during the trial; the card picked on Stripe Checkout comes back shown, with a confirmation', async () => {
    await openTab('Dashboard');
    await eventually(() => page.getByTestId('banner-trial').textContent()).toContain('Add a card before Oct 15, 2027');
    await openTab('Subscription');
    const method = page.getByRole('region', { name: 'Payment method' });
    await eventually(() => method.getByTestId('card').textContent()).toContain('No card yet');
    await method.getByRole('button', { name: 'Add card' }).click();

    // The local Stripe endpoint's hosted Checkout page (setup mode): a person picks a test card.
    await page.waitForURL(/\/checkout\/cs_/);
    expect(new URL(page.url()).origin).toBe(new URL(api.stack.stripeUrl).origin);
    await page.getByRole('radio', { name: /4242 4242 4242 4242/ }).check();
    await page.getByRole('button', { name: 'Save card' }).click();

    // Back on the page: the confirmation, the card, no more trial banner, and a clean address bar.
    await eventually(() => page.getByTestId('card-added').count()).toBe(1);
    expect(page.url()).toBe(`${api.stack.apiUrl}/`);
    await eventually(() => page.getByRole('region', { name: 'Payment method' }).getByTestId('card').textContent()).toMatch(/^visa •••• 4242 expires \d{2}\/\d{4}$/);
    expect(await page.getByTestId('banner-trial').count()).toBe(0);
    await screenshot('card-added');
    await openTab('Subscription');
    await eventually(() => page.getByRole('button', { name: 'Update card' }).count()).toBe(1);
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

  it('pays the first invoice with that card when the trial ends', async () => {
    await openTab('Invoices');
    const first = page.locator('table.invoices tbody tr').filter({ hasText: '$99.00' });
    await eventually(() => first.count()).toBe(1);
    expect(await first.locator('.badge').textContent()).toBe('Paid');
    await openTab('Dashboard');
    await eventually(() => page.getByRole('region', { name: 'Your plan' }).textContent()).toContain('Active');
    expect(await page.locator('.banners').count()).toBe(0);
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

  it('fits a 390 px wide phone on every tab, without scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const tab of TENANT_TABS) {
        await openTab(tab);
        await eventually(() => page.locator('.loading').count()).toBe(0);
        const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
        expect(scrollWidth, `${tab} is ${scrollWidth}px wide`).toBeLessThanOrEqual(innerWidth);
        await page.screenshot({ path: join(ARTIFACTS, `billing-page-mobile-${tab.toLowerCase()}.png`), fullPage: true });
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('shows an admin token the Admin tab with the overview figures', async () => {
    const admin = await api.token({ admin: true, userId: 'admin-web' });
    await page.goto(`${api.stack.apiUrl}/#token=${admin}`);
    await eventually(() => page.getByRole('tab').allTextContents()).toEqual(['Admin']);
    const mrr = page.locator('.kpis > div').filter({ hasText: 'MRR' });
    await eventually(() => mrr.textContent()).toContain('$99.00');
    await screenshot('admin');
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await screenshot('mobile-admin');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('logged no page error, no console error (CSP included) and no unexpected HTTP error along the way', () => {
    expect(browser.problems).toEqual([]);
  });
});
