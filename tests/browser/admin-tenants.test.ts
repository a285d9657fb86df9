import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDate } from '../../web/src/format';
import { startTestApi, type TestApi } from '../support/local-api';
import { ARTIFACTS, eventually, launchBrowser, type Browser } from './browser';

/**
 * The Admin tab's tenant pages (SPEC section 7, issue 19) in Chromium against the local stack:
 * tenants subscribed through the API, found by the start of a name, one opened with its whole
 * picture, a credit and a refund made through the page's forms (a reason asked, the amount
 * confirmed) and seen in the picture, in Stripe and in the tenant's audit trail; a trial
 * extended; the API's refusal shown beside the field it names.
 */

const START = new Date('2027-10-01T00:30:00Z');
const ACME = 'org-acme-web';
const ACORN = 'org-acorn-web';
const BETA = 'org-beta-web';
const GAMMA = 'org-gamma-web';
const HOURS = 3_600_000;

let api: TestApi;
let browser: Browser;
let page: Page;
let admin = '';
let acmeToken = '';

const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `admin-tenants-${name}.png`), fullPage: true });

/** The page fits a 390 px wide phone without scrolling sideways. */
const fitsPhone = async (name: string) => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
    expect(scrollWidth, `${name} is ${scrollWidth}px wide`).toBeLessThanOrEqual(innerWidth);
    await screenshot(`mobile-${name}`);
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
};

const results = () => page.getByTestId('tenant-results');
const rowIds = () => results().locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-tenant')));
const tenantPage = () => page.getByTestId('tenant-page');
const actions = () => page.getByTestId('tenant-actions');
const events = () => page.getByTestId('tenant-events');

const search = async (query: string) => {
  await page.getByLabel('Tenant id, email or name').fill(query);
  await page.getByLabel('Tenant id, email or name').press('Enter');
};

const openTenant = async (tenantId: string) => {
  await results().getByRole('button', { name: `Open tenant ${tenantId}` }).click();
  await eventually(() => tenantPage().getAttribute('data-tenant')).toBe(tenantId);
  await eventually(() => page.locator('#at-name').count()).toBe(1);
};

const backToTenants = async () => {
  await page.getByRole('button', { name: '← Back to tenants' }).click();
  await eventually(() => page.getByTestId('tenant-search').isVisible()).toBe(true);
};

const stripeCustomer = async (tenantId: string) => {
  const customer = (await api.stripe.customers.list({ limit: 100 })).data.find((c) => c.metadata.tenant_id === tenantId);
  if (!customer) throw new Error(`no customer for ${tenantId}`);
  return customer;
};

const trail = async (token: string, type: string) => {
  const res = await api.call(`/events?type=${type}&limit=100`, { token });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: { actor: unknown; data: Record<string, unknown> }[] }).events;
};

