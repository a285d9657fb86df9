import Stripe from 'stripe';
import { ACCOUNT_COUNTRY, ACCOUNT_NAME } from '../config';
import { allocateDiscount, type DiscountTerms } from '../billing/discount-math';
import { exclusiveTax, inclusiveTax, type LineTax, type LineTaxer } from '../billing/tax-math';
import { newId } from '../ids';

export const newInvoice = (input: {
  id: string;
  customer: Stripe.Customer;
  subscription: Stripe.Subscription | null;
  billingReason: Stripe.Invoice.BillingReason;
  currency: string;
  periodStart: number;
  periodEnd: number;
  autoAdvance: boolean;
  /** When a draft finalizes by itself (subscription drafts: an hour after creation). */
  finalizesAt: number | null;
  description: string | null;
  metadata: Record<string, string>;
  defaultPaymentMethod: string | null;
  now: number;
  /** Default `charge_automatically`; `send_invoice` invoices carry a `due_date`. */
  collectionMethod?: Stripe.Invoice.CollectionMethod;
  dueDate?: number | null;
  /** Stripe Tax computes its tax (`automatic_tax`). */
  automaticTax?: Stripe.Invoice.AutomaticTax;
}): Stripe.Invoice => ({
  id: input.id,
  object: 'invoice',
  account_country: ACCOUNT_COUNTRY,
  account_name: ACCOUNT_NAME,
  account_tax_ids: null,
  amount_due: 0,
  amount_overpaid: 0,
  amount_paid: 0,
  amount_remaining: 0,
  amount_shipping: 0,
  application: null,
  attempt_count: 0,
  attempted: false,
  auto_advance: input.autoAdvance,
  automatic_tax: input.automaticTax ?? { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
  automatically_finalizes_at: input.finalizesAt,
  billing_reason: input.billingReason,
  collection_method: input.collectionMethod ?? 'charge_automatically',
  created: input.now,
  currency: input.currency,
  custom_fields: null,
  customer: input.customer.id,
  customer_account: null,
  customer_address: input.customer.address ? { ...input.customer.address } : null,
  customer_email: input.customer.email,
  customer_name: input.customer.name ?? null,
  customer_phone: input.customer.phone ?? null,
  customer_shipping: null,
  customer_tax_exempt: 'none',
  customer_tax_ids: [],
  default_payment_method: input.defaultPaymentMethod,
  default_source: null,
  default_tax_rates: [],
  description: input.description,
  discounts: [],
  due_date: input.dueDate ?? null,
  effective_at: null,
  ending_balance: null,
  footer: null,
  from_invoice: null,
  hosted_invoice_url: null,
  invoice_pdf: null,
  issuer: { type: 'self' },
  last_finalization_error: null,
  latest_revision: null,
  lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${input.id}/lines` },
  livemode: false,
  metadata: input.metadata,
  next_payment_attempt: null,
  number: null,
  on_behalf_of: null,
  parent: input.subscription
    ? {
        quote_details: null,
        subscription_details: { metadata: { ...input.subscription.metadata }, subscription: input.subscription.id },
        type: 'subscription_details',
      }
    : null,
  payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
  period_end: input.periodEnd,
  period_start: input.periodStart,
  post_payment_credit_notes_amount: 0,
  pre_payment_credit_notes_amount: 0,
  receipt_number: null,
  rendering: null,
  shipping_cost: null,
  shipping_details: null,
  starting_balance: 0,
  statement_descriptor: null,
  status: 'draft',
  status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
  subtotal: 0,
  subtotal_excluding_tax: 0,
  test_clock: typeof input.customer.test_clock === 'string' ? input.customer.test_clock : (input.customer.test_clock?.id ?? null),
  total: 0,
  total_discount_amounts: [],
  total_excluding_tax: 0,
  total_pretax_credit_amounts: [],
  total_taxes: [],
  webhooks_delivered_at: null,
});

const priceDetails = (price: string, product: string, unitAmountDecimal: Stripe.Decimal | null): Stripe.InvoiceLineItem.Pricing => ({
  price_details: { price, product },
  type: 'price_details',
  unit_amount_decimal: unitAmountDecimal,
});

/** A line billing a subscription item for a period (or a proration of it). */
export const subscriptionLine = (input: {
  invoice: string | null;
  subscription: string;
  subscriptionItem: string;
  price: Stripe.Price;
  product: string;
  description: string;
  amount: number;
  periodStart: number;
  periodEnd: number;
  proration: boolean;
  invoiceItem: string | null;
  currency: string;
  /** Units billed (default 1); `amount` is already unit amount × quantity. */
  quantity?: number;
}): Stripe.InvoiceLineItem => ({
  id: newId('il'),
  object: 'line_item',
  amount: input.amount,
  currency: input.currency,
  description: input.description,
  discount_amounts: [],
  discountable: !input.proration,
  discounts: [],
  invoice: input.invoice,
  livemode: false,
  metadata: {},
  parent: {
    invoice_item_details: null,
    subscription_item_details: {
      invoice_item: input.invoiceItem,
      proration: input.proration,
      proration_details: { credited_items: null },
      subscription: input.subscription,
      subscription_item: input.subscriptionItem,
    },
    type: 'subscription_item_details',
  },
  period: { end: input.periodEnd, start: input.periodStart },
  pretax_credit_amounts: [],
  pricing: priceDetails(input.price.id, input.product, input.proration ? Stripe.Decimal.from(input.amount) : input.price.unit_amount_decimal),
  quantity: input.quantity ?? 1,
  quantity_decimal: Stripe.Decimal.from(input.quantity ?? 1),
  subscription: input.subscription,
  subtotal: input.amount,
  taxes: [],
});

const idOf = (ref: string | { id: string } | null): string | null => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);

/** The line an invoice item becomes once an invoice takes it. */
export const lineFromInvoiceItem = (ii: Stripe.InvoiceItem, invoice: string): Stripe.InvoiceLineItem => {
  const subscription = ii.parent?.subscription_details?.subscription ?? null;
  const subscriptionItem = ii.parent?.subscription_details?.subscription_item ?? null;
  const parent: Stripe.InvoiceLineItem.Parent =
    ii.proration && subscription && subscriptionItem
      ? {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: ii.id,
            proration: true,
            proration_details: { credited_items: null },
            subscription,
            subscription_item: subscriptionItem,
          },
          type: 'subscription_item_details',
        }
      : {
          invoice_item_details: { invoice_item: ii.id, proration: ii.proration, proration_details: { credited_items: null }, subscription },
          subscription_item_details: null,
          type: 'invoice_item_details',
        };
  return {
    id: newId('il'),
    object: 'line_item',
    amount: ii.amount,
    currency: ii.currency,
    description: ii.description,
    discount_amounts: [],
    discountable: ii.discountable,
    discounts: [],
    invoice,
    livemode: false,
    metadata: { ...(ii.metadata ?? {}) },
    parent,
    period: { ...ii.period },
    pretax_credit_amounts: [],
    pricing: ii.pricing
      ? {
          ...(ii.pricing.price_details
            ? { price_details: { price: idOf(ii.pricing.price_details.price) ?? '', product: ii.pricing.price_details.product } }
            : {}),
          type: 'price_details',
          unit_amount_decimal: ii.pricing.unit_amount_decimal,
        }
      : null,
    quantity: ii.quantity,
    quantity_decimal: ii.quantity_decimal,
    subscription,
    subtotal: ii.amount,
    taxes: [],
  };
};

export const newInvoiceItem = (input: {
  id: string;
  customer: Stripe.Customer;
  amount: number;
  currency: string;
  description: string | null;
  quantity: number;
  unitAmountDecimal: Stripe.Decimal;
  price: { id: string; product: string } | null;
  periodStart: number;
  periodEnd: number;
  proration: boolean;
  subscription: string | null;
  subscriptionItem: string | null;
  invoice: string | null;
  metadata: Record<string, string>;
  discountable: boolean;
  now: number;
}): Stripe.InvoiceItem => ({
  id: input.id,
  object: 'invoiceitem',
  amount: input.amount,
  currency: input.currency,
  customer: input.customer.id,
  customer_account: null,
  date: input.now,
  description: input.description,
  discountable: input.discountable,
  discounts: [],
  invoice: input.invoice,
  livemode: false,
  metadata: input.metadata,
  net_amount: input.amount,
  parent: input.subscription
    ? {
        subscription_details: {
          subscription: input.subscription,
          ...(input.subscriptionItem ? { subscription_item: input.subscriptionItem } : {}),
        },
        type: 'subscription_details',
      }
    : null,
  period: { end: input.periodEnd, start: input.periodStart },
  pricing: {
    ...(input.price ? { price_details: { price: input.price.id, product: input.price.product } } : {}),
    type: 'price_details',
    unit_amount_decimal: input.unitAmountDecimal,
  },
  proration: input.proration,
  proration_details: { credited_items: null, discount_amounts: [] },
  quantity: input.quantity,
  quantity_decimal: Stripe.Decimal.from(input.quantity),
  tax_rates: [],
  test_clock: typeof input.customer.test_clock === 'string' ? input.customer.test_clock : (input.customer.test_clock?.id ?? null),
});

/** The subscription an invoice bills, if any (`parent.subscription_details.subscription`). */
export const subscriptionIdOf = (invoice: Stripe.Invoice): string | null => idOf(invoice.parent?.subscription_details?.subscription ?? null);

export const invoiceItemSubscriptionOf = (ii: Stripe.InvoiceItem): string | null => ii.parent?.subscription_details?.subscription ?? null;

/** The product a line bills, if it is priced. */
const productOfLine = (line: Stripe.InvoiceLineItem): string | null => line.pricing?.price_details?.product ?? null;

type TaxBehavior = 'exclusive' | 'inclusive';

/** One entry of `line.taxes` (always `tax_rate_details` here). */
const lineTaxEntry = (tax: LineTax, net: number): Stripe.InvoiceLineItem.Tax => {
  const amount = tax.behavior === 'inclusive' ? inclusiveTax(net, tax.basisPoints) : exclusiveTax(net, tax.basisPoints);
  return {
    amount,
    tax_behavior: tax.behavior,
    tax_rate_details: { tax_rate: tax.taxRate },
    taxability_reason: tax.reason,
    taxable_amount: tax.behavior === 'inclusive' ? net - amount : net,
    type: 'tax_rate_details',
  };
};

/** `total_taxes`: the lines' taxes summed per tax rate (and reason and behavior), in line order. */
const aggregateTaxes = (lines: readonly Stripe.InvoiceLineItem[]): Stripe.Invoice.TotalTax[] => {
  const byKey = new Map<string, Stripe.Invoice.TotalTax>();
  for (const tax of lines.flatMap((line) => line.taxes ?? [])) {
    const key = `${tax.tax_rate_details?.tax_rate ?? ''}|${tax.taxability_reason}|${tax.tax_behavior}`;
    const sum = byKey.get(key);
    if (sum) {
      sum.amount += tax.amount;
      sum.taxable_amount = (sum.taxable_amount ?? 0) + (tax.taxable_amount ?? 0);
    } else byKey.set(key, { ...tax, tax_rate_details: tax.tax_rate_details ? { ...tax.tax_rate_details } : null });
  }
  return [...byKey.values()];
};

const taxOfBehavior = (lines: readonly Stripe.InvoiceLineItem[], behavior: TaxBehavior): number =>
  lines.flatMap((line) => line.taxes ?? []).reduce((sum, t) => sum + (t.tax_behavior === behavior ? t.amount : 0), 0);

/**
 * Recomputes the money fields from the lines, the invoice's discounts (applied one after the
 * other in order) and, with automatic tax, each line's tax on its amount after discounts.
 * `subtotal` is before discounts, `total` after discounts with exclusive tax added (inclusive tax
 * is inside the amounts); `total_excluding_tax` leaves all tax out, so `total` is
 * `total_excluding_tax` plus the tax.
 */
export const recomputeTotals = (
  invoice: Stripe.Invoice,
  discounts: readonly DiscountTerms[] = [],
  taxOf: LineTaxer<Stripe.InvoiceLineItem> | null = null,
): void => {
  const subtotal = invoice.lines.data.reduce((sum, line) => sum + line.amount, 0);
  const remaining = invoice.lines.data.map((line) => line.amount);
  for (const line of invoice.lines.data) {
    line.discount_amounts = [];
    line.pretax_credit_amounts = [];
  }
  invoice.total_discount_amounts = [];
  invoice.total_pretax_credit_amounts = [];
  for (const terms of discounts) {
    const shares = allocateDiscount(
      invoice.lines.data.map((line, i) => ({ amount: remaining[i] ?? 0, discountable: line.discountable, product: productOfLine(line) })),
      terms,
      invoice.currency,
    );
    invoice.lines.data.forEach((line, i) => {
      const amount = shares[i] ?? 0;
      remaining[i] = (remaining[i] ?? 0) - amount;
      line.discount_amounts = [...(line.discount_amounts ?? []), { amount, discount: terms.discount }];
      if (amount > 0) line.pretax_credit_amounts = [...(line.pretax_credit_amounts ?? []), { amount, discount: terms.discount, type: 'discount' }];
    });
    const amount = shares.reduce((a, b) => a + b, 0);
    invoice.total_discount_amounts.push({ amount, discount: terms.discount });
    if (amount > 0) invoice.total_pretax_credit_amounts.push({ amount, discount: terms.discount, type: 'discount' });
  }
  // The inclusive tax a line's full amount holds, for `subtotal_excluding_tax` (before discounts).
  let inclusiveBeforeDiscounts = 0;
  invoice.lines.data.forEach((line, i) => {
    const tax = taxOf?.(line);
    line.taxes = tax ? [lineTaxEntry(tax, remaining[i] ?? 0)] : [];
    if (tax?.behavior === 'inclusive') inclusiveBeforeDiscounts += inclusiveTax(line.amount, tax.basisPoints);
  });
  invoice.total_taxes = aggregateTaxes(invoice.lines.data);
  const discounted = subtotal - invoice.total_discount_amounts.reduce((sum, d) => sum + d.amount, 0);
  const inclusive = taxOfBehavior(invoice.lines.data, 'inclusive');
  invoice.subtotal = subtotal;
  invoice.subtotal_excluding_tax = subtotal - inclusiveBeforeDiscounts;
  invoice.total = discounted + taxOfBehavior(invoice.lines.data, 'exclusive');
  invoice.total_excluding_tax = discounted - inclusive;
  if (invoice.status === 'draft') {
    invoice.amount_due = Math.max(0, invoice.total + invoice.starting_balance);
    invoice.amount_remaining = invoice.amount_due;
  }
};

/**
 * The customer's details an invoice shows: Stripe keeps them equal to the customer's until the
 * invoice is finalized, then they stay as they were.
 */
export const snapshotCustomer = (invoice: Stripe.Invoice, customer: Stripe.Customer, taxIds: readonly Stripe.TaxId[]): void => {
  invoice.customer_address = customer.address ? { ...customer.address } : null;
  invoice.customer_email = customer.email;
  invoice.customer_name = customer.name ?? null;
  invoice.customer_phone = customer.phone ?? null;
  invoice.customer_tax_ids = taxIds.map((t) => ({ type: t.type, value: t.value }));
};
