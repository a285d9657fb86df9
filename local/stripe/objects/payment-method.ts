import type Stripe from 'stripe';

/**
 * What a test card does: succeed, decline when attached, attach fine and decline charges, ask
 * for 3-D Secure on every payment (`always_authenticate`), or ask unless the card was set up
 * with an authenticated SetupIntent (`authenticate_unless_setup`, 4000002500003155).
 */
export type CardBehavior = 'succeeds' | 'declines_on_attach' | 'declines_charges' | 'always_authenticate' | 'authenticate_unless_setup';

export interface TestCard {
  readonly brand: string;
  readonly last4: string;
  readonly behavior: CardBehavior;
  readonly declineCode?: string;
  readonly message?: string;
}

/**
 * The test payment methods the local endpoint knows (Stripe's `pm_card_*` tokens). Each use of a
 * token yields a new `pm_...` object, as in Stripe test mode.
 */
export const TEST_CARDS: Readonly<Record<string, TestCard>> = {
  pm_card_visa: { brand: 'visa', last4: '4242', behavior: 'succeeds' },
  pm_card_visa_debit: { brand: 'visa', last4: '5556', behavior: 'succeeds' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', behavior: 'succeeds' },
  pm_card_amex: { brand: 'amex', last4: '8431', behavior: 'succeeds' },
  // 4000000000000341: attaching succeeds, every charge is declined.
  pm_card_chargeCustomerFail: { brand: 'visa', last4: '0341', behavior: 'declines_charges' },
  // 4000000000000002: declined with `card_declined` / `generic_decline`, so attaching fails too.
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', behavior: 'declines_on_attach' },
  pm_card_visa_chargeDeclined: { brand: 'visa', last4: '0002', behavior: 'declines_on_attach' },
  // 4000002760003184: 3-D Secure on every payment, however the card was set up.
  pm_card_authenticationRequired: { brand: 'visa', last4: '3184', behavior: 'always_authenticate' },
  // 4000000000003220: 3-D Secure 2 required on every payment.
  pm_card_threeDSecure2Required: { brand: 'visa', last4: '3220', behavior: 'always_authenticate' },
  // 4000002500003155: authentication needed unless the card was set up for off-session use.
  pm_card_authenticationRequiredOnSetup: { brand: 'visa', last4: '3155', behavior: 'authenticate_unless_setup' },
  // Local extensions (not Stripe tokens): like 0341, attaching succeeds and every charge is
  // declined, here with a decline code Stripe does not retry, to exercise that rule.
  pm_card_chargeCustomerFailStolenCard: {
    brand: 'visa',
    last4: '9979',
    behavior: 'declines_charges',
    declineCode: 'stolen_card',
    message: 'Your card was declined.',
  },
  pm_card_chargeCustomerFailLostCard: {
    brand: 'visa',
    last4: '9987',
    behavior: 'declines_charges',
    declineCode: 'lost_card',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    behavior: 'declines_on_attach',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
};

const BEHAVIOR_BY_LAST4 = new Map(Object.values(TEST_CARDS).map((c) => [c.last4, c]));

/**
 * Decline codes after which Stripe does not retry a payment automatically ("failures where the
 * issuer provided a non-retryable decline code", docs.stripe.com/billing/revenue-recovery/smart-retries):
 * the issuer will not approve this card again.
 */
export const HARD_DECLINE_CODES: ReadonlySet<string> = new Set([
  'incorrect_number',
  'lost_card',
  'pickup_card',
  'restricted_card',
  'revocation_of_all_authorizations',
  'revocation_of_authorization',
  'security_violation',
  'stolen_card',
  'stop_payment_order',
]);

export const testCardOf = (pm: Stripe.PaymentMethod): TestCard | undefined =>
  pm.card ? BEHAVIOR_BY_LAST4.get(pm.card.last4) : undefined;

/** Whether a payment with this card needs the customer to authenticate (3-D Secure). */
export const needsAuthentication = (card: TestCard | undefined, setUp: boolean): boolean =>
  card?.behavior === 'always_authenticate' || (card?.behavior === 'authenticate_unless_setup' && !setUp);

export const newCardPaymentMethod = (input: {
  id: string;
  card: TestCard;
  customer: string | null;
  now: number;
  metadata?: Record<string, string>;
  billingDetails?: Stripe.PaymentMethod.BillingDetails;
}): Stripe.PaymentMethod => {
  const expYear = new Date(input.now * 1000).getUTCFullYear() + 3;
  return {
    id: input.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: input.billingDetails ?? { address: null, email: null, name: null, phone: null, tax_id: null },
    card: {
      brand: input.card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: input.card.brand,
      exp_month: 12,
      exp_year: expYear,
      fingerprint: `local${input.card.brand}${input.card.last4}`,
      funding: 'credit',
      generated_from: null,
      last4: input.card.last4,
      networks: { available: [input.card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: input.now,
    customer: input.customer,
    customer_account: null,
    livemode: false,
    metadata: input.metadata ?? {},
    type: 'card',
  };
};
