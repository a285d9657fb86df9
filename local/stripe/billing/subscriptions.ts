import Stripe from 'stripe';
import { DRAFT_FINALIZE_DELAY, TRIAL_WILL_END_NOTICE } from '../config';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { planOf, productIdOf } from '../objects/catalog';
import { defaultPaymentMethodOf } from '../objects/customer';
import { newInvoiceItem } from '../objects/invoice';
import { customerIdOf, itemOf, newSubscription, newSubscriptionItem } from '../objects/subscription';
import { checkCharge, collect, finalizeInvoice, voidInvoice } from './collection';
import { type BillingContext, updateSubscription } from './context';
import { endSubscription } from './ending';
import { adoptCurrency, checkCurrency, createInvoice, pendingItems, periodLine, prorationDescription } from './invoicing';
import { periodEndAfter, recurrenceOf, sameRecurrence } from './periods';
import { prorate } from './proration';

export type PaymentBehavior = 'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete';
export type ProrationBehavior = 'create_prorations' | 'always_invoice' | 'none';

const customerOf = (ctx: BillingContext, sub: Stripe.Subscription): Stripe.Customer => {
  const customer = ctx.state.customers.get(customerIdOf(sub.customer));
  if (!customer) throw invalidRequest(`Subscription ${sub.id} has no customer`);
  return customer;
};

const subscriptionPaymentMethod = (sub: Stripe.Subscription, customer: Stripe.Customer): string | null => {
  const own = sub.default_payment_method;
  return own === null ? defaultPaymentMethodOf(customer) : typeof own === 'string' ? own : own.id;
};

/** With `error_if_incomplete`, a charge that would fail refuses the whole request (402) before anything changes. */
const refuseIfUnpayable = (ctx: BillingContext, customer: Stripe.Customer, paymentMethod: string | null): void => {
  const check = checkCharge(ctx, customer.id, paymentMethod);
  if (!check.ok) throw check.error;
};

export interface NewSubscription {
  readonly customer: Stripe.Customer;
  readonly price: Stripe.Price;
  readonly trialEnd: number | null;
  readonly defaultPaymentMethod: string | null;
  readonly metadata: Record<string, string>;
  readonly description: string | null;
  readonly paymentBehavior: PaymentBehavior;
  readonly cancelAtPeriodEnd: boolean;
}

/**
 * Creates a subscription and its first invoice. With a trial: `trialing` and a paid $0 invoice.
 * Without: the invoice is finalized and charged at once; paid -> `active`, declined ->
 * `incomplete` (or 402 with `error_if_incomplete`, creating nothing).
 */
export const createSubscription = (ctx: BillingContext, input: NewSubscription): Stripe.Subscription => {
  const { customer, price } = input;
  const now = ctx.now();
  checkCurrency(customer, price.currency, 'items[0][price]');
  const r = recurrenceOf(price);
  const trialing = input.trialEnd !== null && input.trialEnd > now;
  const anchor = trialing && input.trialEnd !== null ? input.trialEnd : now;
  const periodEnd = periodEndAfter(anchor, r, now);
  const paymentMethod = input.defaultPaymentMethod ?? defaultPaymentMethodOf(customer);
  if (!trialing && input.paymentBehavior === 'error_if_incomplete' && (price.unit_amount ?? 0) > 0)
    refuseIfUnpayable(ctx, customer, paymentMethod);

  adoptCurrency(ctx, customer, price.currency);
  const id = newId('sub');
  const item = newSubscriptionItem({ id: newId('si'), subscription: id, price, periodStart: now, periodEnd, now });
  const sub = newSubscription({
    id,
    customer,
    item,
    status: trialing ? 'trialing' : 'incomplete',
    billingCycleAnchor: anchor,
    trialStart: trialing ? now : null,
    trialEnd: trialing ? input.trialEnd : null,
    defaultPaymentMethod: input.defaultPaymentMethod,
    description: input.description,
    metadata: input.metadata,
    now,
  });
  if (input.cancelAtPeriodEnd) {
    sub.cancel_at_period_end = true;
    sub.cancel_at = periodEnd;
    sub.canceled_at = now;
    sub.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason: 'cancellation_requested' };
  }
  const invoiceId = newId('in');
  sub.latest_invoice = invoiceId;
  ctx.state.subscriptions.set(id, sub);
  ctx.state.subscriptionMeta.set(id, { trialWillEndSentFor: null });
  ctx.events.emit('customer.subscription.created', sub);

  const invoice = createInvoice(ctx, {
    id: invoiceId,
    customer,
    subscription: sub,
    billingReason: 'subscription_create',
    currency: price.currency,
    periodStart: now,
    periodEnd: now,
    autoAdvance: true,
    finalizesAt: null,
    sweep: pendingItems(ctx, customer.id, price.currency, { subscription: id, customerLevel: true }),
    lines: [periodLine(ctx, sub, now, periodEnd, { trial: trialing })],
  });
  finalizeInvoice(ctx, invoice);
  if (!trialing && invoice.status === 'open') chargeOrAwaitConfirmation(ctx, invoice, input.paymentBehavior);
  if (trialing && sub.trial_end !== null && sub.trial_end - TRIAL_WILL_END_NOTICE <= now) notifyTrialWillEnd(ctx, sub);
  return sub;
};

