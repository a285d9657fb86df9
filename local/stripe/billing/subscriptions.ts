import Stripe from 'stripe';
import { DRAFT_FINALIZE_DELAY, TRIAL_WILL_END_NOTICE } from '../config';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { planOf, productIdOf } from '../objects/catalog';
import { defaultPaymentMethodOf } from '../objects/customer';
import { newInvoiceItem } from '../objects/invoice';
import { customerIdOf, itemOf, newSubscription, newSubscriptionItem } from '../objects/subscription';
import { checkCharge, collect, voidInvoice } from './collection';
import { type BillingContext, updateSubscription } from './context';
import { endSubscription } from './ending';
import { netOfDiscountsInEffect } from './discounts';
import { adoptCurrency, checkCurrency, createInvoice, pendingItems, periodLine, prorationDescription } from './invoicing';
import { redeemForNewSubscription, type Redemption } from './subscription-discounts';
import { periodEndAfter, recurrenceOf, sameRecurrence } from './periods';
import { prorate } from './proration';
import { advanceFinalized, finalizeForCollection, invoiceTermsOf } from './send-invoice';
import { subscriptionAutomaticTax } from './tax';

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
  /** Units of the price (default 1). */
  readonly quantity?: number;
  /** The schedule that creates it. */
  readonly schedule?: string;
  /** `trial_settings[end_behavior][missing_payment_method]` (default `create_invoice`). */
  readonly missingPaymentMethod?: MissingPaymentMethod;
  /** Default `charge_automatically`; `send_invoice` needs `daysUntilDue`. */
  readonly collectionMethod?: Stripe.Subscription.CollectionMethod;
  readonly daysUntilDue?: number | null;
  /** `automatic_tax[enabled]`: Stripe Tax computes the tax of every invoice it makes. */
  readonly automaticTax?: boolean;
  /** `discounts`: coupons (or promotion codes) redeemed into the subscription's own discounts. */
  readonly discounts?: readonly Redemption[];
  /** Its schedule's first phase was given `discounts=''`: the customer's discount stays off too. */
  readonly customerDiscountWithheld?: boolean;
}

export type MissingPaymentMethod = 'cancel' | 'pause' | 'create_invoice';

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
  // Stripe activates a send_invoice subscription at once, whatever its first invoice's fate.
  const invoiced = input.collectionMethod === 'send_invoice';
  if (!trialing && !invoiced && input.paymentBehavior === 'error_if_incomplete' && (price.unit_amount ?? 0) * (input.quantity ?? 1) > 0)
    refuseIfUnpayable(ctx, customer, paymentMethod);

  adoptCurrency(ctx, customer, price.currency);
  const id = newId('sub');
  const item = newSubscriptionItem({ id: newId('si'), subscription: id, price, periodStart: now, periodEnd, now, quantity: input.quantity ?? 1 });
  const sub = newSubscription({
    id,
    customer,
    item,
    status: trialing ? 'trialing' : invoiced ? 'active' : 'incomplete',
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
  sub.automatic_tax = subscriptionAutomaticTax(input.automaticTax ?? false);
  if (input.schedule) sub.schedule = input.schedule;
  if (input.missingPaymentMethod) sub.trial_settings = { end_behavior: { billing_cycle_anchor: null, missing_payment_method: input.missingPaymentMethod } };
  if (invoiced) {
    sub.collection_method = 'send_invoice';
    sub.days_until_due = input.daysUntilDue ?? null;
  }
  ctx.state.subscriptions.set(id, sub);
  ctx.state.subscriptionMeta.set(id, { trialWillEndSentFor: null, ...(input.customerDiscountWithheld ? { customerDiscountWithheld: true } : {}) });
  if (input.discounts && input.discounts.length > 0) redeemForNewSubscription(ctx, sub, input.discounts);
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
    // A send_invoice first invoice is finalized (and sent) an hour later, as a renewal is.
    finalizesAt: invoiced && !trialing ? now + DRAFT_FINALIZE_DELAY : null,
    ...invoiceTermsOf(ctx, sub),
    sweep: pendingItems(ctx, customer.id, price.currency, { subscription: id, customerLevel: true }),
    lines: [periodLine(ctx, sub, now, periodEnd, { trial: trialing })],
  });
  if (trialing || !invoiced) finalizeForCollection(ctx, invoice);
  if (!trialing && invoice.status === 'open') chargeOrAwaitConfirmation(ctx, invoice, input.paymentBehavior);
  if (trialing && sub.trial_end !== null && sub.trial_end - TRIAL_WILL_END_NOTICE <= now) notifyTrialWillEnd(ctx, sub);
  return sub;
};

