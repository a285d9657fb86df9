import type Stripe from 'stripe';
import { taxIdCountry, type TaxIdType, VERIFIED_TYPES } from '../billing/tax-id-formats';

/**
 * A customer's tax ID (`txi_...`). Types Stripe checks against a government registry start
 * `pending` (the local endpoint has no registry, so they stay so); the others are `unavailable`.
 */
export const newTaxId = (input: { id: string; customer: string; type: TaxIdType; value: string; now: number }): Stripe.TaxId => ({
  id: input.id,
  object: 'tax_id',
  country: taxIdCountry(input.type, input.value),
  created: input.now,
  customer: input.customer,
  customer_account: null,
  livemode: false,
  owner: { type: 'customer', customer: input.customer, customer_account: null },
  type: input.type,
  value: input.value,
  verification: { status: VERIFIED_TYPES.has(input.type) ? 'pending' : 'unavailable', verified_address: null, verified_name: null },
});

export const taxIdCustomerOf = (taxId: Stripe.TaxId): string | null =>
  taxId.customer === null ? null : typeof taxId.customer === 'string' ? taxId.customer : taxId.customer.id;
