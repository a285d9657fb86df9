import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest } from '../errors';
import { EventLog } from '../events/event-log';
import { itemOf, customerIdOf } from '../objects/subscription';
import { emptyState, type StripeState } from '../store';
import type { BillingContext } from './context';
import { changePrice, type ProrationBehavior, renew } from './subscriptions';
import { subscriptionAutomaticTax } from './tax';

export interface PreviewChange {
  readonly price?: Stripe.Price;
  readonly prorationBehavior: ProrationBehavior;
  readonly prorationDate?: number;
  /** `automatic_tax[enabled]` of the preview request; by default the subscription's. */
  readonly automaticTax?: boolean;
}

const idOf = (ref: string | { id: string } | null): string | null => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);

/**
 * `POST /v1/invoices/create_preview` for a subscription: runs the real change on a scratch copy
 * of the customer's state and returns the invoice it would produce, as a draft that is never
 * stored. A change invoiced at once (`always_invoice`, a new interval) previews that invoice;
 * otherwise the preview is the next renewal, with pending prorations swept in.
 */
export const previewInvoice = (ctx: BillingContext, sub: Stripe.Subscription, change: PreviewChange): Stripe.Invoice => {
  const customerId = customerIdOf(sub.customer);
  // Tax rates are the real ones: a rate the preview needs first is created for good (and reused),
  // so the `txr_` ids it shows can be retrieved.
  const state: StripeState = { ...emptyState(), taxRates: ctx.state.taxRates };
  for (const [id, product] of ctx.state.products) state.products.set(id, product);
  for (const [id, price] of ctx.state.prices) state.prices.set(id, price);
  for (const [id, pm] of ctx.state.paymentMethods) if (idOf(pm.customer) === customerId) state.paymentMethods.set(id, clone(pm));
  const customer = ctx.state.customers.get(customerId);
  if (customer) state.customers.set(customerId, clone(customer));
  const copy = clone(sub);
  state.subscriptions.set(copy.id, copy);
  // Whether a schedule phase keeps the customer's discount off, as the real invoice would.
  const meta = ctx.state.subscriptionMeta.get(sub.id);
  if (meta) state.subscriptionMeta.set(sub.id, { ...meta });
  // The customer's invoices and items too: a flexible-mode credit is priced from what the
  // period's invoices debited; and its discounts (the customer's, the subscription's own, whose
  // records name the customer too) apply to the previewed invoice and its prorations, as Stripe's
  // preview "inherits the discount from the subscription or customer".
  for (const [id, ii] of ctx.state.invoiceItems) if (ii.customer === customerId) state.invoiceItems.set(id, clone(ii));
  for (const [id, invoice] of ctx.state.invoices) if (idOf(invoice.customer) === customerId) state.invoices.set(id, clone(invoice));
  for (const [id, coupon] of ctx.state.coupons) state.coupons.set(id, clone(coupon));
  for (const [id, discount] of ctx.state.discounts) if (idOf(discount.customer) === customerId) state.discounts.set(id, clone(discount));
  for (const [id, taxId] of ctx.state.taxIds) if (idOf(taxId.customer) === customerId) state.taxIds.set(id, clone(taxId));
  for (const [id, behavior] of ctx.state.invoiceItemTaxBehavior) if (state.invoiceItems.has(id)) state.invoiceItemTaxBehavior.set(id, behavior);
  if (change.automaticTax !== undefined) copy.automatic_tax = subscriptionAutomaticTax(change.automaticTax);

  let time = ctx.now();
  const scratch: BillingContext = {
    state,
    config: ctx.config,
    now: () => time,
    events: new EventLog(state, () => time, () => false, () => undefined),
  };
  const before = copy.latest_invoice;
  if (change.price)
    changePrice(scratch, copy, change.price, {
      prorationBehavior: change.prorationBehavior,
      ...(change.prorationDate === undefined ? {} : { prorationDate: change.prorationDate }),
      paymentBehavior: 'default_incomplete',
    });
  if (copy.latest_invoice === before) {
    if (copy.status === 'canceled' || copy.status === 'incomplete_expired' || copy.cancel_at_period_end)
      throw invalidRequest(`No upcoming invoices for customer: ${customerId}`, { code: 'invoice_upcoming_none', status: 404 });
    time = itemOf(copy).current_period_end;
    renew(scratch, copy);
  }
  const invoiceId = idOf(copy.latest_invoice);
  const invoice = invoiceId ? state.invoices.get(invoiceId) : undefined;
  if (!invoice) throw invalidRequest(`No upcoming invoices for customer: ${customerId}`, { code: 'invoice_upcoming_none', status: 404 });
  return asPreview(invoice, customer?.balance ?? 0);
};

/** A preview is a draft that was never saved: no number, no payment state, an `upcoming_` id. */
const asPreview = (invoice: Stripe.Invoice, balance: number): Stripe.Invoice => {
  const id = `upcoming_${invoice.id}`;
  const owed = invoice.total + balance;
  return {
    ...invoice,
    id,
    status: 'draft',
    number: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    attempt_count: 0,
    attempted: false,
    next_payment_attempt: null,
    automatically_finalizes_at: null,
    effective_at: null,
    amount_paid: 0,
    amount_due: Math.max(0, owed),
    amount_remaining: Math.max(0, owed),
    starting_balance: balance,
    ending_balance: null,
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    lines: { ...invoice.lines, url: `/v1/invoices/${id}/lines`, data: invoice.lines.data.map((line) => ({ ...line, invoice: id })) },
  };
};