/**
 * Charges a just-finalized invoice, unless `default_incomplete`: then Stripe leaves the payment
 * for the customer to confirm and never attempts it on its own. A send_invoice invoice is sent.
 */
const chargeOrAwaitConfirmation = (ctx: BillingContext, invoice: Stripe.Invoice, paymentBehavior: PaymentBehavior): void => {
  if (invoice.collection_method === 'send_invoice') advanceFinalized(ctx, invoice);
  else if (paymentBehavior !== 'default_incomplete') collect(ctx, invoice);
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

/** What was debited for (part of) the item's current period: `amount` for `start`..`end`. */
interface Debit {
  readonly amount: number;
  readonly start: number;
  readonly end: number;
}

const isProrationOf = (ii: Stripe.InvoiceItem, item: Stripe.SubscriptionItem): boolean =>
  ii.proration &&
  ii.parent?.subscription_details?.subscription_item === item.id &&
  ii.period.end === item.current_period_end &&
  ii.period.start >= item.current_period_start;

/**
 * Flexible billing mode credits unused time from the amount previously debited for it, not from
 * the current price (docs.stripe.com/billing/subscriptions/billing-mode/compare). That is the
 * "Remaining time" charge of the latest price change in this period (nothing, if it changed to a
 * free price), else the line that billed the period, net of its discounts. Without such a line
 * (a scratch preview state) the price stands in, as it did before debits were tracked.
 */
const debitForCurrentPeriod = (ctx: BillingContext, sub: Stripe.Subscription): Debit => {
  const item = itemOf(sub);
  const end = item.current_period_end;
  const prorations = [...ctx.state.invoiceItems.values()].filter((ii) => isProrationOf(ii, item));
  if (prorations.length > 0) {
    const since = Math.max(...prorations.map((ii) => ii.period.start));
    const charged = prorations.filter((ii) => ii.period.start === since && ii.amount > 0).reduce((sum, ii) => sum + ii.amount, 0);
    return { amount: charged, start: since, end };
  }
  const start = item.current_period_start;
  let line: Stripe.InvoiceLineItem | undefined;
  for (const invoice of ctx.state.invoices.values()) {
    if (invoice.status === 'void') continue;
    for (const l of invoice.lines.data) {
      const details = l.parent?.subscription_item_details;
      if (details?.subscription_item === item.id && !details.proration && l.period.start === start && l.period.end === end) line = l;
    }
  }
  const amount = line
    ? line.amount - (line.discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0)
    : (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
  return { amount, start, end };
};

/** The credit for the unused time from `at` to the period end: minus the unused share of what was debited. */
const unusedCredit = (ctx: BillingContext, sub: Stripe.Subscription, at: number): number => {
  const debit = debitForCurrentPeriod(ctx, sub);
  return -prorate(debit.amount, at, debit.start, debit.end);
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
    ...invoiceTermsOf(ctx, sub),
    sweep: content.sweep,
    lines: content.lines,
  });
  finalizeForCollection(ctx, invoice);
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
  if (invoicing && change.paymentBehavior === 'error_if_incomplete' && sub.collection_method === 'charge_automatically') refuseIfUnpayable(ctx, customerOf(ctx, sub), paymentMethod);
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
    prorationItem(ctx, sub, old, unusedCredit(ctx, sub, at), at, end, prorationDescription(ctx, 'Unused', old, at));
    if (!cycleReset) {
      const period = netOfDiscountsInEffect(ctx, customerOf(ctx, sub), sub, {
        amount: (price.unit_amount ?? 0) * (item.quantity ?? 1),
        currency: price.currency,
        product: productIdOf(price),
      });
      prorationItem(ctx, sub, price, prorate(period, at, start, end), at, end, prorationDescription(ctx, 'Remaining', price, at));
    }
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
export const switchPriceAtBoundary = (ctx: BillingContext, sub: Stripe.Subscription, price: Stripe.Price, quantity?: number): void => {
  const item = itemOf(sub);
  if (item.price.id === price.id && (quantity === undefined || quantity === item.quantity)) return;
  const cycleReset = !sameRecurrence(recurrenceOf(item.price), recurrenceOf(price));
  updateSubscription(ctx, sub, (s) => {
    const it = itemOf(s);
    it.price = price;
    it.plan = planOf(price);
    if (quantity !== undefined) it.quantity = quantity;
    if (cycleReset) s.billing_cycle_anchor = it.current_period_end;
  });
};

/** At `current_period_end`: cancel (cancel at period end), or start the next period with a draft invoice finalized an hour later. */
export const renew = (ctx: BillingContext, sub: Stripe.Subscription): void => {
  if (sub.status === 'trialing' && trialEndsWithoutPaymentMethod(ctx, sub)) return;
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
    ...invoiceTermsOf(ctx, sub),
    sweep,
    lines: [periodLine(ctx, sub, end, next)],
  });
};

