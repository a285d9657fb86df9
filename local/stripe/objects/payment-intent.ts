import type Stripe from 'stripe';
import { randomToken } from '../ids';

/** A new PaymentIntent as `POST /v1/payment_intents` creates it (before any confirmation). */
export const newPaymentIntent = (input: {
  id: string;
  amount: number;
  currency: string;
  customer: string | null;
  paymentMethod: string | null;
  paymentMethodTypes: string[];
  captureMethod: Stripe.PaymentIntent.CaptureMethod;
  confirmationMethod: Stripe.PaymentIntent.ConfirmationMethod;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  setupFutureUsage: Stripe.PaymentIntent.SetupFutureUsage | null;
  shipping: Stripe.PaymentIntent.Shipping | null;
  statementDescriptor: string | null;
  now: number;
}): Stripe.PaymentIntent => ({
  id: input.id,
  object: 'payment_intent',
  allowed_payment_method_types: null,
  amount: input.amount,
  amount_capturable: 0,
  amount_details: { tip: {} },
  amount_received: 0,
  application: null,
  application_fee_amount: null,
  automatic_payment_methods: null,
  canceled_at: null,
  cancellation_reason: null,
  capture_method: input.captureMethod,
  client_secret: `${input.id}_secret_${randomToken(24)}`,
  confirmation_method: input.confirmationMethod,
  created: input.now,
  currency: input.currency,
  customer: input.customer,
  customer_account: null,
  description: input.description,
  excluded_payment_method_types: null,
  last_payment_error: null,
  latest_charge: null,
  livemode: false,
  managed_payments: null,
  metadata: input.metadata,
  next_action: null,
  on_behalf_of: null,
  payment_method: input.paymentMethod,
  payment_method_configuration_details: null,
  payment_method_options: {
    card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
  },
  payment_method_types: input.paymentMethodTypes,
  payment_record: null,
  processing: null,
  receipt_email: input.receiptEmail,
  review: null,
  setup_future_usage: input.setupFutureUsage,
  shipping: input.shipping,
  source: null,
  statement_descriptor: input.statementDescriptor,
  statement_descriptor_suffix: null,
  status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
  transfer_data: null,
  transfer_group: null,
});

/** A new SetupIntent as `POST /v1/setup_intents` creates it. */
export const newSetupIntent = (input: {
  id: string;
  customer: string | null;
  paymentMethod: string | null;
  paymentMethodTypes: string[];
  description: string | null;
  metadata: Record<string, string>;
  usage: 'off_session' | 'on_session';
  now: number;
}): Stripe.SetupIntent => ({
  id: input.id,
  object: 'setup_intent',
  allowed_payment_method_types: null,
  application: null,
  automatic_payment_methods: null,
  cancellation_reason: null,
  client_secret: `${input.id}_secret_${randomToken(24)}`,
  created: input.now,
  customer: input.customer,
  customer_account: null,
  description: input.description,
  excluded_payment_method_types: null,
  flow_directions: null,
  last_setup_error: null,
  latest_attempt: null,
  livemode: false,
  mandate: null,
  metadata: input.metadata,
  next_action: null,
  on_behalf_of: null,
  payment_method: input.paymentMethod,
  payment_method_configuration_details: null,
  payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
  payment_method_types: input.paymentMethodTypes,
  single_use_mandate: null,
  status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
  usage: input.usage,
});