/**
 * Charges a just-finalized invoice, unless `default_incomplete`: then Stripe leaves the payment
 * for the customer to confirm and never attempts it on its own.
 */
const chargeOrAwaitConfirmation = (ctx: BillingContext, invoice: Stripe.Invoice, paymentBehavior: PaymentBehavior): void => {
  if (paymentBehavior !== 'default_incomplete') collect(ctx, invoice);
  else invoice.next_payment_attempt = null;
};

/** A pending proration invoice item for a subscription (`proration: true`). */
const prorationItem = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
  price: Stripe.Price,
  amount: number,
  periodStart: number,
  periodEnd: number,
  description: string,
): void => {
  if (amount === 0) return;
  const ii = newInvoiceItem({
    id: newId('ii'),
    customer: customerOf(ctx, sub),
    amount,
    currency: price.currency,
    description,
    quantity: 1,
    unitAmountDecimal: Stripe.Decimal.from(amount),
    price: { id: price.id, product: productIdOf(price) },
    periodStart,
    periodEnd,
    proration: true,
    subscription: sub.id,
    subscriptionItem: itemOf(sub).id,
    invoice: null,
    metadata: {},
    discountable: false,
    now: ctx.now(),
  });
  ctx.state.invoiceItems.set(ii.id, ii);
  ctx.events.emit('invoiceitem.created', ii);
};

/** The subscription's pending invoice items (not customer-level ones). */
const subscriptionItems = (ctx: BillingContext, sub: Stripe.Subscription) =>
  pendingItems(ctx, customerIdOf(sub.customer), sub.currency, { subscription: sub.id, customerLevel: false });

/** A finalized `subscription_update` invoice for the subscription now, sweeping `sweep`. */
const finalizedUpdateInvoice = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
  content: { id?: string; sweep: ReturnType<typeof subscriptionItems>; lines: Stripe.InvoiceLineItem[] },
): Stripe.Invoice => {
  const now = ctx.now();
  const invoice = createInvoice(ctx, {
    ...(content.id ? { id: content.id } : {}),
    customer: customerOf(ctx, sub),
    subscription: sub,
    billingReason: 'subscription_update',
    currency: sub.currency,
    periodStart: now,
    periodEnd: now,
    autoAdvance: true,
    finalizesAt: null,
    sweep: content.sweep,
    lines: content.lines,
  });
  finalizeInvoice(ctx, invoice);
  return invoice;
};

/** An invoice for the subscription now (billing reason `subscription_update`), finalized and charged. */
const invoiceNow = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
  invoiceId: string,
  lines: Stripe.InvoiceLineItem[],
  paymentBehavior: PaymentBehavior,
): Stripe.Invoice => {
  const invoice = finalizedUpdateInvoice(ctx, sub, { id: invoiceId, sweep: subscriptionItems(ctx, sub), lines });
  chargeOrAwaitConfirmation(ctx, invoice, paymentBehavior);
  return invoice;
};

/**
 * Throws what `changePrice` would refuse, before anything changes: another currency, a
 * proration date outside the period, or (with `error_if_incomplete`) a charge that would fail.
 */
