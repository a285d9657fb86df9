import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMoney } from '../../web/src/format';
import { startTestApi, type TestApi } from '../support/local-api';
import { ARTIFACTS, eventually, launchBrowser, type Browser } from './browser';

/**
 * Tax on the billing page (SPEC sections 4 and 4a), in Chromium against the local stack, whose
 * Stripe endpoint models Stripe Tax: a UK tenant's invoice with its 20% VAT, the estimate and
 * the plan-change preview with tax, the billing details form, and the country asked for before
 * a first subscription.
 */

const START = new Date('2027-10-01T00:30:00Z');

interface CustomerBody {
  customer: {
    name: string | null;
    address: { city: string | null; country: string; postal_code: string | null } | null;
    tax_ids: { type: string; value: string }[];
    tax_location: 'ok' | 'missing';
  };
}

let api: TestApi;
let browser: Browser;
let page: Page;
let gbToken: string;

const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `tax-${name}.png`), fullPage: true });

const openTab = async (name: string) => {
  await page.getByRole('tab', { name }).click();
  await eventually(() => page.getByRole('tab', { name, selected: true }).count()).toBe(1);
};

const getCustomer = async (token: string): Promise<CustomerBody['customer']> => {
  const res = await api.call('/customer', { token });
  expect(res.status).toBe(200);
  return ((await res.json()) as CustomerBody).customer;
};

const signIn = async (token: string) => {
  await page.goto(`${api.stack.apiUrl}/#token=${token}`);
  await eventually(() => page.getByTestId('tenant').count()).toBe(1);
};

beforeAll(async () => {
  api = await startTestApi({ start: START });
  // Prepare: a UK business on Starter, monthly, in pounds, no trial, paying by card.
  ({ token: gbToken } = await api.subscribe('org-tax-gb', {
    currency: 'gbp',
    name: 'Albion Networks Ltd',
    address: { line1: '1 Fleet Street', city: 'London', postal_code: 'EC4Y 1AA', country: 'GB' },
  }));
  // The refusals the page is made to meet: a bad VAT number and an address Stripe Tax cannot
  // place (400), and no subscription yet (404).
  browser = await launchBrowser(
    (status, url) =>
      (status === 400 && (url.endsWith('/api/billing/customer') || url.endsWith('/api/billing/subscriptions/create'))) ||
      (status === 404 && url.endsWith('/api/billing/subscriptions/current')),
  );
  page = browser.page;
}, 600_000); // a first run may install Chromium

afterAll(async () => {
  await browser?.close();
  await api?.stack.stop();
});

