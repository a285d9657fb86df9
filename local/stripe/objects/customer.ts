import type Stripe from 'stripe';
import { invoicePrefix } from '../ids';
import type { MetadataUpdate } from '../http/params';
import { mergeMetadata } from '../http/params';

export const newCustomer = (input: {
  id: string;
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: MetadataUpdate | undefined;
  testClock: string | null;
  now: number;
}): Stripe.Customer => ({
  id: input.id,
  object: 'customer',
  address: null,
  balance: 0,
  created: input.now,
  currency: null,
  customer_account: null,
  default_source: null,
  delinquent: false,
  description: input.description,
  discount: null,
  email: input.email,
  invoice_prefix: invoicePrefix(),
  invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
  livemode: false,
  metadata: mergeMetadata(null, input.metadata),
  name: input.name,
  next_invoice_sequence: 1,
  phone: input.phone,
  preferred_locales: [],
  shipping: null,
  tax_exempt: 'none',
  test_clock: input.testClock,
});

export const defaultPaymentMethodOf = (customer: Stripe.Customer): string | null => {
  const pm = customer.invoice_settings.default_payment_method;
  return pm === null ? null : typeof pm === 'string' ? pm : pm.id;
};
