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

const idOf = (ref: string | { id: string } | null | undefined): string | null => (ref == null ? null : typeof ref === 'string' ? ref : ref.id);

/**
 * Whose time `now()` reads: the shared simulated clock, or a test clock's `frozen_time` while
 * work for that clock's customers runs (an API request about one of them, or the clock's
 * `advance`). Handlers and clock-driven work run synchronously, one at a time, so a single
 * current scope suffices; `within` restores the outer scope when `fn` returns or throws.
 */
export class TimeScope {
  private clockId: string | null = null;

  constructor(
    private readonly state: StripeState,
    private readonly shared: () => number,
  ) {}

  /** Unix seconds: the current test clock's `frozen_time`, else the shared clock. */
  readonly now = (): number => {
    const clock = this.clockId === null ? undefined : this.state.testClocks.get(this.clockId);
    return clock ? clock.frozen_time : this.shared();
  };

  /** The shared clock, whatever the scope (webhook retries, idempotency keys). */
  readonly sharedNow = (): number => this.shared();

  within<T>(clockId: string | null, fn: () => T): T {
    const outer = this.clockId;
    this.clockId = clockId;
    try {
      return fn();
    } finally {
      this.clockId = outer;
    }
  }
}

/** The test clock a customer lives on (null: the shared clock, or an unknown customer). */
export const testClockOfCustomer = (state: StripeState, customer: string | { id: string } | null | undefined): string | null => {
  const id = idOf(customer);
  return id === null ? null : idOf(state.customers.get(id)?.test_clock);
};

/** The test clock an object (subscription, invoice, schedule, invoice item) lives on. */
export const testClockOf = (object: { test_clock: string | { id: string } | null }): string | null => idOf(object.test_clock);

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