describe('tax on the billing page, for a UK tenant', () => {
  it('shows the first invoice with its 20% VAT line of £15.80 and a total of £94.80', async () => {
    await signIn(gbToken);
    await openTab('Invoices');
    const lines = page.getByTestId('invoice-lines');
    const vat = lines.locator('tfoot tr[data-total="tax"]');
    await eventually(() => vat.count()).toBe(1);
    expect(await vat.locator('th').textContent()).toBe('VAT 20% (United Kingdom)');
    expect(await vat.locator('td').textContent()).toBe('£15.80');
    expect(await lines.locator('tfoot tr[data-total="subtotal"] td').textContent()).toBe('£79.00');
    expect(await lines.locator('tfoot tr[data-total="total"] td').textContent()).toBe('£94.80');
    // The list shows the tax beside the total.
    const row = page.locator('table.invoices tbody tr').filter({ hasText: '£94.80' });
    expect(await row.getByTestId('invoice-tax').textContent()).toBe('£15.80');

    // The API says the same (integer minor units).
    const { invoices } = (await (await api.call('/invoices', { token: gbToken })).json()) as {
      invoices: { id: string; tax: number; total: number; taxes: { amount: number; percentage: number; jurisdiction: string }[] }[];
    };
    const paid = invoices.find((i) => i.total === 9_480);
    expect(paid?.tax).toBe(1_580);
    expect(paid?.taxes).toEqual([expect.objectContaining({ amount: 1_580, percentage: 20, jurisdiction: 'United Kingdom' })]);
    await screenshot('invoice');
  });

  it('estimates this period with the tax at the rate of the last invoice', async () => {
    await openTab('Dashboard');
    const tax = page.getByTestId('estimated-tax');
    await eventually(() => tax.textContent()).toContain('at 20%, the rate of your last invoice');
    expect(await tax.locator('td').textContent()).toBe('£15.80');
    expect(await page.getByTestId('estimated-total').textContent()).toBe('£94.80');
  });

  it('shows the tax of an upgrade beside its proration before it is confirmed', async () => {
    await openTab('Subscription');
    await page.getByRole('button', { name: 'Upgrade to Professional' }).click();
    const res = await api.call('/subscriptions/preview', { method: 'POST', token: gbToken, json: { plan_id: 'professional', billing_cycle: 'monthly' } });
    const { change } = (await res.json()) as { change: { proration_amount: number; tax_amount: number } };
    expect(change.proration_amount).toBeGreaterThan(0);
    // 20% of the proration, rounded to the penny.
    expect(Math.abs(change.tax_amount - Math.round(change.proration_amount / 5))).toBeLessThanOrEqual(1);
    await eventually(() => page.getByTestId('proration-tax').textContent()).toBe(formatMoney(change.tax_amount, 'gbp'));
    expect(await page.getByTestId('proration-amount').textContent()).toBe(formatMoney(change.proration_amount, 'gbp'));
    expect(await page.getByTestId('proration-total').textContent()).toBe(formatMoney(change.proration_amount + change.tax_amount, 'gbp'));
    await page.getByRole('button', { name: 'Back' }).click();
  });

  it('edits the address and adds a UK VAT number through the billing details form; the API keeps them', async () => {
    await openTab('Subscription');
    const card = page.getByTestId('billing-details');
    await eventually(() => card.getByTestId('billing-address').textContent()).toContain('London');
    await card.getByRole('button', { name: 'Edit billing details' }).click();
    expect(await card.getByLabel('Country').inputValue()).toBe('GB');
    await card.getByLabel('City').fill('Manchester');
    await card.getByLabel('Postal or ZIP code').fill('M1 1AE');
    await card.getByRole('button', { name: 'Add tax ID' }).click();
    await card.getByLabel('Tax ID 1: Type').selectOption('gb_vat');
    await card.getByLabel('Tax ID 1: Number').fill('GB 123 4567 89');
    await card.getByRole('button', { name: 'Save billing details' }).click();

    await eventually(() => card.getByRole('status').textContent()).toContain('Billing details saved');
    expect(await card.getByTestId('billing-address').textContent()).toContain('M1 1AE Manchester');
    expect(await card.getByTestId('billing-tax-ids').textContent()).toBe('UK VAT number GB123456789');
    const customer = await getCustomer(gbToken);
    expect(customer.address).toMatchObject({ city: 'Manchester', postal_code: 'M1 1AE', country: 'GB' });
    expect(customer.tax_ids).toEqual([{ type: 'gb_vat', value: 'GB123456789' }]);
    expect(customer.name).toBe('Albion Networks Ltd');
    await screenshot('billing-details');
  });

  it('shows the API’s error next to a bad VAT number and saves nothing', async () => {
    const card = page.getByTestId('billing-details');
    await card.getByRole('button', { name: 'Edit billing details' }).click();
    const number = card.getByLabel('Tax ID 1: Number');
    await number.fill('GB12345');
    await card.getByRole('button', { name: 'Save billing details' }).click();

    const error = card.locator('#' + ((await number.getAttribute('id')) ?? '') + '-error');
    await eventually(() => error.textContent()).toContain('not a valid gb_vat number');
    expect(await number.getAttribute('aria-invalid')).toBe('true');
    expect(await number.getAttribute('aria-describedby')).toContain((await error.getAttribute('id')) ?? 'missing');
    await eventually(() => page.evaluate('document.activeElement?.id')).toBe(await number.getAttribute('id'));
    expect(await card.getByRole('alert').textContent()).toContain('Not saved');
    await screenshot('bad-vat');
    expect((await getCustomer(gbToken)).tax_ids).toEqual([{ type: 'gb_vat', value: 'GB123456789' }]);

    // The form fits a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await screenshot('mobile-billing-details');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    await card.getByRole('button', { name: 'Cancel' }).click();
    expect(await card.getByTestId('billing-tax-ids').textContent()).toBe('UK VAT number GB123456789');
  });
});

