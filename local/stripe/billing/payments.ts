import type Stripe from 'stripe';
import { clone } from '../clone';
import { cardDeclined, invalidRequest, resourceMissing, StripeApiError, type StripeErrorBody } from '../errors';
import { newId } from '../ids';
import { newCharge, newRefund } from '../objects/charge';
import { newCardPaymentMethod, needsAuthentication, TEST_CARDS, testCardOf } from '../objects/payment-method';
import type { BillingContext } from './context';

/**
 * Card payments as Stripe runs them: PaymentIntents (confirm, 3-D Secure, capture, cancel),
 * their Charges, refunds, and SetupIntents. Every step emits the events Stripe emits.
 */

const idOf = (ref: string | { id: string } | null): string | null => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);

/** A payment method by id; a `pm_card_*` test token mints a fresh unattached one, as in test mode. */
export const paymentMethodParam = (ctx: BillingContext, id: string, param: string): Stripe.PaymentMethod => {
  const card = TEST_CARDS[id];
  if (card) {
    const pm = newCardPaymentMethod({ id: newId('pm'), card, customer: null, now: ctx.now() });
    ctx.state.paymentMethods.set(pm.id, pm);
    return pm;
  }
  const pm = ctx.state.paymentMethods.get(id);
  if (!pm) throw resourceMissing('PaymentMethod', id, param);
  return pm;
};

/** A card that went through an authenticated SetupIntent counts as set up for off-session use. */
const isSetUp = (ctx: BillingContext, pm: string): boolean =>
  [...ctx.state.setupIntents.values()].some((si) => si.status === 'succeeded' && idOf(si.payment_method) === pm);

export type Authorization =
  | { readonly kind: 'approved' }
  | { readonly kind: 'declined'; readonly error: StripeApiError }
  | { readonly kind: 'requires_action' };

/** What the issuer says to a payment with this card (`authenticated`: the customer just passed 3-D Secure). */
export const authorize = (ctx: BillingContext, pm: Stripe.PaymentMethod, authenticated: boolean): Authorization => {
  const card = testCardOf(pm);
  if (!authenticated && needsAuthentication(card, isSetUp(ctx, pm.id))) return { kind: 'requires_action' };
  if (card && (card.behavior === 'declines_on_attach' || card.behavior === 'declines_charges'))
    return {
      kind: 'declined',
      error: cardDeclined({ ...(card.declineCode ? { declineCode: card.declineCode } : {}), ...(card.message ? { message: card.message } : {}) }),
    };
  return { kind: 'approved' };
};

/** The 402 Stripe answers for a failed confirmation, carrying the intent like Stripe's error does. */
const errorWith = (error: StripeApiError, extra: Record<string, unknown>): StripeApiError => {
  const body: StripeErrorBody = { ...error.body, ...extra };
  return new StripeApiError(error.status, body, { executed: true });
};

const AUTH_REQUIRED =
  'Your card was declined. This transaction requires authentication.';

const authenticationUrl = (ctx: BillingContext, intent: string): string => `${ctx.config.baseUrl}/authenticate/${intent}`;

/** `next_action` for 3-D Secure: a redirect when the caller gave a `return_url`, else `use_stripe_sdk`. */
const nextAction = (ctx: BillingContext, intent: string, returnUrl: string | null): Stripe.PaymentIntent.NextAction & Stripe.SetupIntent.NextAction =>
  returnUrl
    ? { type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl, url: authenticationUrl(ctx, intent) } }
    : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: authenticationUrl(ctx, intent) } };

/** The 3-D Secure step of an invoice's payment: back to the hosted invoice page afterwards. */
export const invoicePaymentNextAction = (ctx: BillingContext, intent: string, hostedUrl: string | null): Stripe.PaymentIntent.NextAction =>
  nextAction(ctx, intent, hostedUrl);

// ---------------------------------------------------------------- PaymentIntents

export interface ConfirmOptions {
  readonly paymentMethod?: Stripe.PaymentMethod;
  readonly returnUrl?: string | null;
  /** The customer is not there to authenticate: a card that asks for 3-D Secure is declined. */
  readonly offSession?: boolean;
}

const CONFIRMABLE: readonly Stripe.PaymentIntent.Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