export const checkPriceChange = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
  price: Stripe.Price,
  change: PriceChange,
  paymentMethod: string | null,
): void => {
  const item = itemOf(sub);
  if (item.price.id === price.id) return;
  if (price.currency !== sub.currency)
    throw invalidRequest(`The price specified (${price.id}) has currency ${price.currency}, which does not match the subscription's currency ${sub.currency}.`, {
      param: 'items[0][price]',
    });
  const at = change.prorationDate ?? ctx.now();
  if (at < item.current_period_start || at > item.current_period_end)
    throw invalidRequest('proration_date must be within the current billing period.', { param: 'proration_date' });
  const trialing = sub.status === 'trialing';
  const cycleReset = !trialing && !sameRecurrence(recurrenceOf(item.price), recurrenceOf(price));
  const invoicing = !trialing && (cycleReset || change.prorationBehavior === 'always_invoice');
  if (invoicing && change.paymentBehavior === 'error_if_incomplete') refuseIfUnpayable(ctx, customerOf(ctx, sub), paymentMethod);
};

export interface PriceChange {
  readonly prorationBehavior: ProrationBehavior;
  readonly prorationDate?: number;
  readonly paymentBehavior: PaymentBehavior;
}

/**
 * Moves the subscription's item to another price. Same interval: prorations for the rest of
 * the period (pending items, or invoiced now with `always_invoice`, or none). Another interval
 * (month <-> year): the billing cycle restarts now and the new period is invoiced at once, with
 * a credit for the unused time unless `none`. No prorations while trialing.
 */
export const changePrice = (ctx: BillingContext, sub: Stripe.Subscription, price: Stripe.Price, change: PriceChange): void => {
  const item = itemOf(sub);
  const old = item.price;
  if (old.id === price.id) return;
  checkPriceChange(ctx, sub, price, change, subscriptionPaymentMethod(sub, customerOf(ctx, sub)));
  const now = ctx.now();
  const start = item.current_period_start;
  const end = item.current_period_end;
  const at = change.prorationDate ?? now;
  const trialing = sub.status === 'trialing';
  const cycleReset = !trialing && !sameRecurrence(recurrenceOf(old), recurrenceOf(price));
  const invoicing = !trialing && (cycleReset || change.prorationBehavior === 'always_invoice');

  if (!trialing && change.prorationBehavior !== 'none') {
    prorationItem(ctx, sub, old, -prorate(old.unit_amount ?? 0, at, start, end), at, end, prorationDescription(ctx, 'Unused', old, at));
    if (!cycleReset)
      prorationItem(ctx, sub, price, prorate(price.unit_amount ?? 0, at, start, end), at, end, prorationDescription(ctx, 'Remaining', price, at));
  }
  const invoiceId = newId('in');
  const newEnd = periodEndAfter(now, recurrenceOf(price), now);
  updateSubscription(ctx, sub, (s) => {
    const it = itemOf(s);
    it.price = price;
    it.plan = planOf(price);
    if (cycleReset) {
      s.billing_cycle_anchor = now;
      it.current_period_start = now;
      it.current_period_end = newEnd;
    }
    if (invoicing) s.latest_invoice = invoiceId;
  });
  if (invoicing) invoiceNow(ctx, sub, invoiceId, cycleReset ? [periodLine(ctx, sub, now, newEnd)] : [], change.paymentBehavior);
};

/**
 * A price switch at a period boundary (a schedule's next phase): no proration; a new interval
 * restarts the billing cycle at the boundary, and the renewal that follows bills the new price.
 */
export const switchPriceAtBoundary = (ctx: BillingContext, sub: Stripe.Subscription, price: Stripe.Price): void => {
  const item = itemOf(sub);
  if (item.price.id === price.id) return;
  const cycleReset = !sameRecurrence(recurrenceOf(item.price), recurrenceOf(price));
  updateSubscription(ctx, sub, (s) => {
    const it = itemOf(s);
    it.price = price;
    it.plan = planOf(price);
    if (cycleReset) s.billing_cycle_anchor = it.current_period_end;
  });
};

