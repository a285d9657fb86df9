import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { fromUnix, lineKind, scheduledPriceChange, toBillingDetails, toEvent, toTax } from '../../../../src/adapters/stripe/mappers';

// Only the fields the mappers read; the SDK's types describe whole API objects.
const line = (fields: object) => fields as unknown as Stripe.InvoiceLineItem;
const PERIOD_END = 1_769_904_000; // 2026-02-01

const subscription = (phases: { start_date: number; price: string }[] | null) =>
  ({
    id: 'sub_1',
    items: { data: [{ id: 'si_1', price: { id: 'price_pro' }, current_period_start: PERIOD_END - 31 * 86_400, current_period_end: PERIOD_END }] },
    schedule: phases ? { id: 'sub_sched_1', phases: phases.map((p) => ({ start_date: p.start_date, items: [{ price: p.price }] })) } : null,
  }) as unknown as Stripe.Subscription;

describe('lineKind', () => {
  it.each([
    ['our overage item', { metadata: { kind: 'overage' }, parent: null }, 'overage'],
    ['the subscription fee', { metadata: {}, parent: { subscription_item_details: { proration: false } } }, 'subscription'],
    ['a price change credit', { metadata: {}, parent: { subscription_item_details: { proration: true } } }, 'proration'],
    ['a prorated invoice item', { metadata: {}, parent: { invoice_item_details: { proration: true } } }, 'proration'],
    ['anything else', { metadata: {}, parent: null }, 'other'],
  ])('calls %s %s', (_, fields, kind) => {
    expect(lineKind(line(fields))).toBe(kind);
  });
});

describe('scheduledPriceChange', () => {
  it('finds the price the schedule switches to at period end', () => {
    const sub = subscription([
      { start_date: PERIOD_END - 31 * 86_400, price: 'price_pro' },
      { start_date: PERIOD_END, price: 'price_starter' },
    ]);
    expect(scheduledPriceChange(sub)).toEqual({ priceId: 'price_starter', effectiveAt: fromUnix(PERIOD_END) });
  });

  it('is null without a schedule, or when the next phase keeps the price', () => {
    expect(scheduledPriceChange(subscription(null))).toBeNull();
    expect(scheduledPriceChange(subscription([{ start_date: PERIOD_END, price: 'price_pro' }]))).toBeNull();
  });
});

describe('toEvent', () => {
  it('keeps what we act on: the object kind and id, and its customer', () => {
    const event = { id: 'evt_1', type: 'invoice.paid', created: PERIOD_END, data: { object: { object: 'invoice', id: 'in_1', customer: 'cus_1' } } } as unknown as Stripe.Event;
    expect(toEvent(event)).toEqual({ id: 'evt_1', type: 'invoice.paid', createdAt: fromUnix(PERIOD_END), object: { kind: 'invoice', id: 'in_1' }, customerId: 'cus_1' });
  });

  const event = (type: string, object: Record<string, unknown>, previous?: Record<string, unknown>) =>
    ({ id: 'evt_1', type, created: PERIOD_END, data: { object, ...(previous ? { previous_attributes: previous } : {}) } }) as unknown as Stripe.Event;

  it.each([
    ['setup_intent.succeeded', { object: 'setup_intent', id: 'seti_1', customer: 'cus_1' }, { kind: 'card', id: 'seti_1' }],
    ['setup_intent.created', { object: 'setup_intent', id: 'seti_1', customer: 'cus_1' }, { kind: 'other', id: 'seti_1' }],
    ['checkout.session.completed', { object: 'checkout.session', id: 'cs_1', mode: 'setup', setup_intent: 'seti_9', customer: 'cus_1' }, { kind: 'card', id: 'seti_9' }],
    ['checkout.session.completed', { object: 'checkout.session', id: 'cs_2', mode: 'payment', setup_intent: null, customer: 'cus_1' }, { kind: 'other', id: 'cs_2' }],
    ['payment_method.updated', { object: 'payment_method', id: 'pm_1', customer: 'cus_1' }, { kind: 'payment_method', id: 'pm_1' }],
    ['customer.updated', { object: 'customer', id: 'cus_1' }, { kind: 'customer', id: 'cus_1' }],
    ['customer.tax_id.created', { object: 'tax_id', id: 'txi_1', customer: 'cus_1' }, { kind: 'customer', id: 'cus_1' }],
  ])('knows what %s is about', (type, object, subject) => {
    expect(toEvent(event(type, object))).toMatchObject({ object: subject, customerId: 'cus_1' });
  });

  it('finds the customer of a detached payment method in the previous attributes', () => {
    expect(toEvent(event('payment_method.detached', { object: 'payment_method', id: 'pm_1', customer: null }, { customer: 'cus_7' })).customerId).toBe('cus_7');
  });
});

describe('toTax', () => {
  const rates = new Map([
    ['txr_gb', { id: 'txr_gb', percentage: 20, effective_percentage: 20, country: 'GB', jurisdiction: 'United Kingdom' }],
    ['txr_de_rc', { id: 'txr_de_rc', percentage: 19, effective_percentage: 0, country: 'DE', jurisdiction: 'Germany' }],
  ]) as unknown as Map<string, Stripe.TaxRate>;

  it('reads the rate actually applied and where, from the tax rate it names', () => {
    expect(toTax({ amount: 1_580, taxable_amount: 7_900, taxability_reason: 'standard_rated', tax_rate_details: { tax_rate: 'txr_gb' } }, rates)).toEqual({
      amount: 1_580,
      taxableAmount: 7_900,
      percentage: 20,
      country: 'GB',
      jurisdiction: 'United Kingdom',
      reason: 'standard_rated',
      reverseCharge: false,
    });
  });

  it('flags a reverse charge, at the effective rate of 0', () => {
    expect(toTax({ amount: 0, taxable_amount: 9_900, taxability_reason: 'reverse_charge', tax_rate_details: { tax_rate: 'txr_de_rc' } }, rates)).toMatchObject({ percentage: 0, reverseCharge: true, country: 'DE' });
  });

  it('says nothing of a rate it was not given', () => {
    expect(toTax({ amount: 5, taxable_amount: 25, taxability_reason: 'not_collecting', tax_rate_details: null }, rates)).toMatchObject({ percentage: null, country: null, jurisdiction: null });
  });
});

describe('toBillingDetails', () => {
  it('turns empty strings into nulls, no country into no address, and leaves out tax ID types we do not take', () => {
    const customer = { name: '', email: 'a@b.example', address: { line1: 'x', line2: '', city: null, state: null, postal_code: null, country: 'DE' } } as unknown as Stripe.Customer;
    const taxIds = [{ type: 'eu_vat', value: 'DE123456789' }, { type: 'br_cnpj', value: '01.234.456/5432-10' }] as unknown as Stripe.TaxId[];
    expect(toBillingDetails(customer, taxIds)).toEqual({
      name: null,
      email: 'a@b.example',
      address: { line1: 'x', line2: null, city: null, state: null, postal_code: null, country: 'DE' },
      tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    expect(toBillingDetails({ ...customer, address: null } as Stripe.Customer, []).address).toBeNull();
  });
});