/**
 * `trial_end=<later timestamp>` on a trialing subscription: the trial (its current period) now
 * ends then, and the billing cycle anchors there; nothing is invoiced. Adding a trial to a
 * subscription that is not trialing is not modelled.
 */
export const moveTrialEnd = (ctx: BillingContext, sub: Stripe.Subscription, trialEnd: number): void => {
  updateSubscription(ctx, sub, (s) => {
    s.trial_end = trialEnd;
    s.billing_cycle_anchor = trialEnd;
    itemOf(s).current_period_end = trialEnd;
  });
};

/** `trial_end=now`: the trial stops, the cycle restarts now and the first period is invoiced at once. */
export const endTrialNow = (ctx: BillingContext, sub: Stripe.Subscription, paymentBehavior: PaymentBehavior): void => {
  if (sub.status !== 'trialing') return;
  const now = ctx.now();
  if (trialEndsWithoutPaymentMethod(ctx, sub, now)) return;
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

/**
 * A trial ending with no payment method on the subscription or customer, under
 * `trial_settings.end_behavior.missing_payment_method` `pause` (status `paused`, no invoice,
 * `customer.subscription.paused`) or `cancel`. False when the trial ends as usual.
 */
const trialEndsWithoutPaymentMethod = (ctx: BillingContext, sub: Stripe.Subscription, endedAt?: number): boolean => {
  const behavior = sub.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice';
  if (behavior === 'create_invoice' || subscriptionPaymentMethod(sub, customerOf(ctx, sub)) !== null) return false;
  if (behavior === 'cancel') {
    if (endedAt !== undefined) sub.trial_end = endedAt;
    endSubscription(ctx, sub, 'cancellation_requested');
    return true;
  }
  updateSubscription(ctx, sub, (s) => {
    s.status = 'paused';
    if (endedAt !== undefined) s.trial_end = endedAt;
  });
  ctx.events.emit('customer.subscription.paused', sub);
  return true;
};

/**
 * `POST /v1/subscriptions/:id/resume` of a `paused` subscription: active again, the billing
 * cycle restarts now and the new period is invoiced at once (`customer.subscription.resumed`).
 */
export const resumeSubscription = (ctx: BillingContext, sub: Stripe.Subscription, paymentBehavior: PaymentBehavior): void => {
  if (sub.status !== 'paused') throw invalidRequest('Only a paused subscription can be resumed.');
  const now = ctx.now();
  const end = periodEndAfter(now, recurrenceOf(itemOf(sub).price), now);
  const invoiceId = newId('in');
  updateSubscription(ctx, sub, (s) => {
    s.status = 'active';
    s.billing_cycle_anchor = now;
    const it = itemOf(s);
    it.current_period_start = now;
    it.current_period_end = end;
    s.latest_invoice = invoiceId;
  });
  ctx.events.emit('customer.subscription.resumed', sub);
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
      unusedCredit(ctx, sub, now),
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
    advanceFinalized(ctx, finalizedUpdateInvoice(ctx, sub, { sweep, lines: [] }));
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
