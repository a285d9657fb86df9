import type Stripe from 'stripe';
import { randomToken } from '../ids';

export const newCheckoutSession = (input: {
  id: string;
  mode: Stripe.Checkout.Session.Mode;
  url: string;
  amount: number | null;
  currency: string | null;
  customer: string | null;
  customerEmail: string | null;
  clientReferenceId: string | null;
  successUrl: string | null;
  cancelUrl: string | null;
  paymentMethodTypes: string[];
  metadata: Record<string, string>;
  expiresAt: number;
  now: number;
}): Stripe.Checkout.Session => ({
  id: input.id,
  object: 'checkout.session',
  adaptive_pricing: { enabled: false },
  after_expiration: null,
  allow_promotion_codes: null,
  allowed_payment_method_types: null,
  amount_subtotal: input.amount,
  amount_total: input.amount,
  automatic_tax: { enabled: false, liability: null, provider: null, status: null },
  billing_address_collection: null,
  cancel_url: input.cancelUrl,
  client_reference_id: input.clientReferenceId,
  client_secret: null,
  collected_information: null,
  consent: null,
  consent_collection: null,
  created: input.now,
  currency: input.currency,
  currency_conversion: null,
  custom_fields: [],
  custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
  customer: input.customer,
  customer_account: null,
  customer_creation: input.customer ? null : 'if_required',
  customer_details: null,
  customer_email: input.customerEmail,
  discounts: [],
  expires_at: input.expiresAt,
  integration_identifier: null,
  invoice: null,
  invoice_creation: null,
  livemode: false,
  locale: null,
  managed_payments: null,
  metadata: input.metadata,
  mode: input.mode,
  origin_context: null,
  payment_intent: null,
  payment_link: null,
  payment_method_collection: 'always',
  payment_method_configuration_details: null,
  payment_method_options: { card: { request_three_d_secure: 'automatic' } },
  payment_method_types: input.paymentMethodTypes,
  payment_status: input.mode === 'setup' ? 'no_payment_required' : 'unpaid',
  permissions: null,
  phone_number_collection: { enabled: false },
  recovered_from: null,
  saved_payment_method_options: null,
  setup_intent: null,
  shipping_address_collection: null,
  shipping_cost: null,
  shipping_options: [],
  status: 'open',
  submit_type: null,
  subscription: null,
  success_url: input.successUrl,
  total_details: input.amount === null ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
  ui_mode: 'hosted',
  url: `${input.url}#${randomToken(16)}`,
  wallet_options: null,
});
