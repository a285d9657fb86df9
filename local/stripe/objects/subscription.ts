import type Stripe from 'stripe';
import { invalidRequest } from '../errors';
import { planOf } from './catalog';

export const newSubscriptionItem = (input: {
  id: string;
  subscription: string;
  price: Stripe.Price;
  periodStart: number;
  periodEnd: number;
  now: number;
  quantity?: number;
}): Stripe.SubscriptionItem => ({
  id: input.id,
  object: 'subscription_item',
  billing_thresholds: null,
  created: input.now,
  current_period_end: input.periodEnd,
  current_period_start: input.periodStart,
  current_trial: null,
  discounts: [],
  metadata: {},
  plan: planOf(input.price),
  price: input.price,
  quantity: input.quantity ?? 1,
  subscription: input.subscription,
  tax_rates: [],
});

export const newSubscription = (input: {
  id: string;
  customer: Stripe.Customer;
  item: Stripe.SubscriptionItem;
  status: Stripe.Subscription.Status;
  billingCycleAnchor: number;
  trialStart: number | null;
  trialEnd: number | null;
  defaultPaymentMethod: string | null;
  description: string | null;
  metadata: Record<string, string>;
  now: number;
}): Stripe.Subscription => ({
  id: input.id,
  object: 'subscription',
  application: null,
  application_fee_percent: null,
  automatic_tax: { disabled_reason: null, enabled: false, liability: null },
  billing_cycle_anchor: input.billingCycleAnchor,
  billing_cycle_anchor_config: null,
  billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible', updated_at: input.now },
  billing_schedules: [],
  billing_thresholds: null,
  cancel_at: null,
  cancel_at_period_end: false,
  canceled_at: null,
  cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
  collection_method: 'charge_automatically',
  created: input.now,
  currency: input.item.price.currency,
  customer: input.customer.id,
  customer_account: null,
  days_until_due: null,
  default_payment_method: input.defaultPaymentMethod,
  default_source: null,
  default_tax_rates: [],
  description: input.description,
  discounts: [],
  ended_at: null,
  invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
  items: { object: 'list', data: [input.item], has_more: false, url: `/v1/subscription_items?subscription=${input.id}` },
  latest_invoice: null,
  livemode: false,
  managed_payments: null,
  metadata: input.metadata,
  next_pending_invoice_item_invoice: null,
  on_behalf_of: null,
  pause_collection: null,
  payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
  pending_invoice_item_interval: null,
  pending_setup_intent: null,
  pending_update: null,
  schedule: null,
  start_date: input.now,
  status: input.status,
  test_clock: typeof input.customer.test_clock === 'string' ? input.customer.test_clock : (input.customer.test_clock?.id ?? null),
  transfer_data: null,
  trial_end: input.trialEnd,
  trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
  trial_start: input.trialStart,
});

/** The subscription's single item (the local endpoint models one item per subscription). */
export const itemOf = (sub: Stripe.Subscription): Stripe.SubscriptionItem => {
  const item = sub.items.data[0];
  if (!item) throw invalidRequest(`Subscription ${sub.id} has no items`);
  return item;
};

export const customerIdOf = (ref: string | { id: string }): string => (typeof ref === 'string' ? ref : ref.id);

/** Statuses in which a subscription still renews and bills. */
export const LIVE_STATUSES: readonly string[] = ['trialing', 'active', 'past_due', 'unpaid'];
