import type Stripe from 'stripe';
import { SECONDS } from '../config';
import { cardDeclined, invalidRequest, type StripeApiError } from '../errors';
import { defaultPaymentMethodOf } from '../objects/customer';
import { testCardOf } from '../objects/payment-method';
import { subscriptionIdOf } from '../objects/invoice';
import { type BillingContext, updateCustomer, updateInvoice, updateSubscription } from './context';
import { endSubscription } from './ending';

const idOf = (ref: string | { id: string } | null): string | null => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);

export const subscriptionOf = (ctx: BillingContext, invoice: Stripe.Invoice): Stripe.Subscription | undefined => {
  const id = subscriptionIdOf(invoice);
  return id ? ctx.state.subscriptions.get(id) : undefined;
};

const customerOf = (ctx: BillingContext, invoice: Stripe.Invoice): Stripe.Customer | undefined => {
  const id = idOf(invoice.customer);
  return id ? ctx.state.customers.get(id) : undefined;
};

/**
 * The payment method a charge uses, in Stripe's order: the invoice's default, the
 * subscription's default, then the customer's `invoice_settings.default_payment_method`.
 */
export const paymentMethodFor = (ctx: BillingContext, invoice: Stripe.Invoice, override?: string): string | null => {
  if (override) return override;
  const fromInvoice = idOf(invoice.default_payment_method);
  if (fromInvoice) return fromInvoice;
  const sub = subscriptionOf(ctx, invoice);
  const fromSub = sub ? idOf(sub.default_payment_method) : null;
  if (fromSub) return fromSub;
  const customer = customerOf(ctx, invoice);
  return customer ? defaultPaymentMethodOf(customer) : null;
};

export type ChargeCheck = { readonly ok: true } | { readonly ok: false; readonly error: StripeApiError };

export const NO_PAYMENT_METHOD =
  'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority.';

/** Would charging this payment method for this customer succeed? (No state changes.) */
export const checkCharge = (ctx: BillingContext, customer: string, paymentMethod: string | null): ChargeCheck => {
  if (!paymentMethod) return { ok: false, error: invalidRequest(NO_PAYMENT_METHOD) };
  const pm = ctx.state.paymentMethods.get(paymentMethod);
  if (!pm || idOf(pm.customer) !== customer)
    return {
      ok: false,
      error: invalidRequest(
        `The customer does not have a payment method with the ID ${paymentMethod}. The payment method must be attached to the customer.`,
        { param: 'payment_method' },
      ),
    };
  const card = testCardOf(pm);
  if (card && card.behavior !== 'succeeds')
    return { ok: false, error: cardDeclined({ ...(card.declineCode ? { declineCode: card.declineCode } : {}), ...(card.message ? { message: card.message } : {}) }) };
  return { ok: true };
};

/**
 * Draft -> open: assigns the number, applies the customer's credit balance, and pays a zero
 * invoice at once. Payment of anything owed is the caller's choice (`collect`).
 */
export const finalizeInvoice = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  const customer = customerOf(ctx, invoice);
  const now = ctx.now();
  if (customer) {
    const sequence = customer.next_invoice_sequence ?? 1;
    customer.next_invoice_sequence = sequence + 1;
    invoice.number = `${customer.invoice_prefix ?? 'LOCAL'}-${String(sequence).padStart(4, '0')}`;
    const starting = customer.balance;
    const owed = invoice.total + starting;
    invoice.starting_balance = starting;
    invoice.ending_balance = Math.min(0, owed);
    invoice.amount_due = Math.max(0, owed);
    if (customer.balance !== invoice.ending_balance)
      updateCustomer(ctx, customer, (c) => {
        c.balance = invoice.ending_balance ?? 0;
      });
  } else {
    invoice.ending_balance = 0;
    invoice.amount_due = Math.max(0, invoice.total);
  }
  invoice.amount_remaining = invoice.amount_due;
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = now;
  invoice.automatically_finalizes_at = null;
  invoice.hosted_invoice_url = `${ctx.config.baseUrl}/invoices/${invoice.id}/hosted`;
  invoice.invoice_pdf = `${ctx.config.baseUrl}/invoices/${invoice.id}/pdf`;
  invoice.next_payment_attempt = invoice.auto_advance && invoice.amount_due > 0 ? now : null;
  ctx.events.emit('invoice.finalized', invoice);
  if (invoice.amount_due === 0) markPaid(ctx, invoice);
};