beforeAll(async () => {
  api = await startTestApi({ start: START });
  ({ token: acmeToken } = await api.subscribe(ACME, {
    name: 'Acme Networks',
    email: 'billing@acme.example',
    address: { line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' },
  }));
  await api.subscribe(ACORN, {
    name: 'Acorn Labs',
    email: 'ap@acorn.example',
    plan_id: 'professional',
    address: { line1: '9 Oak Ave', city: 'Portland', state: 'OR', postal_code: '97201', country: 'US' },
  });
  await api.subscribe(BETA, {
    name: 'Beta Security',
    email: 'ops@beta.example',
    trial_days: 14,
    address: { line1: '2 Harbor Rd', city: 'Boston', state: 'MA', postal_code: '02110', country: 'US' },
  });
  // The operator acts an hour later (the audit trail lists the newest first, and at one frozen
  // instant its order would be the ids').
  await api.advanceTo(new Date(START.getTime() + HOURS));
  admin = await api.token({ admin: true, userId: 'ops-1' });
  // The refusals the page is made to meet: a refund of more than is left (400 naming `amount`), a declined card (402).
  browser = await launchBrowser(
    (status, url) =>
      (status === 400 && url.endsWith(`/api/billing/admin/tenants/${ACME}/refund`)) ||
      (status === 402 && url.endsWith(`/api/billing/admin/tenants/${GAMMA}/retry-payment`)) ||
      (status === 400 && url.includes('/api/billing/admin/exports/invoices.csv?')),
  );
  page = browser.page;
}, 600_000); // a first run may install Chromium

afterAll(async () => {
  await browser?.close();
  await api?.stack.stop();
});

describe('the Admin tab’s tenant search', () => {
  it('lists every tenant at first, then those whose name starts with what is typed, with status, plan, MRR and open balance', async () => {
    await page.goto(`${api.stack.apiUrl}/#token=${admin}`);
    await eventually(() => page.getByRole('tab').allTextContents()).toEqual(['Admin']);
    await eventually(async () => (await rowIds()).sort()).toEqual([ACME, ACORN, BETA].sort());

    await search('Ac');
    await eventually(async () => (await rowIds()).sort()).toEqual([ACME, ACORN].sort());
    await search('acme n');
    await eventually(() => rowIds()).toEqual([ACME]);
    const row = results().locator(`tr[data-tenant="${ACME}"]`);
    expect(await row.locator('td[data-label="Name and email"]').textContent()).toBe('Acme Networksbilling@acme.example');
    expect(await row.locator('td[data-label="Status"]').textContent()).toBe('Active');
    expect(await row.locator('td[data-label="Plan"]').textContent()).toBe('Starter, monthly');
    expect(await row.getByTestId('tenant-mrr').textContent()).toBe('$99.00');
    expect(await row.getByTestId('tenant-open-balance').textContent()).toBe('$0.00');

    // A status filter alone: the trial, whose MRR is 0 until it pays.
    await search('');
    await page.getByLabel('Status').selectOption('trialing');
    await eventually(() => rowIds()).toEqual([BETA]);
    expect(await results().locator(`tr[data-tenant="${BETA}"]`).getByTestId('tenant-mrr').textContent()).toBe('$0.00');
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Plan').selectOption('professional');
    await eventually(() => rowIds()).toEqual([ACORN]);
    await page.getByLabel('Plan').selectOption('');
    await search('acme');
    await eventually(() => rowIds()).toEqual([ACME]);
    await screenshot('search');
    await fitsPhone('search');
  });
});

describe('a tenant’s page', () => {
  it('opens from the search with its billing details, subscription, access, usage, invoices, payments and events', async () => {
    await openTenant(ACME);
    expect(await page.locator('#at-name').textContent()).toContain('Acme Networks');
    expect(await page.evaluate('document.activeElement?.id')).toBe('at-name');
    expect(await page.getByTestId('tenant-page-mrr').textContent()).toBe('$99.00');
    const details = page.getByTestId('tenant-details');
    expect(await details.textContent()).toContain('billing@acme.example');
    expect(await details.locator('address').textContent()).toContain('1 Market St');
    const sub = page.getByTestId('tenant-subscription');
    expect(await sub.textContent()).toContain('Starter, monthly');
    expect(await sub.textContent()).toContain('Active');
    expect(await page.getByTestId('tenant-period').textContent()).toBe(`${formatDate('2027-10-01T00:30:00Z')} – ${formatDate('2027-11-01T00:30:00Z')}`);
    expect(await page.getByTestId('tenant-entitlements').getAttribute('data-access')).toBe('full');
    expect(await page.getByTestId('tenant-usage').locator('tr[data-resource="api_calls"] td[data-label="Included"]').textContent()).toBe('10,000');
    const invoiceRows = page.getByTestId('tenant-invoices').locator('tbody tr');
    expect(await invoiceRows.count()).toBe(1);
    expect(await invoiceRows.first().locator('td[data-label="Status"]').textContent()).toBe('Paid');
    expect(await invoiceRows.first().locator('td[data-label="Total"]').textContent()).toBe('$99.00');
    expect(await page.getByTestId('tenant-payments').locator('li[data-type="stripe.invoice.payment_succeeded"]').first().textContent()).toContain('Paid $99.00');
    expect(await events().locator('li').count()).toBeGreaterThan(0);
    // Actions: a credit, a refund of the paid invoice; no trial to extend, nothing open to retry.
    expect(await actions().locator('.action-buttons button').allTextContents()).toEqual(['Grant credit', 'Refund']);
    await screenshot('tenant');
  });

  it('grants a credit through the form: a reason is required (beside the field), the amount is confirmed, then the picture, Stripe and the audit trail have it', async () => {
    await actions().getByRole('button', { name: 'Grant credit' }).click();
    const form = page.getByTestId('action-credit');
    await eventually(() => page.evaluate('document.activeElement?.id')).toBe('act-credit-amount');
    await form.getByLabel('Amount (USD)').fill('25');
    await form.getByRole('button', { name: 'Review credit' }).click();
    // No reason: said beside the reason, which gets the focus; nothing is sent.
    await eventually(() => page.locator('#act-credit-reason-error').textContent()).toMatch(/^Say why/);
    expect(await form.getByLabel('Reason').getAttribute('aria-invalid')).toBe('true');
    await eventually(() => page.evaluate('document.activeElement?.id')).toBe('act-credit-reason');
    expect(await form.getByTestId('action-confirm').count()).toBe(0);
    await screenshot('credit-no-reason');

    await form.getByLabel('Reason').fill('outage');
    await form.getByRole('button', { name: 'Review credit' }).click();
    await eventually(() => form.getByTestId('action-question').textContent()).toBe('Credit $25.00 to Acme Networks? Reason: outage');
    expect(await page.locator('#act-credit-reason-error').count()).toBe(0);
    await screenshot('credit-confirm');
    await form.getByRole('button', { name: 'Confirm', exact: true }).click();
    await eventually(() => page.getByTestId('action-done').textContent()).toBe('Credited $25.00 to Acme Networks. Customer balance: $25.00 in credit.');
    expect(await page.getByTestId('action-credit').count()).toBe(0);
    // The picture, reloaded: the credit is the newest event, naming the admin.
    const credited = events().locator('li[data-type="admin.credit_granted"]');
    await eventually(() => credited.count()).toBe(1);
    expect(await credited.textContent()).toContain('by ops-1');
    expect(await credited.textContent()).toContain('$25.00 · balance $25.00 in credit · reason: outage');

    expect((await stripeCustomer(ACME)).balance).toBe(-2_500);
    const granted = await trail(acmeToken, 'admin.credit_granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({ actor: { type: 'user', id: 'ops-1' }, data: { amount: 2_500, currency: 'usd', reason: 'outage' } });
  });

  it('refunds part of the paid invoice, then shows the API’s refusal of more than is left beside the amount', async () => {
    await actions().getByRole('button', { name: 'Refund' }).click();
    const form = page.getByTestId('action-refund');
    // The paid invoice is chosen, the amount starts at what was paid.
    expect(await form.getByLabel('Amount (USD)').inputValue()).toBe('99.00');
    await form.getByLabel('Amount (USD)').fill('40');
    await form.getByLabel('Reason').fill('partial outage');
    await form.getByRole('button', { name: 'Review refund' }).click();
    await eventually(() => form.getByTestId('action-question').textContent()).toMatch(
      /^Refund \$40\.00 of invoice \S+ \(paid \$99\.00\) to Acme Networks\? Reason: partial outage$/,
    );
    await form.getByRole('button', { name: 'Confirm', exact: true }).click();
    await eventually(() => page.getByTestId('action-done').textContent()).toMatch(/^Refunded \$40\.00 of invoice \S+ \(credit note \S+\)\.$/);
    await eventually(() => events().locator('li[data-type="admin.refund_issued"]').count()).toBe(1);
    expect(await events().locator('li[data-type="admin.refund_issued"]').textContent()).toContain('$40.00');
    const refunds = await api.stripe.refunds.list({ limit: 100 });
    expect(refunds.data.filter((r) => r.amount === 4_000)).toHaveLength(1);
    const issued = await trail(acmeToken, 'admin.refund_issued');
    expect(issued.map((e) => e.data.amount)).toEqual([4_000]);

    // Again: the form starts from what is left (59.00); 60.00 is more than that, and Stripe refuses it.
    await actions().getByRole('button', { name: 'Refund' }).click();
    const again = page.getByTestId('action-refund');
    await eventually(() => again.getByLabel('Amount (USD)').inputValue()).toBe('59.00');
    await again.getByLabel('Amount (USD)').fill('60');
    await again.getByLabel('Reason').fill('the rest and more');
    await again.getByRole('button', { name: 'Review refund' }).click();
    await again.getByRole('button', { name: 'Confirm', exact: true }).click();
    await eventually(() => page.locator('#act-refund-amount-error').textContent()).toBe('Enter at most $59.00, what is left to refund.');
    expect(await again.getByLabel('Amount (USD)').getAttribute('aria-invalid')).toBe('true');
    expect(await again.getByTestId('action-confirm').count()).toBe(0);
    await eventually(() => page.evaluate('document.activeElement?.id')).toBe('act-refund-amount');
    await screenshot('refund-refused');
    expect((await trail(acmeToken, 'admin.refund_issued')).map((e) => e.data.amount)).toEqual([4_000]);
    await again.getByRole('button', { name: 'Cancel' }).click();
    await screenshot('tenant-after-actions');
    await fitsPhone('tenant');
  });

  it('goes back to the search as it was, focused on the tenant just seen', async () => {
    await backToTenants();
    expect(await rowIds()).toEqual([ACME]);
    await eventually(() => page.evaluate('document.activeElement?.getAttribute("data-tenant-open")')).toBe(ACME);
  });

  it('extends a trialing tenant’s trial by a week through the form', async () => {
    await search('beta');
    await eventually(() => rowIds()).toEqual([BETA]);
    await openTenant(BETA);
    expect(await actions().locator('.action-buttons button').allTextContents()).toEqual(['Grant credit', 'Extend trial']);
    const trialEnd = '2027-10-15T00:30:00.000Z';
    await actions().getByRole('button', { name: 'Extend trial' }).click();
    const form = page.getByTestId('action-trial');
    expect(await form.getByLabel('New trial end (UTC)').inputValue()).toBe('2027-10-22');
    await form.getByLabel('Reason').fill('security review takes longer');
    await form.getByRole('button', { name: 'Review extension' }).click();
    await eventually(() => form.getByTestId('action-question').textContent()).toBe(
      `Extend the trial of Beta Security from ${formatDate(trialEnd)} to ${formatDate('2027-10-22T00:30:00Z')}? Reason: security review takes longer`,
    );
    await form.getByRole('button', { name: 'Confirm', exact: true }).click();
    await eventually(() => page.getByTestId('action-done').textContent()).toBe(`Trial extended: it now ends on ${formatDate('2027-10-22T00:30:00Z')}.`);
    await api.stack.settle();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await eventually(() => page.getByTestId('tenant-trial-end').textContent()).toContain(formatDate('2027-10-22T00:30:00Z'));
    await screenshot('trial-extended');
  });

  it('retries the payment of an open invoice: the decline is said as the form’s error, and the attempt is listed', async () => {
    // A one-day trial with a card that declines every charge: at its end the first invoice stays open.
    await api.subscribe(GAMMA, {
      name: 'Gamma GmbH',
      email: 'finance@gamma.example',
      trial_days: 1,
      payment_method: 'pm_card_chargeCustomerFail',
      address: { line1: '5 Elm St', city: 'Austin', state: 'TX', postal_code: '73301', country: 'US' },
    });
    await api.advanceTo(new Date(START.getTime() + 28 * HOURS));
    await backToTenants();
    await search('gamma');
    await eventually(() => rowIds()).toEqual([GAMMA]);
    await eventually(() => results().locator(`tr[data-tenant="${GAMMA}"]`).getByTestId('tenant-open-balance').textContent()).toBe('$99.00');
    await openTenant(GAMMA);
    expect(await page.getByTestId('tenant-page-open-balance').textContent()).toBe('$99.00');
    expect(await actions().locator('.action-buttons button').allTextContents()).toEqual(['Grant credit', 'Retry payment']);
    await actions().getByRole('button', { name: 'Retry payment' }).click();
    const form = page.getByTestId('action-retry');
    expect(await form.getByLabel('Open invoice').locator('option').allTextContents()).toEqual([expect.stringMatching(/^\S+: \$99\.00 due, /)]);
    await form.getByLabel('Reason (optional)').fill('customer asked');
    await form.getByRole('button', { name: 'Review retry' }).click();
    await eventually(() => form.getByTestId('action-question').textContent()).toMatch(
      /^Charge \$99\.00 for invoice \S+ to the card Gamma GmbH has on file, now\? Reason: customer asked$/,
    );
    await form.getByRole('button', { name: 'Confirm', exact: true }).click();
    await eventually(() => form.getByRole('alert').textContent()).toMatch(/^Not done: Payment declined: /);
    // The declined attempt is in the audit trail, and the picture (reloaded) lists it.
    await eventually(() => page.getByTestId('tenant-payments').locator('li[data-type="admin.payment_retried"]').textContent()).toContain('Retried: declined');
    expect(await page.getByTestId('tenant-payments').locator('li[data-type="admin.payment_retried"]').textContent()).toContain('by ops-1');
    await screenshot('retry-declined');
    await form.getByRole('button', { name: 'Change' }).click();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await eventually(() => page.getByTestId('action-retry').count()).toBe(0);
  });

  it('exports the invoices of every tenant as one CSV download, and shows the API’s refusal of a range beside "To"', async () => {
    await backToTenants();
    const card = page.getByTestId('admin-exports');
    await card.getByLabel('From (UTC)').fill('2027-10-02');
    await card.getByLabel('To (UTC)').fill('2027-09-01');
    await card.getByRole('button', { name: 'Invoices', exact: true }).click();
    await eventually(() => page.locator('#export-to-error').textContent()).toBe('To: must be after from');
    expect(await card.getByLabel('To (UTC)').getAttribute('aria-invalid')).toBe('true');

    await card.getByLabel('From (UTC)').fill('2027-09-01');
    await card.getByLabel('To (UTC)').fill('2027-10-31');
    // One tenant a page (the page asks for 100), so that the download follows X-Next-Cursor through several pages.
    await page.route('**/api/billing/admin/exports/**', (route) => {
      const url = new URL(route.request().url());
      url.searchParams.set('limit', '1');
      return route.continue({ url: url.toString() });
    });
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Invoices', exact: true }).click()]);
    expect(download.suggestedFilename()).toBe('invoices-2027-09-01-2027-10-31.csv');
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    const header = (lines[0] ?? '').split(',');
    expect(header).toContain('tenant_id');
    expect(lines.filter((l) => l === lines[0])).toHaveLength(1);
    const column = header.indexOf('tenant_id');
    const tenants = new Set(lines.slice(1, -1).map((l) => l.split(',')[column]));
    expect([...tenants].sort()).toEqual(expect.arrayContaining([ACME, ACORN, GAMMA].sort()));
    await eventually(() => card.getByRole('status').last().textContent()).toMatch(/^Invoices: saved invoices-2027-09-01-2027-10-31\.csv \([3-9] pages\)\.$/);
    await page.unrouteAll();
    expect(await page.locator('#export-to-error').count()).toBe(0);
    await screenshot('exports');
    await fitsPhone('exports');
  });

  it('logged no page error, no console error (CSP included) and no unexpected HTTP error along the way', () => {
    expect(browser.problems).toEqual([]);
  });
});
