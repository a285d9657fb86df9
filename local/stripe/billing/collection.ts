import type Stripe from 'stripe';
import { SECONDS } from '../config';
import { invalidRequest, StripeApiError } from '../errors';
import { clone } from '../clone';
import { newId } from '../ids';
import { newCharge } from '../objects/charge';
import { defaultPaymentMethodOf } from '../objects/customer';
import { snapshotCustomer, subscriptionIdOf } from '../objects/invoice';
import { newPaymentIntent } from '../objects/payment-intent';
import { HARD_DECLINE_CODES } from '../objects/payment-method';
import { type BillingContext, updateInvoice, updateSubscription } from './context';
import { moveBalance } from './customer-balance';
import { endSubscription } from './ending';
import { recalculate } from './invoicing';
import { taxIdsOf, taxLocationInvalid } from './tax';
import { authorize, invoicePaymentNextAction } from './payments';

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

/** `requiresAction`: the card asks for 3-D Secure, which only the customer can complete. */
export type ChargeCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: StripeApiError; readonly requiresAction?: boolean };

const REQUIRES_ACTION =
  'This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice. For more details see: https://docs.stripe.com/billing/subscriptions/overview#requires-action';

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
  const result = authorize(ctx, pm, false);
  if (result.kind === 'declined') return { ok: false, error: result.error };
  if (result.kind === 'requires_action')
    return {
      ok: false,
      requiresAction: true,
      error: new StripeApiError(
        402,
        { type: 'card_error', code: 'invoice_payment_intent_requires_action', message: REQUIRES_ACTION, doc_url: 'https://docs.stripe.com/error-codes/invoice-payment-intent-requires-action' },
        { executed: true },
      ),
    };
  return { ok: true };
};

/**
 * Finalizing with automatic tax computes the tax again, from the customer's location as it is
 * then; without a usable location Stripe does not finalize: the invoice stays a draft with
 * `last_finalization_error` and `invoice.finalization_failed` is sent.
 */
const taxedForFinalization = (ctx: BillingContext, invoice: Stripe.Invoice): boolean => {
  if (!invoice.automatic_tax.enabled) return true;
  recalculate(ctx, invoice);
  if (invoice.automatic_tax.status !== 'requires_location_inputs') return true;
  const error = taxLocationInvalid();
  invoice.last_finalization_error = {
    code: 'customer_tax_location_invalid',
    ...(error.body.doc_url ? { doc_url: error.body.doc_url } : {}),
    message: error.body.message,
    type: 'invalid_request_error',
  };
  ctx.events.emit('invoice.finalization_failed', invoice);
  return false;
};

/** The refusal an API call that had to finalize a draft answers when finalization failed. */
export const finalizationFailure = (invoice: Stripe.Invoice): StripeApiError | null => {
  const failure = invoice.status === 'draft' ? invoice.last_finalization_error : null;
  if (!failure) return null;
  return new StripeApiError(
    400,
    {
      type: 'invalid_request_error',
      message: failure.message ?? 'The invoice could not be finalized.',
      ...(failure.code ? { code: failure.code } : {}),
      ...(failure.doc_url ? { doc_url: failure.doc_url } : {}),
    },
    { executed: true },
  );
};

/**
 * Draft -> open: assigns the number, applies the customer's credit balance, and pays a zero
 * invoice at once. Payment of anything owed is the caller's choice (`collect`). With automatic
 * tax and no usable customer location it fails instead (see `taxedForFinalization`).
 */