/** Confirms a PaymentIntent; a decline throws the 402 after recording the failed charge. */
export const confirmPaymentIntent = (ctx: BillingContext, pi: Stripe.PaymentIntent, options: ConfirmOptions = {}): Stripe.PaymentIntent => {
  if (!CONFIRMABLE.includes(pi.status))
    throw invalidRequest(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
      { code: 'payment_intent_unexpected_state' },
    );
  if (options.paymentMethod) pi.payment_method = options.paymentMethod.id;
  const pmId = idOf(pi.payment_method);
  const pm = pmId ? ctx.state.paymentMethods.get(pmId) : undefined;
  if (!pm)
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a payment method, please provide a `payment_method`.",
      { code: 'payment_intent_unexpected_state' },
    );
  const owner = idOf(pm.customer);
  if (owner !== null && owner !== idOf(pi.customer))
    throw invalidRequest(`The provided PaymentMethod belongs to a customer other than the one on this PaymentIntent.`, { param: 'payment_method' });
  const result = authorize(ctx, pm, false);
  if (result.kind === 'requires_action') {
    if (options.offSession) {
      const error = cardDeclined({ code: 'authentication_required', declineCode: 'authentication_required', message: AUTH_REQUIRED });
      return failPaymentIntent(ctx, pi, pm, error, true);
    }
    pi.status = 'requires_action';
    pi.next_action = nextAction(ctx, pi.id, options.returnUrl ?? null);
    ctx.events.emit('payment_intent.requires_action', pi);
    return pi;
  }
  if (result.kind === 'declined') return failPaymentIntent(ctx, pi, pm, result.error, true);
  return succeedPaymentIntent(ctx, pi, pm);
};

const succeedPaymentIntent = (ctx: BillingContext, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod): Stripe.PaymentIntent => {
  const manual = pi.capture_method === 'manual';
  const charge = newCharge({ id: newId('ch'), paymentIntent: pi, paymentMethod: pm, captured: !manual, failure: null, now: ctx.now() });
  ctx.state.charges.set(charge.id, charge);
  pi.latest_charge = charge.id;
  pi.next_action = null;
  pi.last_payment_error = null;
  const customer = idOf(pi.customer);
  if (pi.setup_future_usage && customer && idOf(pm.customer) === null) {
    pm.customer = customer;
    ctx.events.emit('payment_method.attached', pm);
  }
  ctx.events.emit('charge.succeeded', charge);
  if (manual) {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    ctx.events.emit('payment_intent.amount_capturable_updated', pi);
  } else {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    ctx.events.emit('payment_intent.succeeded', pi);
  }
  return pi;
};

/** Records a failed attempt (a failed charge when the issuer declined) and throws Stripe's 402. */
const failPaymentIntent = (
  ctx: BillingContext,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  error: StripeApiError,
  withCharge: boolean,
): never => {
  let chargeId: string | undefined;
  if (withCharge) {
    const charge = newCharge({
      id: newId('ch'),
      paymentIntent: pi,
      paymentMethod: pm,
      captured: false,
      failure: { code: error.body.code ?? 'card_declined', declineCode: error.body.decline_code ?? 'generic_decline', message: error.body.message },
      now: ctx.now(),
    });
    ctx.state.charges.set(charge.id, charge);
    pi.latest_charge = charge.id;
    chargeId = charge.id;
    ctx.events.emit('charge.failed', charge);
  }
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.payment_method = null;
  pi.last_payment_error = {
    ...(chargeId ? { charge: chargeId } : {}),
    ...(error.body.code ? { code: error.body.code as Stripe.PaymentIntent.LastPaymentError.Code } : {}),
    ...(error.body.decline_code ? { decline_code: error.body.decline_code } : {}),
    ...(error.body.doc_url ? { doc_url: error.body.doc_url } : {}),
    message: error.body.message,
    payment_method: clone(pm),
    type: 'card_error',
  };
  ctx.events.emit('payment_intent.payment_failed', pi);
  throw errorWith(error, { ...(chargeId ? { charge: chargeId } : {}), payment_intent: clone(pi) });
};

