import Stripe from 'stripe';
import type { MetadataUpdate } from '../http/params';
import { mergeMetadata } from '../http/params';

export const newProduct = (input: {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  metadata: MetadataUpdate | undefined;
  now: number;
}): Stripe.Product => ({
  id: input.id,
  object: 'product',
  active: input.active,
  created: input.now,
  default_price: null,
  description: input.description,
  images: [],
  livemode: false,
  marketing_features: [],
  metadata: mergeMetadata(null, input.metadata),
  name: input.name,
  package_dimensions: null,
  shippable: null,
  statement_descriptor: null,
  tax_code: null,
  tax_details: null,
  type: 'service',
  unit_label: null,
  updated: input.now,
  url: null,
});

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

export const newPrice = (input: {
  id: string;
  product: string;
  currency: string;
  unitAmount: number;
  recurring: { interval: RecurringInterval; intervalCount: number } | null;
  lookupKey: string | null;
  nickname: string | null;
  active: boolean;
  metadata: MetadataUpdate | undefined;
  now: number;
}): Stripe.Price => ({
  id: input.id,
  object: 'price',
  active: input.active,
  billing_scheme: 'per_unit',
  created: input.now,
  currency: input.currency,
  custom_unit_amount: null,
  livemode: false,
  lookup_key: input.lookupKey,
  metadata: mergeMetadata(null, input.metadata),
  nickname: input.nickname,
  product: input.product,
  recurring: input.recurring
    ? {
        interval: input.recurring.interval,
        interval_count: input.recurring.intervalCount,
        meter: null,
        trial_period_days: null,
        usage_type: 'licensed',
      }
    : null,
  tax_behavior: 'unspecified',
  tiers_mode: null,
  transform_quantity: null,
  type: input.recurring ? 'recurring' : 'one_time',
  unit_amount: input.unitAmount,
  unit_amount_decimal: Stripe.Decimal.from(input.unitAmount),
});

/** The legacy `plan` view of a recurring price that subscription items still carry. */
export const planOf = (price: Stripe.Price): Stripe.Plan => ({
  id: price.id,
  object: 'plan',
  active: price.active,
  amount: price.unit_amount,
  amount_decimal: price.unit_amount_decimal,
  billing_scheme: price.billing_scheme,
  created: price.created,
  currency: price.currency,
  interval: price.recurring?.interval ?? 'month',
  interval_count: price.recurring?.interval_count ?? 1,
  livemode: false,
  metadata: price.metadata,
  meter: null,
  nickname: price.nickname,
  product: typeof price.product === 'string' ? price.product : price.product.id,
  tiers_mode: null,
  transform_usage: null,
  trial_period_days: null,
  usage_type: 'licensed',
});

export const productIdOf = (price: Stripe.Price): string => (typeof price.product === 'string' ? price.product : price.product.id);
