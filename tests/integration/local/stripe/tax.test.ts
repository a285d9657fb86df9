import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../../local/clock';
import { freePort } from '../../../../local/ports';
import { startLocalStripe } from '../../../../local/stripe';
import { DAY, type Harness, HOUR, idOf, raw, START, startHarness } from './harness';

// Stripe Tax as the local endpoint models it (docs/local-stripe.md, "Tax"): the seller is in IE,
// registered in the UK and the EU; tax per line after discounts, rounded half up.

type Address = Stripe.AddressParam;

const ADDRESSES: Readonly<Record<string, Address>> = {
  GB: { line1: '10 Downing Street', city: 'London', postal_code: 'SW1A 2AA', country: 'GB' },
  DE: { line1: 'Unter den Linden 1', city: 'Berlin', postal_code: '10117', country: 'DE' },
  FR: { line1: '1 Rue de Rivoli', city: 'Paris', postal_code: '75001', country: 'FR' },
  IE: { line1: '2 Dame Street', city: 'Dublin', postal_code: 'D02 X285', country: 'IE' },
  US: { line1: '1 Market Street', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' },
};

const customerIn = (stripe: Stripe, address: Address | null, extra: Partial<Stripe.CustomerCreateParams> = {}): Promise<Stripe.Customer> =>
  stripe.customers.create({
    name: 'Acme Ltd',
    email: 'billing@acme.example',
    ...(address ? { address } : {}),
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
    ...extra,
  });

const monthly = async (stripe: Stripe, currency: string, amount: number, key?: string): Promise<Stripe.Price> => {
  await stripe.products.create({ id: `plan_${currency}_${amount}`, name: `Plan ${amount}` });
  return stripe.prices.create({
    product: `plan_${currency}_${amount}`,
    currency,
    unit_amount: amount,
    recurring: { interval: 'month' },
    tax_behavior: 'exclusive',
    ...(key ? { lookup_key: key } : {}),
  });
};

const subscribe = (stripe: Stripe, customer: Stripe.Customer, price: Stripe.Price): Promise<Stripe.Subscription> =>
  stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], automatic_tax: { enabled: true } });

const latestInvoice = (stripe: Stripe, sub: Stripe.Subscription): Promise<Stripe.Invoice> => stripe.invoices.retrieve(idOf(sub.latest_invoice));

/** What the local endpoint charges on a line: amount × rate, half up (away from zero for credits). */
const taxOn = (amount: number, percent: number): number => Math.sign(amount) * Math.round((Math.abs(amount) * percent) / 100);

const rejection = async (promise: Promise<unknown>): Promise<Stripe.errors.StripeError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected a Stripe error');
};

const LOCATION_INVALID = "The customer's location isn't recognized. Set a valid customer address in order to automatically calculate tax.";