/** The customer's answer on the 3-D Secure page. A failed authentication leaves the intent for another payment method. */
export const authenticatePaymentIntent = (ctx: BillingContext, pi: Stripe.PaymentIntent, passed: boolean): void => {
  if (pi.status !== 'requires_action') throw invalidRequest(`This PaymentIntent does not need authentication (status ${pi.status}).`);
  const pmId = idOf(pi.payment_method);
  const pm = pmId ? ctx.state.paymentMethods.get(pmId) : undefined;
  if (!pm) throw invalidRequest('This PaymentIntent has no payment method.');
  if (!passed) {
    const error = new StripeApiError(402, {
      type: 'invalid_request_error',
      code: 'payment_intent_authentication_failure',
      message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
      doc_url: 'https://docs.stripe.com/error-codes/payment-intent-authentication-failure',
    });
    try {
      failPaymentIntent(ctx, pi, pm, error, false);
    } catch (e) {
      if (!(e instanceof StripeApiError)) throw e;
    }
    if (pi.last_payment_error) pi.last_payment_error.type = 'invalid_request_error';
    return;
  }
  const result = authorize(ctx, pm, true);
  if (result.kind === 'declined') {
    try {
      failPaymentIntent(ctx, pi, pm, result.error, true);
    } catch (e) {
      if (!(e instanceof StripeApiError)) throw e;
    }
    return;
  }
  succeedPaymentIntent(ctx, pi, pm);
};

export const capturePaymentIntent = (ctx: BillingContext, pi: Stripe.PaymentIntent, amount: number | undefined): void => {
  if (pi.status !== 'requires_capture')
    throw invalidRequest(
      `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      { code: 'payment_intent_unexpected_state' },
    );
  const toCapture = amount ?? pi.amount_capturable;
  if (toCapture > pi.amount_capturable)
    throw invalidRequest(`The amount to capture (${toCapture}) cannot be greater than the capturable amount (${pi.amount_capturable}).`, {
      param: 'amount_to_capture',
      code: 'amount_too_large',
    });
  const charge = ctx.state.charges.get(idOf(pi.latest_charge) ?? '');
  if (charge) {
    charge.captured = true;
    charge.amount_captured = toCapture;
    charge.amount_refunded = charge.amount - toCapture;
    charge.refunded = toCapture === 0;
    charge.balance_transaction = newId('txn');
    ctx.events.emit('charge.captured', charge);
  }
  pi.status = 'succeeded';
  pi.amount_received = toCapture;
  pi.amount_capturable = 0;
  ctx.events.emit('payment_intent.succeeded', pi);
};

const CANCELABLE: readonly Stripe.PaymentIntent.Status[] = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

export const cancelPaymentIntent = (ctx: BillingContext, pi: Stripe.PaymentIntent, reason: Stripe.PaymentIntent.CancellationReason | null): void => {
  if (!CANCELABLE.includes(pi.status))
    throw invalidRequest(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      { code: 'payment_intent_unexpected_state' },
    );
  if (pi.status === 'requires_capture') {
    // Releasing an authorization shows on the charge as a full refund of the uncaptured amount.
    const charge = ctx.state.charges.get(idOf(pi.latest_charge) ?? '');
    if (charge) {
      charge.amount_refunded = charge.amount;
      charge.refunded = true;
    }
  }
  pi.status = 'canceled';
  pi.canceled_at = ctx.now();
  pi.cancellation_reason = reason;
  pi.amount_capturable = 0;
  pi.next_action = null;
  ctx.events.emit('payment_intent.canceled', pi);
};

// ---------------------------------------------------------------- Refunds

export const refundCharge = (
  ctx: BillingContext,
  charge: Stripe.Charge,
  input: { amount?: number; reason: Stripe.Refund.Reason | null; metadata: Record<string, string> },
): Stripe.Refund => {
  if (!charge.paid || charge.status !== 'succeeded')
    throw invalidRequest(`Charge ${charge.id} has not succeeded, so it cannot be refunded.`, { code: 'charge_not_refundable' });
  if (!charge.captured)
    throw invalidRequest(`Charge ${charge.id} has not been captured; cancel its PaymentIntent to release the authorization instead.`, {
      code: 'charge_not_refundable',
    });
  const refundable = charge.amount_captured - charge.amount_refunded;
  if (refundable <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  const amount = input.amount ?? refundable;
  if (amount > refundable)
    throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${refundable})`, {
      param: 'amount',
      code: 'amount_too_large',
    });
  const refund = newRefund({ id: newId('re'), charge, amount, reason: input.reason, metadata: input.metadata, now: ctx.now() });
  ctx.state.refunds.set(refund.id, refund);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount_captured;
  ctx.events.emit('refund.created', refund);
  ctx.events.emit('charge.refunded', charge);
  return refund;
};

// ---------------------------------------------------------------- SetupIntents

const SETUP_CONFIRMABLE: readonly Stripe.SetupIntent.Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

