import type Stripe from 'stripe';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { productIdOf } from '../objects/catalog';
import { invoiceItemSubscriptionOf, lineFromInvoiceItem, newInvoice, recomputeTotals, snapshotCustomer, subscriptionLine } from '../objects/invoice';
import { itemOf } from '../objects/subscription';
import { type BillingContext, updateCustomer, updateInvoice } from './context';
import { consumeOnceDiscounts, discountsForNewInvoice, discountTermsOf } from './discounts';
import { formatAmount, formatDate } from './money';
import { recurrenceOf } from './periods';
import { automaticTaxFor, invoiceAutomaticTax, taxIdsOf } from './tax';

/** Stripe keeps one currency per customer, set by its first subscription or invoice item. */
export const checkCurrency = (customer: Stripe.Customer, currency: string, param: string): void => {
  if (customer.currency && customer.currency !== currency)
    throw invalidRequest(
      `You cannot combine currencies on a single customer. This customer has had a subscription, coupon, or invoice item with currency ${customer.currency}`,
      { param },
    );
};

export const adoptCurrency = (ctx: BillingContext, customer: Stripe.Customer, currency: string): void => {
  if (customer.currency) return;
  updateCustomer(ctx, customer, (c) => {
    c.currency = currency;
  });
};

/**
 * Pending invoice items an invoice takes: the subscription's own, plus the customer's items not
 * tied to any subscription (`customerLevel`), oldest first.
 */
export const pendingItems = (
  ctx: BillingContext,
  customer: string,
  currency: string,
  scope: { subscription: string | null; customerLevel: boolean },
): Stripe.InvoiceItem[] =>
  [...ctx.state.invoiceItems.values()].filter((ii) => {
    if (ii.invoice !== null || ii.customer !== customer || ii.currency !== currency) return false;
    const sub = invoiceItemSubscriptionOf(ii);
    if (sub === null) return scope.customerLevel;
    return scope.subscription !== null && sub === scope.subscription;
  });

/** `1 × Starter (at $99.00 / month)`, Stripe's description of a subscription line. */
export const periodDescription = (ctx: BillingContext, price: Stripe.Price, quantity = 1): string => {
  const product = ctx.state.products.get(productIdOf(price));
  const r = recurrenceOf(price);
  const every = r.count === 1 ? r.interval : `every ${r.count} ${r.interval}s`;
  return `${quantity} × ${product?.name ?? productIdOf(price)} (at ${formatAmount(price.unit_amount ?? 0, price.currency)} / ${every})`;
};

export const productName = (ctx: BillingContext, price: Stripe.Price): string =>
  ctx.state.products.get(productIdOf(price))?.name ?? productIdOf(price);

export const prorationDescription = (ctx: BillingContext, kind: 'Unused' | 'Remaining', price: Stripe.Price, at: number): string =>
  `${kind} time on ${productName(ctx, price)} after ${formatDate(at)}`;

/** The line billing a subscription's item for a whole period at its current price. */
export const periodLine = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
  periodStart: number,
  periodEnd: number,
  options: { trial?: boolean } = {},
): Stripe.InvoiceLineItem => {
  const item = itemOf(sub);
  const price = item.price;
  return subscriptionLine({
    invoice: null,
    subscription: sub.id,
    subscriptionItem: item.id,
    price,
    product: productIdOf(price),
    description: options.trial ? `Trial period for ${productName(ctx, price)}` : periodDescription(ctx, price, item.quantity ?? 1),
    amount: options.trial ? 0 : (price.unit_amount ?? 0) * (item.quantity ?? 1),
    quantity: item.quantity ?? 1,
    periodStart,
    periodEnd,
    proration: false,
    invoiceItem: null,
    currency: price.currency,
  });
};

export interface InvoiceSpec {
  readonly id?: string;
  readonly customer: Stripe.Customer;
  readonly subscription: Stripe.Subscription | null;
  readonly billingReason: Stripe.Invoice.BillingReason;
  readonly currency: string;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly autoAdvance: boolean;
  readonly finalizesAt: number | null;
  readonly description?: string | null;
  readonly metadata?: Record<string, string>;
  readonly defaultPaymentMethod?: string | null;
  /** Default `charge_automatically`. */
  readonly collectionMethod?: Stripe.Invoice.CollectionMethod;
  readonly dueDate?: number | null;
  /** Pending invoice items to take; their lines come first. */
  readonly sweep: readonly Stripe.InvoiceItem[];
  /** Lines of the invoice's own (subscription periods). */
  readonly lines: readonly Stripe.InvoiceLineItem[];
  /** Stripe Tax computes the tax; by default as the subscription does (off without one). */
  readonly automaticTax?: boolean;
}

