import type Stripe from 'stripe';
import { clone } from '../clone';
import type { EngineConfig } from '../config';
import type { EmittedObjects, EventLog } from '../events/event-log';
import type { StripeState } from '../store';

/** What the billing engine works with: the state, the event log, its settings and the time. */
export interface BillingContext {
  readonly state: StripeState;
  readonly events: EventLog;
  readonly config: EngineConfig;
  /** Simulated time, unix seconds. */
  now(): number;
}

type UpdatedType = 'customer.updated' | 'customer.subscription.updated' | 'invoice.updated' | 'subscription_schedule.updated';

/** Mutates an object and emits its `*.updated` event with `previous_attributes` when anything changed. */
export const change = <T extends UpdatedType>(ctx: BillingContext, type: T, object: EmittedObjects[T], mutate: () => void): void => {
  const before = clone(object);
  mutate();
  ctx.events.emitUpdated(type, object, before);
};

export const updateSubscription = (ctx: BillingContext, sub: Stripe.Subscription, mutate: (s: Stripe.Subscription) => void): void =>
  change(ctx, 'customer.subscription.updated', sub, () => mutate(sub));

export const updateCustomer = (ctx: BillingContext, customer: Stripe.Customer, mutate: (c: Stripe.Customer) => void): void =>
  change(ctx, 'customer.updated', customer, () => mutate(customer));

export const updateInvoice = (ctx: BillingContext, invoice: Stripe.Invoice, mutate: (i: Stripe.Invoice) => void): void =>
  change(ctx, 'invoice.updated', invoice, () => mutate(invoice));