describe('reverse charge, for an EU business in another member state', () => {
  it('states the reverse charge on the invoice and in the estimate, with no VAT', async () => {
    const { token } = await api.subscribe('org-tax-de', {
      currency: 'eur',
      address: { city: 'Berlin', country: 'DE' },
      tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    await signIn(token);
    await openTab('Invoices');
    const lines = page.getByTestId('invoice-lines');
    const vat = lines.locator('tfoot tr[data-total="tax"]');
    await eventually(() => vat.locator('th').textContent()).toBe('Reverse charge: VAT to be accounted for by the customer');
    expect(await vat.locator('td').textContent()).toBe('€0.00');
    expect(await page.locator('table.invoices tbody tr').first().getByTestId('invoice-tax').textContent()).toContain('reverse charge');
    await openTab('Dashboard');
    await eventually(() => page.getByTestId('estimated-tax').textContent()).toContain('Reverse charge');
    expect(await page.getByTestId('estimated-tax').locator('td').textContent()).toBe('€0.00');
    await screenshot('reverse-charge');
  });
});

describe('a first subscription without a country', () => {
  it('asks for the country in the subscribe step, refuses to go on without one, and subscribes once it is given', async () => {
    const token = await api.token({ tenantId: 'org-tax-new' });
    await signIn(token);
    await openTab('Subscription');
    await eventually(() => page.getByTestId('tax-location-missing').count()).toBe(1);
    await page.getByLabel('Currency').selectOption('eur');
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    const confirm = page.getByRole('region', { name: 'Subscribe to Starter' });
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    const country = confirm.getByLabel('Country');
    await eventually(() => confirm.locator('#sub-country-error').textContent()).toBe('Choose the country you are billed in.');
    expect(await country.getAttribute('aria-invalid')).toBe('true');
    await screenshot('subscribe-country');

    await country.selectOption('DE');
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await eventually(() => page.getByRole('status').filter({ hasText: 'Subscribed to Starter' }).count()).toBe(1);
    await eventually(() => page.getByTestId('billing-address').textContent()).toBe('Germany');
    expect(await page.getByTestId('tax-location-missing').count()).toBe(0);
    expect(await getCustomer(token)).toMatchObject({ address: { country: 'DE' }, tax_location: 'ok' });
  });

  it('asks again for what Stripe Tax lacks when the stored address cannot be placed (a US one that lost its ZIP code in Stripe)', async () => {
    // The API refuses such an address, but Stripe's own pages (the portal, the Dashboard) may store one.
    const token = await api.token({ tenantId: 'org-tax-us' });
    const saved = await api.call('/customer', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' } } });
    expect(saved.status).toBe(200);
    const [customer] = (await api.stripe.customers.list({ limit: 100 })).data.filter((c) => c.metadata.tenant_id === 'org-tax-us');
    await api.stripe.customers.update(customer?.id ?? '', { address: { country: 'US', postal_code: '' } });
    await api.stack.settle();
    await eventually(async () => (await getCustomer(token)).tax_location).toBe('missing');

    await signIn(token);
    await openTab('Subscription');
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    const confirm = page.getByRole('region', { name: 'Subscribe to Starter' });
    await eventually(() => confirm.getByTestId('tax-location').count()).toBe(1);
    await confirm.getByLabel('Country').selectOption('US');
    await confirm.getByLabel('Postal or ZIP code').fill('94107');
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await eventually(() => page.getByRole('status').filter({ hasText: 'Subscribed to Starter' }).count()).toBe(1);
    expect(await getCustomer(token)).toMatchObject({ address: { country: 'US', postal_code: '94107' }, tax_location: 'ok' });
  });

  it('logged no page error, no console error and no unexpected HTTP error along the way', () => {
    expect(browser.problems).toEqual([]);
  });
});