/**
 * Recomputes a draft's money fields: discounts, then (with automatic tax) each line's tax, using
 * the customer's details (address, tax IDs) as they are now, which the draft also shows.
 */
export const recalculate = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  const customerId = typeof invoice.customer === 'string' ? invoice.customer : (invoice.customer?.id ?? null);
  const customer = customerId ? ctx.state.customers.get(customerId) : undefined;
  if (customer && invoice.status === 'draft') snapshotCustomer(invoice, customer, taxIdsOf(ctx.state, customer.id));
  recomputeTotals(invoice, discountTermsOf(ctx, invoice), automaticTaxFor(ctx, invoice));
};

/** Creates a draft invoice, takes the given pending items, emits `invoice.created`. */
export const createInvoice = (ctx: BillingContext, spec: InvoiceSpec): Stripe.Invoice => {
  const id = spec.id ?? newId('in');
  const invoice = newInvoice({
    id,
    customer: spec.customer,
    subscription: spec.subscription,
    billingReason: spec.billingReason,
    currency: spec.currency,
    periodStart: spec.periodStart,
    periodEnd: spec.periodEnd,
    autoAdvance: spec.autoAdvance,
    finalizesAt: spec.finalizesAt,
    description: spec.description ?? null,
    metadata: spec.metadata ?? {},
    defaultPaymentMethod: spec.defaultPaymentMethod ?? null,
    now: ctx.now(),
    collectionMethod: spec.collectionMethod ?? 'charge_automatically',
    dueDate: spec.dueDate ?? null,
    automaticTax: invoiceAutomaticTax(spec.automaticTax ?? spec.subscription?.automatic_tax.enabled ?? false),
  });
  for (const ii of spec.sweep) {
    ii.invoice = id;
    invoice.lines.data.push(lineFromInvoiceItem(ii, id));
  }
  for (const line of spec.lines) invoice.lines.data.push({ ...line, invoice: id });
  // What the subscription bills takes its discounts; an invoice made with `invoices.create` the
  // customer's ("if not specified, inherits the discount from the invoice's customer").
  const discountOwner = spec.billingReason === 'manual' ? null : spec.subscription;
  invoice.discounts = discountsForNewInvoice(ctx, spec.customer, discountOwner);
  recalculate(ctx, invoice);
  ctx.state.invoices.set(id, invoice);
  // Created already discounted, as Stripe does: `invoice.created` shows the totals it will bill.
  ctx.events.emit('invoice.created', invoice);
  consumeOnceDiscounts(ctx, spec.customer, discountOwner, invoice);
  return invoice;
};

/** Adds an invoice item to a draft invoice (`invoice` param of invoice item create). */
export const addItemToDraft = (ctx: BillingContext, invoice: Stripe.Invoice, ii: Stripe.InvoiceItem): void =>
  updateInvoice(ctx, invoice, (inv) => {
    ii.invoice = inv.id;
    inv.lines.data.push(lineFromInvoiceItem(ii, inv.id));
    recalculate(ctx, inv);
  });

/** Removes a deleted invoice item's line from its draft invoice. */
export const removeItemFromDraft = (ctx: BillingContext, invoice: Stripe.Invoice, ii: Stripe.InvoiceItem): void =>
  updateInvoice(ctx, invoice, (inv) => {
    inv.lines.data = inv.lines.data.filter(
      (line) =>
        line.parent?.invoice_item_details?.invoice_item !== ii.id && line.parent?.subscription_item_details?.invoice_item !== ii.id,
    );
    recalculate(ctx, inv);
  });

export const requireDraft = (invoice: Stripe.Invoice, action: string): void => {
  if (invoice.status !== 'draft')
    throw invalidRequest(`You can only ${action} draft invoices. This invoice (${invoice.id}) is ${invoice.status ?? 'deleted'}.`, {
      code: 'invoice_not_editable',
    });
};