describe('local Stripe automatic tax', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  describe('rates by customer location', () => {
    it('adds 20% UK VAT to a GB customer\'s first invoice, charges it, and reuses the rate at renewal', async () => {
      const price = await monthly(h.stripe, 'gbp', 7900);
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const sub = await subscribe(h.stripe, customer, price);
      expect(sub.automatic_tax).toEqual({ enabled: true, disabled_reason: null, liability: { type: 'self' } });

      const invoice = await latestInvoice(h.stripe, sub);
      expect(invoice).toMatchObject({
        status: 'paid',
        subtotal: 7900,
        total_excluding_tax: 7900,
        total: 9480,
        amount_due: 9480,
        amount_paid: 9480,
        account_country: 'IE',
        automatic_tax: { enabled: true, status: 'complete', liability: { type: 'self' }, provider: 'stripe', disabled_reason: null },
        customer_address: { country: 'GB', postal_code: 'SW1A 2AA', line1: '10 Downing Street', city: 'London' },
        customer_name: 'Acme Ltd',
        customer_tax_ids: [],
      });
      const [line] = invoice.lines.data;
      expect(line?.taxes).toEqual([
        {
          amount: 1580,
          tax_behavior: 'exclusive',
          tax_rate_details: { tax_rate: expect.stringMatching(/^txr_/) as unknown },
          taxability_reason: 'standard_rated',
          taxable_amount: 7900,
          type: 'tax_rate_details',
        },
      ]);
      expect(invoice.total_taxes).toEqual(line?.taxes);
      const rateId = line?.taxes?.[0]?.tax_rate_details?.tax_rate ?? '';
      expect(await h.stripe.taxRates.retrieve(rateId)).toMatchObject({
        object: 'tax_rate',
        country: 'GB',
        jurisdiction: 'United Kingdom',
        jurisdiction_level: 'country',
        percentage: 20,
        effective_percentage: 20,
        tax_type: 'vat',
        display_name: 'VAT',
        inclusive: false,
      });
      const charges = await h.stripe.charges.list({ customer: customer.id });
      expect(charges.data.map((c) => c.amount)).toEqual([9480]);

      await h.advanceTo(sub.items.data[0]?.current_period_end ?? 0);
      await h.advance(2 * HOUR);
      const renewal = (await h.stripe.invoices.list({ subscription: sub.id })).data[0];
      expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: 9480, automatic_tax: { enabled: true, status: 'complete' } });
      expect(renewal?.total_taxes?.[0]?.tax_rate_details?.tax_rate).toBe(rateId);
    });

    it('shows the customer\'s tax location with expand[]=tax', async () => {
      const gb = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      expect((await h.stripe.customers.retrieve(gb.id, { expand: ['tax'] })) as Stripe.Customer).toMatchObject({
        tax: { automatic_tax: 'supported', ip_address: null, location: { country: 'GB', source: 'billing_address', state: null }, provider: 'stripe' },
      });
      const us = await customerIn(h.stripe, ADDRESSES.US ?? null);
      expect((await h.stripe.customers.retrieve(us.id, { expand: ['tax'] })) as Stripe.Customer).toMatchObject({
        tax: { automatic_tax: 'not_collecting', location: { country: 'US', state: 'CA' } },
      });
      const nowhere = await customerIn(h.stripe, null, { expand: ['tax'] });
      expect(nowhere.tax).toEqual({ automatic_tax: 'unrecognized_location', ip_address: null, location: null, provider: 'stripe' });
      const noZip = await h.stripe.customers.create({ address: { country: 'US', state: 'NY' }, expand: ['tax'] });
      expect(noZip.tax?.automatic_tax).toBe('unrecognized_location');
      const bogus = await h.stripe.customers.update(gb.id, { address: { country: 'XX' }, expand: ['tax'] });
      expect(bogus.tax?.automatic_tax).toBe('unrecognized_location');
      expect((await h.stripe.customers.list({ expand: ['data.tax'] })).data.map((c) => c.tax?.automatic_tax)).toEqual([
        'unrecognized_location',
        'unrecognized_location',
        'not_collecting',
        'unrecognized_location',
      ]);
    });

    it('reverse charges an EU business in another member state (eu_vat): no tax, "Reverse charge" on the invoice', async () => {
      const price = await monthly(h.stripe, 'eur', 7900);
      const customer = await customerIn(h.stripe, ADDRESSES.DE ?? null, { tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }] });
      const sub = await subscribe(h.stripe, customer, price);
      const invoice = await latestInvoice(h.stripe, sub);
      expect(invoice).toMatchObject({ total: 7900, total_excluding_tax: 7900, amount_paid: 7900, customer_tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }] });
      expect(invoice.total_taxes).toEqual([
        expect.objectContaining({ amount: 0, taxability_reason: 'reverse_charge', taxable_amount: 7900, tax_behavior: 'exclusive' }),
      ]);
      const rate = await h.stripe.taxRates.retrieve(invoice.total_taxes?.[0]?.tax_rate_details?.tax_rate ?? '');
      expect(rate).toMatchObject({ country: 'DE', jurisdiction: 'Germany', percentage: 19, effective_percentage: 0, tax_type: 'vat' });
      const page = await (await fetch(invoice.hosted_invoice_url ?? '')).text();
      expect(page).toContain('Reverse charge');
      expect(page).toContain('Customer tax ID (eu_vat): DE123456789');
      expect(page).toContain('Dublin');
      const pdf = await getDocumentProxy(new Uint8Array(await (await fetch(invoice.invoice_pdf ?? '')).arrayBuffer()));
      expect((await extractText(pdf, { mergePages: true })).text).toContain('Reverse charge');
    });

    it('charges Irish VAT to an Irish business even with an eu_vat ID (no reverse charge at home)', async () => {
      const price = await monthly(h.stripe, 'eur', 10_000);
      const customer = await customerIn(h.stripe, ADDRESSES.IE ?? null, { tax_id_data: [{ type: 'eu_vat', value: 'IE1234567T' }] });
      const invoice = await latestInvoice(h.stripe, await subscribe(h.stripe, customer, price));
      expect(invoice.total).toBe(12_300);
      expect(invoice.total_taxes?.[0]).toMatchObject({ amount: 2300, taxability_reason: 'standard_rated' });
    });

    it('charges a French consumer 20% French VAT (One Stop Shop)', async () => {
      const price = await monthly(h.stripe, 'eur', 1999);
      const customer = await customerIn(h.stripe, ADDRESSES.FR ?? null);
      const invoice = await latestInvoice(h.stripe, await subscribe(h.stripe, customer, price));
      expect(invoice).toMatchObject({ total: 1999 + 400, total_excluding_tax: 1999 });
      expect(invoice.total_taxes?.[0]).toMatchObject({ amount: 400, taxability_reason: 'standard_rated', taxable_amount: 1999 });
      const rate = await h.stripe.taxRates.retrieve(invoice.total_taxes?.[0]?.tax_rate_details?.tax_rate ?? '');
      expect(rate).toMatchObject({ country: 'FR', jurisdiction: 'France', percentage: 20, effective_percentage: 20 });
    });

    it('treats a price with tax_behavior unspecified as exclusive (the local account\'s default)', async () => {
      await h.stripe.products.create({ id: 'legacy', name: 'Legacy' });
      const price = await h.stripe.prices.create({ product: 'legacy', currency: 'gbp', unit_amount: 1000, recurring: { interval: 'month' } });
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const invoice = await latestInvoice(h.stripe, await subscribe(h.stripe, customer, price));
      expect(invoice).toMatchObject({ total: 1200, total_taxes: [expect.objectContaining({ amount: 200, tax_behavior: 'exclusive' })] });
    });

    it('keeps VAT inside an inclusive price: the total is the price', async () => {
      await h.stripe.products.create({ id: 'incl', name: 'Inclusive' });
      const price = await h.stripe.prices.create({ product: 'incl', currency: 'eur', unit_amount: 1999, recurring: { interval: 'month' }, tax_behavior: 'inclusive' });
      const customer = await customerIn(h.stripe, ADDRESSES.DE ?? null);
      const invoice = await latestInvoice(h.stripe, await subscribe(h.stripe, customer, price));
      // 1999 × 19 / 119 = 319.17 -> 319 contained; 1680 net.
      expect(invoice).toMatchObject({ subtotal: 1999, total: 1999, total_excluding_tax: 1680, amount_paid: 1999 });
      expect(invoice.total_taxes).toEqual([expect.objectContaining({ amount: 319, tax_behavior: 'inclusive', taxable_amount: 1680, taxability_reason: 'standard_rated' })]);
      expect((await h.stripe.taxRates.retrieve(invoice.total_taxes?.[0]?.tax_rate_details?.tax_rate ?? '')).inclusive).toBe(true);
    });

    it('collects nothing from a US customer (not registered there)', async () => {
      const price = await monthly(h.stripe, 'usd', 9900);
      const customer = await customerIn(h.stripe, ADDRESSES.US ?? null);
      const invoice = await latestInvoice(h.stripe, await subscribe(h.stripe, customer, price));
      expect(invoice).toMatchObject({ total: 9900, amount_paid: 9900, automatic_tax: { status: 'complete' } });
      expect(invoice.total_taxes).toEqual([expect.objectContaining({ amount: 0, taxability_reason: 'not_collecting', taxable_amount: 9900 })]);
      const rate = await h.stripe.taxRates.retrieve(invoice.total_taxes?.[0]?.tax_rate_details?.tax_rate ?? '');
      expect(rate).toMatchObject({ country: 'US', effective_percentage: 0, tax_type: 'sales_tax' });
    });
  });

  describe('changes and other invoices', () => {
    it('taxes both lines of a proration upgrade, the credit negative, and previews the same', async () => {
      const basic = await monthly(h.stripe, 'gbp', 7900);
      const pro = await monthly(h.stripe, 'gbp', 19_900);
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const sub = await subscribe(h.stripe, customer, basic);
      await h.advance(10 * DAY + 7 * HOUR);
      const itemId = sub.items.data[0]?.id ?? '';
      const change = {
        items: [{ id: itemId, price: pro.id }],
        proration_behavior: 'always_invoice' as const,
        proration_date: h.now(),
      };
      const preview = await h.stripe.invoices.createPreview({
        customer: customer.id,
        subscription: sub.id,
        subscription_details: change,
        automatic_tax: { enabled: true },
      });
      const updated = await h.stripe.subscriptions.update(sub.id, { ...change, automatic_tax: { enabled: true } });
      const invoice = await latestInvoice(h.stripe, updated);

      const [credit = 0, debit = 0, ...rest] = invoice.lines.data.map((l) => l.amount);
      expect(rest).toEqual([]);
      expect(credit).toBeLessThan(0);
      expect(debit).toBeGreaterThan(0);
      expect(invoice.lines.data.map((l) => l.taxes?.[0]?.amount)).toEqual([taxOn(credit, 20), taxOn(debit, 20)]);
      const tax = taxOn(credit, 20) + taxOn(debit, 20);
      expect(invoice.total_taxes).toEqual([expect.objectContaining({ amount: tax, taxable_amount: credit + debit, taxability_reason: 'standard_rated' })]);
      expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid', total: credit + debit + tax });
      expect(invoice.total).toBe((invoice.total_excluding_tax ?? 0) + tax);

      expect(preview.id).toMatch(/^upcoming_/);
      expect(preview.lines.data.map((l) => [l.amount, l.taxes?.[0]?.amount])).toEqual(invoice.lines.data.map((l) => [l.amount, l.taxes?.[0]?.amount]));
      expect(preview).toMatchObject({ total: invoice.total, automatic_tax: { enabled: true, status: 'complete' } });
      // The preview's rate is a real one.
      expect((await h.stripe.taxRates.retrieve(preview.total_taxes?.[0]?.tax_rate_details?.tax_rate ?? '')).percentage).toBe(20);
    });

    it('taxes invoice items on a one-off automatic-tax invoice: exclusive added, inclusive contained', async () => {
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 1234, currency: 'gbp', description: 'Overage', tax_behavior: 'exclusive' });
      await h.stripe.invoiceItems.create({ customer: customer.id, amount: 1200, currency: 'gbp', description: 'Support', tax_behavior: 'inclusive' });
      const draft = await h.stripe.invoices.create({
        customer: customer.id,
        pending_invoice_items_behavior: 'include',
        auto_advance: true,
        automatic_tax: { enabled: true },
      });
      expect(draft.lines.data.map((l) => l.taxes?.[0])).toEqual([
        expect.objectContaining({ amount: 247, tax_behavior: 'exclusive', taxable_amount: 1234 }),
        expect.objectContaining({ amount: 200, tax_behavior: 'inclusive', taxable_amount: 1000 }),
      ]);
      expect(draft).toMatchObject({ status: 'draft', subtotal: 2434, total_excluding_tax: 2234, total: 2434 + 247, amount_due: 2681 });
      const [exclusive, inclusive] = draft.total_taxes ?? [];
      expect(exclusive?.tax_rate_details?.tax_rate).not.toBe(inclusive?.tax_rate_details?.tax_rate);
      expect((await h.stripe.taxRates.retrieve(inclusive?.tax_rate_details?.tax_rate ?? '')).inclusive).toBe(true);

      await h.advance(2 * HOUR);
      expect(await h.stripe.invoices.retrieve(draft.id)).toMatchObject({ status: 'paid', amount_paid: 2681 });
    });

    it('taxes a discounted line on its amount after the discount', async () => {
      const price = await monthly(h.stripe, 'gbp', 7900);
      const coupon = await h.stripe.coupons.create({ percent_off: 25, duration: 'forever' });
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      await raw(h, 'POST', `/v1/customers/${customer.id}`, `coupon=${coupon.id}`);
      const invoice = await latestInvoice(h.stripe, await subscribe(h.stripe, customer, price));
      // 7900 - 1975 = 5925; 20% = 1185.
      expect(invoice).toMatchObject({ subtotal: 7900, total_excluding_tax: 5925, total: 5925 + 1185 });
      expect(invoice.total_taxes?.[0]).toMatchObject({ amount: 1185, taxable_amount: 5925 });
    });

    it('taxes the final invoice of a cancel with invoice_now like the subscription', async () => {
      const basic = await monthly(h.stripe, 'gbp', 7900);
      const pro = await monthly(h.stripe, 'gbp', 19_900);
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const sub = await subscribe(h.stripe, customer, basic);
      await h.advance(5 * DAY);
      await h.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]?.id ?? '', price: pro.id }], proration_behavior: 'create_prorations' });
      const canceled = await h.stripe.subscriptions.cancel(sub.id, { invoice_now: true, prorate: false });
      expect(canceled.status).toBe('canceled');
      const final = (await h.stripe.invoices.list({ subscription: sub.id })).data[0];
      const amounts = final?.lines.data.map((l) => l.amount) ?? [];
      expect(amounts).toHaveLength(2);
      expect(final).toMatchObject({ automatic_tax: { enabled: true, status: 'complete' } });
      expect(final?.total).toBe(amounts.reduce((sum, a) => sum + a + taxOn(a, 20), 0));
    });

    it('keeps automatic tax across a schedule\'s phases', async () => {
      const basic = await monthly(h.stripe, 'gbp', 7900);
      const pro = await monthly(h.stripe, 'gbp', 19_900);
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const schedule = await h.stripe.subscriptionSchedules.create({
        customer: customer.id,
        start_date: 'now',
        end_behavior: 'release',
        phases: [
          { items: [{ price: basic.id }], duration: { interval: 'month' }, automatic_tax: { enabled: true } },
          { items: [{ price: pro.id }], duration: { interval: 'month' }, automatic_tax: { enabled: true } },
        ],
      });
      expect(schedule.phases.map((p) => p.automatic_tax?.enabled)).toEqual([true, true]);
      const subId = idOf(schedule.subscription);
      const first = await latestInvoice(h.stripe, await h.stripe.subscriptions.retrieve(subId));
      expect(first.total).toBe(9480);
      await h.advanceTo((await h.stripe.subscriptions.retrieve(subId)).items.data[0]?.current_period_end ?? 0);
      await h.advance(2 * HOUR);
      const sub = await h.stripe.subscriptions.retrieve(subId);
      expect(sub.automatic_tax.enabled).toBe(true);
      const renewal = await latestInvoice(h.stripe, sub);
      expect(renewal).toMatchObject({ status: 'paid', subtotal: 19_900, total: 19_900 + 3980 });
    });
  });

  describe('customers without a usable location', () => {
    it('refuses automatic tax with customer_tax_location_invalid (subscription, invoice, preview)', async () => {
      const price = await monthly(h.stripe, 'gbp', 7900);
      const customer = await customerIn(h.stripe, null);
      const onCreate = await rejection(subscribe(h.stripe, customer, price));
      expect(onCreate).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', code: 'customer_tax_location_invalid', message: LOCATION_INVALID });
      expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
      const onInvoice = await rejection(h.stripe.invoices.create({ customer: customer.id, automatic_tax: { enabled: true } }));
      expect(onInvoice.code).toBe('customer_tax_location_invalid');

      // Without automatic tax the subscription is fine; turning it on later is refused, and so is its preview.
      const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      expect((await latestInvoice(h.stripe, sub)).total_taxes).toEqual([]);
      expect((await rejection(h.stripe.subscriptions.update(sub.id, { automatic_tax: { enabled: true } }))).code).toBe('customer_tax_location_invalid');
      const preview = await rejection(h.stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id, automatic_tax: { enabled: true } }));
      expect(preview.code).toBe('customer_tax_location_invalid');
    });

    it('refuses to drop the address of a customer with an automatic-tax subscription (tax[validate_location]=auto)', async () => {
      const price = await monthly(h.stripe, 'gbp', 7900);
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      await subscribe(h.stripe, customer, price);
      const refused = await rejection(h.stripe.customers.update(customer.id, { address: '' }));
      expect(refused).toMatchObject({ code: 'customer_tax_location_invalid', param: 'address' });
      expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ address: { country: 'GB' } });
      const immediately = await rejection(h.stripe.customers.create({ address: { country: 'ZZ' }, tax: { validate_location: 'immediately' } }));
      expect(immediately.code).toBe('customer_tax_location_invalid');
    });

    it('does not finalize a renewal while the location is missing, then does once it is fixed', async () => {
      const price = await monthly(h.stripe, 'gbp', 7900);
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const sub = await subscribe(h.stripe, customer, price);
      await h.stripe.customers.update(customer.id, { address: '', tax: { validate_location: 'deferred' } });
      await h.advanceTo(sub.items.data[0]?.current_period_end ?? 0);
      await h.advance(2 * HOUR);
      const renewal = await latestInvoice(h.stripe, await h.stripe.subscriptions.retrieve(sub.id));
      expect(renewal).toMatchObject({
        status: 'draft',
        automatic_tax: { enabled: true, status: 'requires_location_inputs' },
        last_finalization_error: { code: 'customer_tax_location_invalid', type: 'invalid_request_error', message: LOCATION_INVALID },
        total_taxes: [],
      });
      expect(h.receiver.ofType('invoice.finalization_failed').map((e) => e.data.object.id)).toEqual([renewal.id]);
      expect((await rejection(h.stripe.invoices.finalizeInvoice(renewal.id))).code).toBe('customer_tax_location_invalid');

      await h.stripe.customers.update(customer.id, { address: ADDRESSES.GB ?? {} });
      await h.advance(60_000);
      expect(await h.stripe.invoices.retrieve(renewal.id)).toMatchObject({
        status: 'paid',
        total: 9480,
        last_finalization_error: null,
        automatic_tax: { status: 'complete' },
        customer_address: { country: 'GB' },
      });
    });
  });

  describe('customer tax IDs', () => {
    it('creates, lists, retrieves and deletes tax IDs with their events', async () => {
      const customer = await customerIn(h.stripe, ADDRESSES.DE ?? null);
      const vat = await h.stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'DE123456789' });
      expect(vat).toEqual({
        id: expect.stringMatching(/^txi_/) as unknown,
        object: 'tax_id',
        country: 'DE',
        created: h.now(),
        customer: customer.id,
        customer_account: null,
        livemode: false,
        owner: { type: 'customer', customer: customer.id, customer_account: null },
        type: 'eu_vat',
        value: 'DE123456789',
        verification: { status: 'pending', verified_address: null, verified_name: null },
      });
      const greek = await h.stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'EL123456789' });
      expect(greek.country).toBe('GR');
      const ein = await h.stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '12-3456789' });
      expect(ein).toMatchObject({ country: 'US', verification: { status: 'unavailable' } });
      expect((await h.stripe.customers.listTaxIds(customer.id)).data.map((t) => t.id)).toEqual([ein.id, greek.id, vat.id]);
      expect(await h.stripe.customers.retrieveTaxId(customer.id, vat.id)).toEqual(vat);
      const withIds = (await h.stripe.customers.retrieve(customer.id, { expand: ['tax_ids'] })) as Stripe.Customer;
      expect(withIds.tax_ids?.data.map((t) => t.value)).toEqual(['12-3456789', 'EL123456789', 'DE123456789']);

      expect(await h.stripe.customers.deleteTaxId(customer.id, greek.id)).toEqual({ id: greek.id, object: 'tax_id', deleted: true });
      expect((await rejection(h.stripe.customers.retrieveTaxId(customer.id, greek.id))).statusCode).toBe(404);
      await h.local.idle();
      expect(h.receiver.ofType('customer.tax_id.created').map((e) => e.data.object.id)).toEqual([vat.id, greek.id, ein.id]);
      expect(h.receiver.ofType('customer.tax_id.deleted').map((e) => e.data.object.id)).toEqual([greek.id]);
    });

    it('accepts the documented formats', async () => {
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const valid: [Stripe.CustomerCreateTaxIdParams.Type, string][] = [
        ['eu_vat', 'FRAB123456789'],
        ['eu_vat', 'NL123456789B01'],
        ['eu_vat', 'ATU12345678'],
        ['eu_vat', 'BE0123456789'],
        ['eu_vat', 'ESA1234567B'],
        ['eu_vat', 'IT12345678901'],
        ['eu_vat', 'IE1234567WA'],
        ['gb_vat', 'GB123456789'],
        ['gb_vat', 'GB123456789012'],
        ['ch_vat', 'CHE-123.456.789 MWST'],
        ['no_vat', '123456789MVA'],
        ['us_ein', '123456789'],
        ['au_abn', '12 345 678 912'],
        ['ca_bn', '123456789'],
        ['jp_trn', 'T1234567891234'],
      ];
      for (const [type, value] of valid) expect((await h.stripe.customers.createTaxId(customer.id, { type, value })).value).toBe(value);
    });

    it('refuses malformed values with tax_id_invalid and unknown types on type', async () => {
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const invalid: [Stripe.CustomerCreateTaxIdParams.Type, string][] = [
        ['eu_vat', 'DE12345678'],
        ['eu_vat', 'GR123456789'],
        ['eu_vat', 'US123456789'],
        ['eu_vat', 'NL123456789'],
        ['eu_vat', 'FR123456789'],
        ['gb_vat', 'GB1234567'],
        ['gb_vat', '123456789'],
        ['ch_vat', 'CHE-123.456.789'],
        ['no_vat', '123456789'],
        ['us_ein', '12-345678'],
        ['au_abn', '1234567891'],
        ['ca_bn', '12345678'],
      ];
      for (const [type, value] of invalid)
        expect(await rejection(h.stripe.customers.createTaxId(customer.id, { type, value }))).toMatchObject({
          statusCode: 400,
          type: 'StripeInvalidRequestError',
          code: 'tax_id_invalid',
          param: 'value',
          message: `Invalid value for ${type}.`,
        });
      const unknownType = await rejection(h.stripe.customers.createTaxId(customer.id, { type: 'xx_vat', value: '1' }));
      expect(unknownType).toMatchObject({ statusCode: 400, param: 'type' });
      expect((await h.stripe.customers.listTaxIds(customer.id)).data).toHaveLength(0);
    });

    it('validates tax_id_data on customer create before creating anything', async () => {
      const refused = await rejection(
        h.stripe.customers.create({ name: 'Bad VAT', tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }, { type: 'eu_vat', value: 'DE1' }] }),
      );
      expect(refused).toMatchObject({ code: 'tax_id_invalid', param: 'tax_id_data[1][value]', message: 'Invalid value for eu_vat.' });
      expect((await h.stripe.customers.list()).data).toHaveLength(0);
    });
  });

  describe('prices', () => {
    it('moves a lookup key with transfer_lookup_key; the old price and its subscriptions stay', async () => {
      const old = await monthly(h.stripe, 'gbp', 7900, 'pro_monthly');
      const customer = await customerIn(h.stripe, ADDRESSES.GB ?? null);
      const sub = await subscribe(h.stripe, customer, old);
      await h.stripe.products.create({ id: 'pro_2027', name: 'Pro 2027' });
      const next = await h.stripe.prices.create({
        product: 'pro_2027',
        currency: 'gbp',
        unit_amount: 8900,
        recurring: { interval: 'month' },
        tax_behavior: 'exclusive',
        lookup_key: 'pro_monthly',
        transfer_lookup_key: true,
      });
      expect((await h.stripe.prices.list({ lookup_keys: ['pro_monthly'] })).data.map((p) => p.id)).toEqual([next.id]);
      expect(await h.stripe.prices.retrieve(old.id)).toMatchObject({ lookup_key: null, active: true, tax_behavior: 'exclusive' });
      expect((await h.stripe.subscriptions.retrieve(sub.id)).items.data[0]?.price.id).toBe(old.id);
      await h.local.idle();
      const moved = h.receiver.ofType('price.updated').find((e) => e.data.object.id === old.id);
      expect(moved?.data.previous_attributes).toEqual({ lookup_key: 'pro_monthly' });
      const without = await rejection(
        h.stripe.prices.create({ product: 'pro_2027', currency: 'gbp', unit_amount: 1, recurring: { interval: 'month' }, lookup_key: 'pro_monthly' }),
      );
      expect(without).toMatchObject({ statusCode: 400, param: 'lookup_key' });
    });

    it('sets tax_behavior once: from unspecified only', async () => {
      await h.stripe.products.create({ id: 'p', name: 'P' });
      const price = await h.stripe.prices.create({ product: 'p', currency: 'gbp', unit_amount: 100 });
      expect(price.tax_behavior).toBe('unspecified');
      expect((await h.stripe.prices.update(price.id, { tax_behavior: 'exclusive' })).tax_behavior).toBe('exclusive');
      expect((await h.stripe.prices.update(price.id, { tax_behavior: 'exclusive' })).tax_behavior).toBe('exclusive');
      expect(await rejection(h.stripe.prices.update(price.id, { tax_behavior: 'inclusive' }))).toMatchObject({ statusCode: 400, param: 'tax_behavior' });
    });
  });
});

