import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';
import { expectJson as body } from '../support/http';

/**
 * Issue 17: billing details and Stripe Tax, end to end (HTTP API, the real `stripe` SDK, the local
 * Stripe endpoint's Stripe Tax, DynamoDB Local). Expected figures come from SPEC 4a by hand: the
 * seller is in IE; GB 20%, DE 19%, FR 20%; US untaxed; an EU business with an eu_vat ID outside
 * IE is reverse charged; tax is per line, rounded half up (away from zero for credits).
 */

let api: TestApi;
beforeAll(async () => {
  // Half past: the hourly overage run then lands within the renewal draft's hour, not at the instant it is finalized.
  api = await startTestApi({ start: new Date('2027-03-01T00:30:00Z') });
});
afterAll(async () => api.stack.stop());

interface Tax {
  amount: number;
  taxable_amount: number;
  percentage: number | null;
  country: string | null;
  jurisdiction: string | null;
  taxability_reason: string | null;
  reverse_charge: boolean;
}
interface Line {
  description: string;
  amount: number;
  kind: string;
  taxes: Tax[];
}
interface Invoice {
  id: string;
  billing_reason: string;
  status: string;
  subtotal: number;
  total_excluding_tax: number;
  tax: number;
  total: number;
  amount_paid: number;
  taxes: Tax[];
  reverse_charge: boolean;
  lines: Line[];
}

/** SPEC 4a's rounding, written here: a percentage of a line, half up, away from zero for credits. */
const taxOf = (amount: number, percent: number): number => Math.sign(amount) * Math.floor((Math.abs(amount) * percent + 50) / 100);

const invoices = async (token: string): Promise<Invoice[]> => {
  const { invoices: list } = await body<{ invoices: { id: string }[] }>(await api.call('/invoices?limit=100', { token }), 200);
  return Promise.all(list.map(async (i) => (await body<{ invoice: Invoice }>(await api.call(`/invoices/${i.id}`, { token }), 200)).invoice));
};

const fieldsOf = async (res: Response): Promise<string[]> => {
  expect(res.status).toBe(400);
  return ((await res.json()) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field);
};

