import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';
import { ARTIFACTS, eventually, launchBrowser, type Browser } from './browser';

/**
 * A payment that needs the customer's confirmation (3-D Secure), in Chromium: the page says so
 * and links to Stripe's hosted invoice page, where the tenant confirms it.
 */
const START = new Date('2027-10-01T00:30:00Z');
const HOURS = 3_600_000;

let api: TestApi;
let browser: Browser;
let page: Page;

/** Stripe Tax places a US customer by its ZIP code. */
const US_ADDRESS = { country: 'US', postal_code: '94107' };

const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `cards-${name}.png`), fullPage: true });

beforeAll(async () => {
  api = await startTestApi({ start: START });
  browser = await launchBrowser();
  page = browser.page;
}, 600_000); // a first run may install Chromium

afterAll(async () => {
  await browser?.close();
  await api?.stack.stop();
});

describe('3-D Secure on the billing page', () => {
  it('shows "Confirm your payment" for a renewal waiting on the bank; confirming on the hosted invoice page pays it', async () => {
    // Prepare: a trial on the authentication-required card (4000 0027 6000 3184), then its end.
    const { token } = await api.subscribe('org-3ds-web', { address: US_ADDRESS, trial_days: 3, payment_method: 'pm_card_authenticationRequired' });
    await api.advanceTo(new Date(START.getTime() + 3 * 24 * HOURS + 2 * HOURS));

    // Act: the tenant opens the page and follows the banner.
    await page.goto(`${api.stack.apiUrl}/#token=${token}`);
    const banner = page.getByTestId('banner-confirm');
    await eventually(() => banner.textContent()).toContain('Confirm your payment');
    expect(await banner.textContent()).toContain('$99.00');
    await screenshot('confirm-payment');
    await page.getByRole('tab', { name: 'Subscription' }).click();
    await eventually(() => page.getByTestId('banner-confirm').count()).toBe(1);
    await page.getByRole('link', { name: /Confirm your payment/ }).click();

    // The local Stripe endpoint's hosted invoice page, then its 3-D Secure test page.
    await page.waitForURL(/\/invoices\/in_[^/]+\/hosted$/);
    await page.getByRole('link', { name: /Complete authentication/ }).click();
    await page.waitForURL(/\/authenticate\/pi_/);
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    // Stripe sends the browser back to the hosted invoice, now paid.
    await page.waitForURL(/\/invoices\/in_[^/]+\/hosted\?payment_intent=pi_.*redirect_status=succeeded/);
    expect(await page.locator('body').textContent()).toContain('(paid)');
    await api.stack.settle();

    // Assess: back on the page, the invoice is paid and the banner is gone.
    await page.goto(`${api.stack.apiUrl}/`);
    await page.getByRole('tab', { name: 'Invoices' }).click();
    const renewal = page.locator('table.invoices tbody tr').filter({ hasText: '$99.00' });
    await eventually(() => renewal.locator('.badge').textContent()).toBe('Paid');
    await page.getByRole('tab', { name: 'Dashboard' }).click();
    await eventually(() => page.getByRole('region', { name: 'Your plan' }).textContent()).toContain('Active');
    expect(await page.getByTestId('banner-confirm').count()).toBe(0);
  });

  it('a first payment never confirmed: the page asks for it, and after 23 hours the subscription is expired', async () => {
    // Prepare: no trial, the authentication-required card: the first invoice waits on the bank.
    const token = await api.token({ tenantId: 'org-3ds-never-web' });
    const res = await api.call('/subscriptions/create', {
      method: 'POST',
      token,
      json: { address: US_ADDRESS, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_authenticationRequired' },
    });
    expect(res.status).toBe(201);
    await api.stack.settle();

    await page.goto(`${api.stack.apiUrl}/#token=${token}`);
    await eventually(() => page.getByTestId('banner-confirm').count()).toBe(1);
    await eventually(() => page.getByRole('region', { name: 'Your plan' }).textContent()).toContain('Incomplete');

    // Act: nobody confirms for 23 hours.
    await api.advanceTo(new Date(api.stack.clock.now().getTime() + 23 * HOURS + 60_000));

    // Assess
    await page.reload();
    await eventually(() => page.locator('#dash-none').textContent()).toBe('No active subscription');
    expect(await page.locator('main').textContent()).toContain('Your Starter subscription ended');
    expect(await page.getByTestId('banner-confirm').count()).toBe(0);
    await screenshot('expired');
  });

  it('logged no page error, no console error and no HTTP error along the way', () => {
    expect(browser.problems).toEqual([]);
  });
});