describe('local Stripe tax state across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-stripe-tax-'));
  const stateFile = join(dir, 'stripe.json');
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps tax IDs, addresses and the automatic tax rates in the state file', async () => {
    const start = async () => {
      const clock = new SimulatedClock({ frozen: true, start: START });
      const local = await startLocalStripe({ port: await freePort(), clock, stateFile });
      clock.register(local.participant);
      return { clock, local, stripe: new Stripe('sk_test_local', { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 }) };
    };
    const first = await start();
    const price = await monthly(first.stripe, 'eur', 1000);
    const customer = await customerIn(first.stripe, ADDRESSES.FR ?? null, { tax_id_data: [{ type: 'eu_vat', value: 'FRAB123456789' }] });
    const ie = await customerIn(first.stripe, ADDRESSES.IE ?? null);
    const sub = await subscribe(first.stripe, ie, price);
    const rateId = (await first.stripe.invoices.retrieve(idOf(sub.latest_invoice))).total_taxes?.[0]?.tax_rate_details?.tax_rate ?? '';
    await first.local.close();

    const second = await start();
    try {
      expect((await second.stripe.customers.listTaxIds(customer.id)).data.map((t) => [t.type, t.value])).toEqual([['eu_vat', 'FRAB123456789']]);
      expect((await second.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ address: { country: 'FR' } });
      expect(await second.stripe.taxRates.retrieve(rateId)).toMatchObject({ country: 'IE', percentage: 23 });
      await second.clock.advanceBy(32 * DAY);
      const renewal = (await second.stripe.invoices.list({ subscription: sub.id })).data[0];
      expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: 1230 });
      expect(renewal?.total_taxes?.[0]?.tax_rate_details?.tax_rate).toBe(rateId);
    } finally {
      await second.local.close();
    }
  });
});