/** At `current_period_end`: cancel (cancel at period end), or start the next period with a draft invoice finalized an hour later. */
export const renew = (ctx: BillingContext, sub: Stripe.Subscription): void => {
  const item = itemOf(sub);
  const start = item.current_period_start;
  const end = item.current_period_end;
  if (sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= end)) {
    endSubscription(ctx, sub, 'cancellation_requested');
    return;
  }
  const next = periodEndAfter(sub.billing_cycle_anchor, recurrenceOf(item.price), end);
  const invoiceId = newId('in');
  const customer = customerOf(ctx, sub);
  const sweep = pendingItems(ctx, customer.id, sub.currency, { subscription: sub.id, customerLevel: true });
  updateSubscription(ctx, sub, (s) => {
    if (s.status === 'trialing') s.status = 'active';
    const it = itemOf(s);
    it.current_period_start = end;
    it.current_period_end = next;
    s.latest_invoice = invoiceId;
  });
  createInvoice(ctx, {
    id: invoiceId,
    customer,
    subscription: sub,
    billingReason: 'subscription_cycle',
    currency: sub.currency,
    periodStart: start,
    periodEnd: end,
    autoAdvance: true,
    finalizesAt: ctx.now() + DRAFT_FINALIZE_DELAY,
    sweep,
    lines: [periodLine(ctx, sub, end, next)],
  });
};

/** `trial_end=now`: the trial stops, the cycle restarts now and the first period is invoiced at once. */
export const endTrialNow = (ctx: BillingContext, sub: Stripe.Subscription, paymentBehavior: PaymentBehavior): void => {
  if (sub.status !== 'trialing') return;
  const now = ctx.now();
  const end = periodEndAfter(now, recurrenceOf(itemOf(sub).price), now);
  const invoiceId = newId('in');
  updateSubscription(ctx, sub, (s) => {
    s.status = 'active';
    s.trial_end = now;
    s.billing_cycle_anchor = now;
    const it = itemOf(s);
    it.current_period_start = now;
    it.current_period_end = end;
    s.latest_invoice = invoiceId;
  });
  invoiceNow(ctx, sub, invoiceId, [periodLine(ctx, sub, now, end)], paymentBehavior);
};

export const setCancelAtPeriodEnd = (ctx: BillingContext, sub: Stripe.Subscription, cancel: boolean): void => {
  updateSubscription(ctx, sub, (s) => {
    s.cancel_at_period_end = cancel;
    s.cancel_at = cancel ? itemOf(s).current_period_end : null;
    s.canceled_at = cancel ? ctx.now() : null;
    s.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason: cancel ? 'cancellation_requested' : null };
  });
};

/**
 * Immediate cancel. No refund: `prorate` leaves a credit item for the unused time,
 * `invoice_now` bills pending items (and that credit) in a final invoice; with neither, the
 * subscription's pending prorations are deleted.
 */
export const cancelNow = (ctx: BillingContext, sub: Stripe.Subscription, options: { invoiceNow: boolean; prorate: boolean }): void => {
  const now = ctx.now();
  const item = itemOf(sub);
  if (options.prorate && sub.status !== 'trialing')
    prorationItem(
      ctx,
      sub,
      item.price,
      -prorate(item.price.unit_amount ?? 0, now, item.current_period_start, item.current_period_end),
      now,
      item.current_period_end,
      prorationDescription(ctx, 'Unused', item.price, now),
    );
  if (!options.invoiceNow && !options.prorate) {
    for (const ii of subscriptionItems(ctx, sub)) {
      if (!ii.proration) continue;
      ctx.state.invoiceItems.delete(ii.id);
      ctx.events.emit('invoiceitem.deleted', ii);
    }
  }
  endSubscription(ctx, sub, 'cancellation_requested');
  if (options.invoiceNow) {
    const sweep = subscriptionItems(ctx, sub);
    if (sweep.length === 0) return;
    collect(ctx, finalizedUpdateInvoice(ctx, sub, { sweep, lines: [] }));
  }
};

/** An `incomplete` subscription whose first invoice stayed unpaid for 23 hours expires; the invoice is voided. */
export const expireIncomplete = (ctx: BillingContext, sub: Stripe.Subscription): void => {
  const latest = typeof sub.latest_invoice === 'string' ? ctx.state.invoices.get(sub.latest_invoice) : undefined;
  if (latest?.status === 'open') voidInvoice(ctx, latest);
  sub.status = 'incomplete_expired';
  sub.ended_at = ctx.now();
  ctx.events.emit('customer.subscription.deleted', sub);
};

export const notifyTrialWillEnd = (ctx: BillingContext, sub: Stripe.Subscription): void => {
  const meta = ctx.state.subscriptionMeta.get(sub.id) ?? { trialWillEndSentFor: null };
  meta.trialWillEndSentFor = sub.trial_end;
  ctx.state.subscriptionMeta.set(sub.id, meta);
  ctx.events.emit('customer.subscription.trial_will_end', sub);
};
