import type Stripe from 'stripe';
import { randomToken } from '../ids';

/** A card charge of a PaymentIntent: `succeeded` (captured or not) or `failed` with the decline. */
export const newCharge = (input: {
  id: string;
  paymentIntent: Stripe.PaymentIntent;
  paymentMethod: Stripe.PaymentMethod;
  captured: boolean;
  failure: { code: string; declineCode: string; message: string } | null;
  now: number;
}): Stripe.Charge => {
  const pi = input.paymentIntent;
  const pm = input.paymentMethod;
  const card = pm.card;
  const ok = input.failure === null;
  return {
    id: input.id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: ok && input.captured ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: ok && input.captured ? `txn_${randomToken(24)}` : null,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: 'LOCAL STRIPE',
    captured: ok && input.captured,
    created: input.now,
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: input.failure?.code ?? null,
    failure_message: input.failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: ok ? 'approved_by_network' : 'declined_by_network',
      reason: input.failure?.declineCode ?? null,
      risk_level: 'normal',
      risk_score: 20,
      seller_message: ok ? 'Payment complete.' : 'The bank did not return any further details with this decline.',
      type: ok ? 'authorized' : 'issuer_declined',
    },
    paid: ok,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: {
      type: 'card',
      card: {
        amount_authorized: ok ? pi.amount : null,
        authorization_code: ok ? randomToken(6).toUpperCase() : null,
        brand: card?.brand ?? null,
        checks: card?.checks ?? null,
        country: card?.country ?? null,
        electronic_commerce_indicator: null,
        exp_month: card?.exp_month ?? 12,
        exp_year: card?.exp_year ?? 2030,
        fingerprint: card?.fingerprint ?? null,
        funding: card?.funding ?? null,
        installments: null,
        last4: card?.last4 ?? null,
        mandate: null,
        network: card?.brand ?? null,
        network_transaction_id: ok ? randomToken(15) : null,
        regulated_status: card?.regulated_status ?? null,
        three_d_secure: null,
        transaction_link_id: null,
        wallet: null,
      },
    },
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: pi.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: null,
    status: ok ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
};

export const newRefund = (input: {
  id: string;
  charge: Stripe.Charge;
  amount: number;
  reason: Stripe.Refund.Reason | null;
  metadata: Record<string, string>;
  now: number;
}): Stripe.Refund => ({
  id: input.id,
  object: 'refund',
  amount: input.amount,
  balance_transaction: `txn_${randomToken(24)}`,
  charge: input.charge.id,
  created: input.now,
  currency: input.charge.currency,
  customer: input.charge.customer,
  customer_account: null,
  destination_details: { type: 'card', card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' } },
  metadata: input.metadata,
  payment_intent: input.charge.payment_intent,
  payment_method: input.charge.payment_method,
  reason: input.reason,
  receipt_number: null,
  source_transfer_reversal: null,
  status: 'succeeded',
  transfer_reversal: null,
});

/** A legacy card source (`card_...`) made from a test token, as `POST /v1/customers/:id/sources` creates it. */
export const newCardSource = (input: { id: string; customer: string; brand: string; last4: string; now: number }): Stripe.Card => ({
  id: input.id,
  object: 'card',
  address_city: null,
  address_country: null,
  address_line1: null,
  address_line1_check: null,
  address_line2: null,
  address_state: null,
  address_zip: null,
  address_zip_check: null,
  allow_redisplay: 'unspecified',
  brand: input.brand === 'visa' ? 'Visa' : input.brand === 'mastercard' ? 'MasterCard' : input.brand === 'amex' ? 'American Express' : input.brand,
  country: 'US',
  customer: input.customer,
  cvc_check: 'pass',
  dynamic_last4: null,
  exp_month: 12,
  exp_year: new Date(input.now * 1000).getUTCFullYear() + 3,
  fingerprint: `local${input.brand}${input.last4}`,
  funding: 'credit',
  last4: input.last4,
  metadata: {},
  name: null,
  regulated_status: 'unregulated',
  tokenization_method: null,
});