/** Confirms a SetupIntent: a card that declines fails (402), one that asks for 3-D Secure waits for it. */
export const confirmSetupIntent = (
  ctx: BillingContext,
  si: Stripe.SetupIntent,
  options: { paymentMethod?: Stripe.PaymentMethod; returnUrl?: string | null } = {},
): Stripe.SetupIntent => {
  if (!SETUP_CONFIRMABLE.includes(si.status))
    throw invalidRequest(
      `You cannot confirm this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be confirmed: ${SETUP_CONFIRMABLE.join(', ')}.`,
      { code: 'setup_intent_unexpected_state' },
    );
  if (options.paymentMethod) si.payment_method = options.paymentMethod.id;
  const pmId = idOf(si.payment_method);
  const pm = pmId ? ctx.state.paymentMethods.get(pmId) : undefined;
  if (!pm)
    throw invalidRequest(
      "You cannot confirm this SetupIntent because it's missing a payment method. To confirm the SetupIntent with a payment method, please provide a `payment_method`.",
      { code: 'setup_intent_unexpected_state' },
    );
  const owner = idOf(pm.customer);
  const customer = idOf(si.customer);
  if (owner !== null && owner !== customer)
    throw invalidRequest('The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again.', {
      param: 'payment_method',
    });
  const card = testCardOf(pm);
  if (card?.behavior === 'declines_on_attach') {
    const error = cardDeclined({ ...(card.declineCode ? { declineCode: card.declineCode } : {}), ...(card.message ? { message: card.message } : {}) });
    si.status = 'requires_payment_method';
    si.payment_method = null;
    si.next_action = null;
    si.last_setup_error = {
      code: 'card_declined',
      ...(error.body.decline_code ? { decline_code: error.body.decline_code } : {}),
      ...(error.body.doc_url ? { doc_url: error.body.doc_url } : {}),
      message: error.body.message,
      payment_method: clone(pm),
      type: 'card_error',
    };
    ctx.events.emit('setup_intent.setup_failed', si);
    throw errorWith(error, { setup_intent: clone(si) });
  }
  // Setting a card up for later is where the bank asks for 3-D Secure (both 3155 and 3184 do).
  if (card?.behavior === 'always_authenticate' || card?.behavior === 'authenticate_unless_setup') {
    si.status = 'requires_action';
    si.next_action = nextAction(ctx, si.id, options.returnUrl ?? null);
    ctx.events.emit('setup_intent.requires_action', si);
    return si;
  }
  return succeedSetupIntent(ctx, si, pm);
};

const succeedSetupIntent = (ctx: BillingContext, si: Stripe.SetupIntent, pm: Stripe.PaymentMethod): Stripe.SetupIntent => {
  const customer = idOf(si.customer);
  if (customer && idOf(pm.customer) === null) {
    pm.customer = customer;
    ctx.events.emit('payment_method.attached', pm);
  }
  si.status = 'succeeded';
  si.next_action = null;
  si.last_setup_error = null;
  ctx.events.emit('setup_intent.succeeded', si);
  return si;
};

export const authenticateSetupIntent = (ctx: BillingContext, si: Stripe.SetupIntent, passed: boolean): void => {
  if (si.status !== 'requires_action') throw invalidRequest(`This SetupIntent does not need authentication (status ${si.status}).`);
  const pm = ctx.state.paymentMethods.get(idOf(si.payment_method) ?? '');
  if (!pm) throw invalidRequest('This SetupIntent has no payment method.');
  if (passed) {
    succeedSetupIntent(ctx, si, pm);
    return;
  }
  si.status = 'requires_payment_method';
  si.payment_method = null;
  si.next_action = null;
  si.last_setup_error = {
    code: 'setup_intent_authentication_failure',
    doc_url: 'https://docs.stripe.com/error-codes/setup-intent-authentication-failure',
    message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
    payment_method: clone(pm),
    type: 'invalid_request_error',
  };
  ctx.events.emit('setup_intent.setup_failed', si);
};

export const cancelSetupIntent = (ctx: BillingContext, si: Stripe.SetupIntent, reason: Stripe.SetupIntent.CancellationReason | null): void => {
  if (si.status === 'succeeded' || si.status === 'canceled')
    throw invalidRequest(`You cannot cancel this SetupIntent because it has a status of ${si.status}.`, { code: 'setup_intent_unexpected_state' });
  si.status = 'canceled';
  si.cancellation_reason = reason;
  si.next_action = null;
  ctx.events.emit('setup_intent.canceled', si);
};