/** Open -> paid, then the subscription it bills is active again if nothing else is owed. */
export const markPaid = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  invoice.status = 'paid';
  invoice.attempted = true;
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = ctx.now();
  ctx.events.emit('invoice.paid', invoice);
  ctx.events.emit('invoice.payment_succeeded', invoice);
  const sub = subscriptionOf(ctx, invoice);
  if (!sub || !['past_due', 'unpaid', 'incomplete'].includes(sub.status)) return;
  const stillOwed = [...ctx.state.invoices.values()].some(
    (other) => other.id !== invoice.id && other.status === 'open' && other.amount_remaining > 0 && subscriptionIdOf(other) === sub.id,
  );
  if (!stillOwed)
    updateSubscription(ctx, sub, (s) => {
      s.status = 'active';
    });
};

export const markUncollectible = (
  ctx: BillingContext,
  invoice: Stripe.Invoice,
  reason: Stripe.Invoice.StatusDetails.Uncollectible.Reason,
): void => {
  invoice.status = 'uncollectible';
  invoice.status_details = { uncollectible: { reason } };
  invoice.status_transitions.marked_uncollectible_at = ctx.now();
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  ctx.events.emit('invoice.marked_uncollectible', invoice);
};

export const voidInvoice = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  invoice.status = 'void';
  invoice.status_transitions.voided_at = ctx.now();
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  invoice.amount_remaining = 0;
  ctx.events.emit('invoice.voided', invoice);
};

/**
 * One payment attempt. `automatic` attempts (Stripe's own collection) follow the retry
 * schedule and end in the final-failure policy; manual ones (`POST /invoices/:id/pay`) only
 * count.
 */
export const attemptPayment = (
  ctx: BillingContext,
  invoice: Stripe.Invoice,
  options: { automatic: boolean; paymentMethod?: string },
): ChargeCheck => {
  const customer = idOf(invoice.customer) ?? '';
  const check = checkCharge(ctx, customer, paymentMethodFor(ctx, invoice, options.paymentMethod));
  invoice.attempt_count += 1;
  invoice.attempted = true;
  if (check.ok) {
    markPaid(ctx, invoice);
    return check;
  }
  onFailure(ctx, invoice, options.automatic);
  return check;
};

const onFailure = (ctx: BillingContext, invoice: Stripe.Invoice, automatic: boolean): void => {
  const sub = subscriptionOf(ctx, invoice);
  const retries = ctx.config.retryDays;
  const wait = retries[invoice.attempt_count - 1];
  const firstOfIncomplete = sub?.status === 'incomplete';
  const final = automatic && !firstOfIncomplete && wait === undefined;
  if (automatic) invoice.next_payment_attempt = firstOfIncomplete || wait === undefined ? null : ctx.now() + wait * SECONDS.day;
  ctx.events.emit('invoice.payment_failed', invoice);
  if (final) {
    if (ctx.config.finalInvoiceStatus === 'uncollectible') markUncollectible(ctx, invoice, 'max_payment_attempts');
    else if (invoice.auto_advance)
      updateInvoice(ctx, invoice, (inv) => {
        inv.auto_advance = false;
      });
  }
  if (!sub || firstOfIncomplete) return;
  if (final && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
    if (ctx.config.finalFailure === 'canceled') endSubscription(ctx, sub, 'payment_failed');
    else
      updateSubscription(ctx, sub, (s) => {
        s.status = 'unpaid';
      });
    return;
  }
  if (sub.status === 'active' || sub.status === 'trialing')
    updateSubscription(ctx, sub, (s) => {
      s.status = 'past_due';
    });
};

/** After finalization: charge now if Stripe would (auto-advancing, something owed, not `unpaid`). */
export const collect = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  if (invoice.status !== 'open' || !invoice.auto_advance || invoice.amount_due === 0) return;
  const sub = subscriptionOf(ctx, invoice);
  if (sub?.status === 'unpaid') {
    // Stripe keeps invoicing an unpaid subscription but does not try to collect.
    updateInvoice(ctx, invoice, (inv) => {
      inv.auto_advance = false;
      inv.next_payment_attempt = null;
    });
    return;
  }
  attemptPayment(ctx, invoice, { automatic: true });
};