describe('billing details (POST/GET /customer)', () => {
  it('keeps name, email, address and tax IDs on the Stripe customer and answers them back', async () => {
    const token = await api.token({ tenantId: 'org-tax-details' });
    const saved = await body<{ customer: Record<string, unknown> }>(
      await api.call('/customer', {
        method: 'POST',
        token,
        json: {
          name: 'Détails GmbH',
          email: 'billing@details.example',
          address: { line1: 'Unter den Linden 1', city: 'Berlin', postal_code: '10117', country: 'de' },
          tax_ids: [{ type: 'eu_vat', value: 'de 123.456.789' }],
        },
      }),
      200,
    );
    const expected = {
      name: 'Détails GmbH',
      email: 'billing@details.example',
      address: { line1: 'Unter den Linden 1', line2: null, city: 'Berlin', state: null, postal_code: '10117', country: 'DE' },
      tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
      tax_location: 'ok',
    };
    expect(saved.customer).toEqual(expected);
    expect((await body<{ customer: unknown }>(await api.call('/customer', { token }), 200)).customer).toEqual(expected);

    const [customer] = (await api.stripe.customers.list({ limit: 100 })).data.filter((c) => c.metadata.tenant_id === 'org-tax-details');
    expect(customer).toMatchObject({ name: 'Détails GmbH', email: 'billing@details.example', address: { city: 'Berlin', country: 'DE' } });
    const taxIds = await api.stripe.customers.listTaxIds(customer?.id ?? '');
    expect(taxIds.data.map((t) => [t.type, t.value])).toEqual([['eu_vat', 'DE123456789']]);

    // Replacing the list removes what it leaves out; the address moves.
    await body(await api.call('/customer', { method: 'POST', token, json: { address: { country: 'FR', city: 'Paris' }, tax_ids: [] } }), 200);
    expect((await api.stripe.customers.listTaxIds(customer?.id ?? '')).data).toEqual([]);
    expect((await api.stripe.customers.retrieve(customer?.id ?? '')) as { address: unknown }).toMatchObject({ address: { city: 'Paris', country: 'FR' } });
  });

  it('follows details changed in Stripe itself (the portal, the Dashboard) through customer webhooks', async () => {
    const { token } = await api.subscribe('org-tax-portal', { address: { country: 'NL', city: 'Utrecht' } });
    const [customer] = (await api.stripe.customers.list({ limit: 100 })).data.filter((c) => c.metadata.tenant_id === 'org-tax-portal');
    const customerId = customer?.id ?? '';

    await api.stripe.customers.update(customerId, { name: 'Portaal B.V.', address: { line1: 'Domplein 1', city: 'Utrecht', postal_code: '3512 JC', country: 'NL' } });
    await api.stripe.customers.createTaxId(customerId, { type: 'eu_vat', value: 'NL123456789B01' });
    await api.stack.settle();

    expect((await body<{ customer: unknown }>(await api.call('/customer', { token }), 200)).customer).toMatchObject({
      name: 'Portaal B.V.',
      address: { line1: 'Domplein 1', postal_code: '3512 JC', country: 'NL' },
      tax_ids: [{ type: 'eu_vat', value: 'NL123456789B01' }],
    });
  });

  it.each([
    [{ address: { country: 'UK' } }, 'address.country'],
    [{ address: { city: 'Nowhere' } }, 'address.country'],
    [{ address: { country: 'US', postal_code: '123' } }, 'address.postal_code'],
    [{ tax_ids: [{ type: 'eu_vat', value: 'DE12345' }] }, 'tax_ids.0.value'],
    [{ tax_ids: [{ type: 'eu_vat', value: 'XX123456789' }] }, 'tax_ids.0.value'],
    [{ tax_ids: [{ type: 'gb_vat', value: 'GB1234' }] }, 'tax_ids.0.value'],
    [{ tax_ids: [{ type: 'vat', value: 'DE123456789' }] }, 'tax_ids.0.type'],
    [{ email: 'not-an-email' }, 'email'],
  ])('refuses %j with a 400 naming %s, saving nothing', async (json, field) => {
    const token = await api.token({ tenantId: 'org-tax-bad' });
    expect(await fieldsOf(await api.call('/customer', { method: 'POST', token, json }))).toContain(field);
    expect((await body<{ customer: unknown }>(await api.call('/customer', { token }), 200)).customer).toMatchObject({ address: null, tax_ids: [], tax_location: 'missing' });
  });

  it('refuses a subscription without a billing country (400 naming address.country) and makes nothing in Stripe', async () => {
    const token = await api.token({ tenantId: 'org-tax-nowhere' });
    const res = await api.call('/subscriptions/create', { method: 'POST', token, json: { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' } });
    expect(await fieldsOf(res)).toEqual(['address.country']);
    expect((await api.call('/subscriptions/current', { token })).status).toBe(404);
    const mine = (await api.stripe.customers.list({ limit: 100 })).data.filter((c) => c.metadata.tenant_id === 'org-tax-nowhere');
    expect(mine).toEqual([]);
  });
});

describe('Stripe Tax on every invoice', () => {
  it('GB, GBP Starter monthly: 7,900 + 20% = 9,480; the upgrade proration and the month overage are taxed too', async () => {
    const { token } = await api.subscribe('org-tax-gb', { currency: 'gbp', address: { line1: '1 High St', city: 'London', postal_code: 'SW1A 1AA', country: 'GB' } });
    const [first] = await invoices(token);
    expect(first).toMatchObject({ billing_reason: 'subscription_create', status: 'paid', subtotal: 7_900, total_excluding_tax: 7_900, tax: 1_580, total: 9_480, amount_paid: 9_480, reverse_charge: false });
    expect(first?.taxes).toEqual([
      { amount: 1_580, taxable_amount: 7_900, percentage: 20, country: 'GB', jurisdiction: expect.any(String), taxability_reason: 'standard_rated', reverse_charge: false },
    ]);
    expect(first?.lines.map((l) => l.taxes.map((t) => t.amount))).toEqual([[1_580]]);

    // Ten days in: the preview and the upgrade both carry the tax of the proration.
    await api.advanceTo('2027-03-11T00:00:00Z');
    const preview = await body<{ change: { proration_amount: number; tax_amount: number } }>(
      await api.call('/subscriptions/preview', { method: 'POST', token, json: { plan_id: 'professional' } }),
      200,
    );
    const { change } = await body<{ change: { proration_amount: number; tax_amount: number } }>(
      await api.call('/subscriptions/update', { method: 'POST', token, json: { plan_id: 'professional' } }),
      200,
    );
    await api.stack.settle();
    const upgrade = (await invoices(token)).find((i) => i.billing_reason === 'subscription_update');
    expect(upgrade).toBeDefined();
    const prorations = upgrade?.lines.filter((l) => l.kind === 'proration') ?? [];
    expect(prorations.map((l) => Math.sign(l.amount)).sort()).toEqual([-1, 1]);
    for (const line of prorations) expect(line.taxes.map((t) => [t.amount, t.percentage])).toEqual([[taxOf(line.amount, 20), 20]]);
    const expectedTax = (upgrade?.lines ?? []).reduce((sum, l) => sum + taxOf(l.amount, 20), 0);
    expect(upgrade).toMatchObject({ tax: expectedTax, total: (upgrade?.total_excluding_tax ?? 0) + expectedTax });
    expect(change).toEqual(expect.objectContaining({ tax_amount: expectedTax }));
    expect(preview.change).toEqual({ ...preview.change, proration_amount: change.proration_amount, tax_amount: expectedTax });

    // 1,000 API calls over Professional's 100,000: GBP 0.8p each (SPEC 2) = 800, taxed 160 on the renewal.
    await body(await api.call('/usage/track', { method: 'POST', token, json: { resource_type: 'api_calls', usage_amount: 101_000 } }), 202);
    await api.stack.settle();
    await api.advanceTo('2027-04-01T04:00:00Z');
    const renewal = (await invoices(token)).find((i) => i.billing_reason === 'subscription_cycle');
    const overage = renewal?.lines.find((l) => l.kind === 'overage');
    expect(overage).toMatchObject({ amount: 800, taxes: [expect.objectContaining({ amount: 160, percentage: 20, country: 'GB' })] });
    expect(renewal).toMatchObject({ status: 'paid', tax: 4_980 + 160, total: 24_900 + 800 + 4_980 + 160 });
  });

  it('a DE business with an eu_vat ID is reverse charged: tax 0, and the invoice says so', async () => {
    const { token } = await api.subscribe('org-tax-de', {
      currency: 'eur',
      name: 'Beispiel GmbH',
      address: { line1: 'Hauptstr. 5', city: 'München', postal_code: '80331', country: 'DE' },
      tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    const [first] = await invoices(token);
    expect(first).toMatchObject({ subtotal: 9_900, tax: 0, total: 9_900, reverse_charge: true });
    expect(first?.taxes).toEqual([expect.objectContaining({ amount: 0, taxable_amount: 9_900, taxability_reason: 'reverse_charge', reverse_charge: true, country: 'DE' })]);
    const stripeInvoice = await api.stripe.invoices.retrieve(first?.id ?? '');
    expect(stripeInvoice.customer_tax_ids).toEqual([expect.objectContaining({ type: 'eu_vat', value: 'DE123456789' })]);
    const page = await (await fetch(stripeInvoice.hosted_invoice_url ?? '')).text();
    expect(page).toContain('Reverse charge');
  });

  it('a US customer pays no tax; a FR consumer pays 20%', async () => {
    const us = await api.subscribe('org-tax-us', { address: { city: 'Austin', state: 'TX', postal_code: '78701', country: 'US' } });
    const [usInvoice] = await invoices(us.token);
    expect(usInvoice).toMatchObject({ subtotal: 9_900, tax: 0, total: 9_900, reverse_charge: false });
    expect(usInvoice?.taxes.every((t) => t.amount === 0 && t.taxability_reason === 'not_collecting')).toBe(true);

    const fr = await api.subscribe('org-tax-fr', { currency: 'eur', address: { city: 'Lyon', postal_code: '69001', country: 'FR' } });
    const [frInvoice] = await invoices(fr.token);
    expect(frInvoice).toMatchObject({ subtotal: 9_900, tax: 1_980, total: 11_880 });
    expect(frInvoice?.taxes).toEqual([expect.objectContaining({ amount: 1_980, percentage: 20, country: 'FR', taxability_reason: 'standard_rated' })]);
  });
});