export const finalizeInvoice = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  const customer = customerOf(ctx, invoice);
  const now = ctx.now();
  if (!taxedForFinalization(ctx, invoice)) return;
  invoice.last_finalization_error = null;
  if (customer) snapshotCustomer(invoice, customer, taxIdsOf(ctx.state, customer.id));
  if (customer) {
    const sequence = customer.next_invoice_sequence ?? 1;
    customer.next_invoice_sequence = sequence + 1;
    invoice.number = `${customer.invoice_prefix ?? 'LOCAL'}-${String(sequence).padStart(4, '0')}`;
    const starting = customer.balance;
    const owed = invoice.total + starting;
    invoice.starting_balance = starting;
    const ending = Math.min(0, owed);
    invoice.ending_balance = ending;
    invoice.amount_due = Math.max(0, owed);
    // What the invoice took from (or, for a negative total, gave to) the balance: `applied_to_invoice`.
    if (customer.balance !== ending)
      moveBalance(ctx, customer, { amount: ending - customer.balance, currency: invoice.currency, type: 'applied_to_invoice', invoice: invoice.id });
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
  invoice.next_payment_attempt = invoice.auto_advance && invoice.collection_method === 'charge_automatically' && invoice.amount_due > 0 ? now : null;
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
  // Owed: another open invoice with something left, unless it is a sent invoice not due yet.
  const notDueYet = (other: Stripe.Invoice) => other.collection_method === 'send_invoice' && other.due_date !== null && other.due_date > ctx.now();
  const stillOwed = [...ctx.state.invoices.values()].some(
    (other) =>
      other.id !== invoice.id && other.status === 'open' && other.amount_remaining > 0 && subscriptionIdOf(other) === sub.id && !notDueYet(other),
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
  const paymentMethod = paymentMethodFor(ctx, invoice, options.paymentMethod);
  const check = checkCharge(ctx, customer, paymentMethod);
  invoice.attempt_count += 1;
  invoice.attempted = true;
  if (!check.ok && check.requiresAction) {
    onActionRequired(ctx, invoice, paymentMethod ?? '');
    // A renewal waiting for the customer follows dunning: Stripe's schedule keeps trying (each
    // attempt off-session needs the customer again), and after the last one the account's
    // final-failure policy applies. A first invoice has no retries: it expires after 23 hours.
    if (options.automatic) onFailure(ctx, invoice, true, false, false);
    return check;
  }
  recordCharge(ctx, invoice, paymentMethod, check);
  if (check.ok) {
    markPaid(ctx, invoice);
    return check;
  }
  onFailure(ctx, invoice, options.automatic, HARD_DECLINE_CODES.has(check.error.body.decline_code ?? ''));
  return check;
};

/** The invoice's PaymentIntent (one per invoice, found by its `confirmation_secret`), created on first use. */
const invoicePaymentIntent = (ctx: BillingContext, invoice: Stripe.Invoice, paymentMethod: string): Stripe.PaymentIntent => {
  const secret = invoice.confirmation_secret?.client_secret;
  const existing = secret ? [...ctx.state.paymentIntents.values()].find((pi) => pi.client_secret === secret) : undefined;
  if (existing) {
    existing.payment_method = paymentMethod;
    existing.amount = invoice.amount_remaining;
    return existing;
  }
  const pi = newPaymentIntent({
    id: newId('pi'),
    amount: invoice.amount_remaining,
    currency: invoice.currency,
    customer: idOf(invoice.customer),
    paymentMethod,
    paymentMethodTypes: ['card'],
    captureMethod: 'automatic',
    confirmationMethod: 'automatic',
    description: subscriptionIdOf(invoice) === null ? 'Payment for Invoice' : 'Subscription update',
    metadata: {},
    receiptEmail: null,
    setupFutureUsage: null,
    shipping: null,
    statementDescriptor: null,
    now: ctx.now(),
  });
  ctx.state.paymentIntents.set(pi.id, pi);
  ctx.events.emit('payment_intent.created', pi);
  invoice.confirmation_secret = { client_secret: pi.client_secret ?? '', type: 'payment_intent' };
  return pi;
};

/**
 * An attempt that reached the card network, as Stripe records it: the invoice's PaymentIntent
 * and a Charge, succeeded (`charge.succeeded`, `payment_intent.succeeded`) or failed
 * (`charge.failed`, `payment_intent.payment_failed`). An attempt refused before any charge (no
 * payment method) records none.
 */
const recordCharge = (ctx: BillingContext, invoice: Stripe.Invoice, paymentMethod: string | null, check: ChargeCheck): void => {
  const pm = paymentMethod ? ctx.state.paymentMethods.get(paymentMethod) : undefined;
  if (!pm || invoice.amount_remaining <= 0) return;
  if (!check.ok && check.error.body.type !== 'card_error') return;
  const pi = invoicePaymentIntent(ctx, invoice, pm.id);
  const failure = check.ok
    ? null
    : { code: check.error.body.code ?? 'card_declined', declineCode: check.error.body.decline_code ?? 'generic_decline', message: check.error.body.message };
  const charge = newCharge({ id: newId('ch'), paymentIntent: pi, paymentMethod: pm, captured: check.ok, failure, now: ctx.now() });
  ctx.state.charges.set(charge.id, charge);
  pi.latest_charge = charge.id;
  if (check.ok) {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    ctx.events.emit('charge.succeeded', charge);
    ctx.events.emit('payment_intent.succeeded', pi);
    return;
  }
  pi.status = 'requires_payment_method';
  pi.last_payment_error = {
    charge: charge.id,
    code: 'card_declined',
    decline_code: failure?.declineCode ?? 'generic_decline',
    message: failure?.message ?? 'Your card was declined.',
    payment_method: clone(pm),
    type: 'card_error',
  };
  ctx.events.emit('charge.failed', charge);
  ctx.events.emit('payment_intent.payment_failed', pi);
};

/**
 * The card asks for 3-D Secure: the invoice stays open with a PaymentIntent in `requires_action`
 * (its `confirmation_secret`), `invoice.payment_action_required` is sent, and no automatic retry
 * charges the card again until the customer authenticates (on the authentication page, also
 * linked from the hosted invoice page); then the invoice is paid as usual.
 */
const onActionRequired = (ctx: BillingContext, invoice: Stripe.Invoice, paymentMethod: string): void => {
  const pi = invoicePaymentIntent(ctx, invoice, paymentMethod);
  pi.status = 'requires_action';
  pi.next_action = invoicePaymentNextAction(ctx, pi.id, invoice.hosted_invoice_url ?? null);
  ctx.events.emit('payment_intent.requires_action', pi);
  invoice.next_payment_attempt = null;
  ctx.events.emit('invoice.payment_action_required', invoice);
  const sub = subscriptionOf(ctx, invoice);
  if (sub && (sub.status === 'active' || sub.status === 'trialing'))
    updateSubscription(ctx, sub, (s) => {
      s.status = 'past_due';
    });
};

/** The open invoice whose payment waits for this PaymentIntent's authentication, if any. */
export const invoiceAwaiting = (ctx: BillingContext, pi: Stripe.PaymentIntent): Stripe.Invoice | undefined =>
  [...ctx.state.invoices.values()].find((inv) => inv.status === 'open' && inv.confirmation_secret?.client_secret === pi.client_secret);

/** After the customer's 3-D Secure answer: a paid intent pays the invoice; a failed one counts as a failed payment. */
export const settleAuthenticatedInvoice = (ctx: BillingContext, invoice: Stripe.Invoice, pi: Stripe.PaymentIntent): void => {
  if (pi.status === 'succeeded') {
    markPaid(ctx, invoice);
    return;
  }
  ctx.events.emit('invoice.payment_failed', invoice);
};

/**
 * A failed attempt: the next retry per the schedule, or none. A hard decline (a code Stripe never
 * retries) stops automatic retries of the invoice, whoever attempted it; it stays open, the
 * subscription `past_due`, until it is paid with another card (`pay`, or the hosted page).
 */
const onFailure = (
  ctx: BillingContext,
  invoice: Stripe.Invoice,
  automatic: boolean,
  hardDecline: boolean,
  /** A decline is announced (`invoice.payment_failed`); a payment waiting for authentication was announced already. */
  announce = true,
): void => {
  const sub = subscriptionOf(ctx, invoice);
  const retries = ctx.config.retryDays;
  const wait = retries[invoice.attempt_count - 1];
  const firstOfIncomplete = sub?.status === 'incomplete';
  const final = automatic && !firstOfIncomplete && !hardDecline && wait === undefined;
  if (automatic) invoice.next_payment_attempt = firstOfIncomplete || hardDecline || wait === undefined ? null : ctx.now() + wait * SECONDS.day;
  else if (hardDecline) invoice.next_payment_attempt = null;
  if (announce) ctx.events.emit('invoice.payment_failed', invoice);
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
  // A `send_invoice` invoice is sent and paid by the customer, never charged automatically.
  if (invoice.status !== 'open' || !invoice.auto_advance || invoice.amount_due === 0 || invoice.collection_method === 'send_invoice') return;
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
