import type Stripe from 'stripe';
import { clone, previousAttributes } from '../clone';
import { API_VERSION, SECONDS } from '../config';
import { newId } from '../ids';
import type { StripeState } from '../store';

const EVENT_RETENTION = 30 * SECONDS.day;

/** The events the local endpoint emits and the object each carries. */
export interface EmittedObjects {
  'customer.created': Stripe.Customer;
  'customer.updated': Stripe.Customer;
  'customer.deleted': Stripe.Customer;
  'customer.subscription.created': Stripe.Subscription;
  'customer.subscription.updated': Stripe.Subscription;
  'customer.subscription.deleted': Stripe.Subscription;
  'customer.subscription.trial_will_end': Stripe.Subscription;
  'invoice.created': Stripe.Invoice;
  'invoice.deleted': Stripe.Invoice;
  'invoice.finalized': Stripe.Invoice;
  'invoice.paid': Stripe.Invoice;
  'invoice.payment_succeeded': Stripe.Invoice;
  'invoice.payment_failed': Stripe.Invoice;
  'invoice.updated': Stripe.Invoice;
  'invoice.voided': Stripe.Invoice;
  'invoice.marked_uncollectible': Stripe.Invoice;
  'invoiceitem.created': Stripe.InvoiceItem;
  'invoiceitem.deleted': Stripe.InvoiceItem;
  'subscription_schedule.created': Stripe.SubscriptionSchedule;
  'subscription_schedule.updated': Stripe.SubscriptionSchedule;
  'subscription_schedule.released': Stripe.SubscriptionSchedule;
  'subscription_schedule.canceled': Stripe.SubscriptionSchedule;
  'subscription_schedule.completed': Stripe.SubscriptionSchedule;
  'payment_method.attached': Stripe.PaymentMethod;
  'payment_method.detached': Stripe.PaymentMethod;
  'product.created': Stripe.Product;
  'product.updated': Stripe.Product;
  'price.created': Stripe.Price;
  'price.updated': Stripe.Price;
  'test_helpers.test_clock.created': Stripe.TestHelpers.TestClock;
  'test_helpers.test_clock.advancing': Stripe.TestHelpers.TestClock;
  'test_helpers.test_clock.ready': Stripe.TestHelpers.TestClock;
  'test_helpers.test_clock.deleted': Stripe.TestHelpers.TestClock;
  'payment_intent.created': Stripe.PaymentIntent;
  'payment_intent.succeeded': Stripe.PaymentIntent;
  'payment_intent.payment_failed': Stripe.PaymentIntent;
  'payment_intent.canceled': Stripe.PaymentIntent;
  'payment_intent.requires_action': Stripe.PaymentIntent;
  'payment_intent.processing': Stripe.PaymentIntent;
  'payment_intent.amount_capturable_updated': Stripe.PaymentIntent;
  'payment_intent.partially_funded': Stripe.PaymentIntent;
  'charge.succeeded': Stripe.Charge;
  'charge.failed': Stripe.Charge;
  'charge.captured': Stripe.Charge;
  'charge.refunded': Stripe.Charge;
  'charge.updated': Stripe.Charge;
  'charge.pending': Stripe.Charge;
  'charge.refund.updated': Stripe.Refund;
  'refund.created': Stripe.Refund;
  'refund.updated': Stripe.Refund;
  'setup_intent.created': Stripe.SetupIntent;
  'setup_intent.succeeded': Stripe.SetupIntent;
  'setup_intent.setup_failed': Stripe.SetupIntent;
  'setup_intent.canceled': Stripe.SetupIntent;
  'setup_intent.requires_action': Stripe.SetupIntent;
  'checkout.session.completed': Stripe.Checkout.Session;
  'checkout.session.expired': Stripe.Checkout.Session;
  'checkout.session.async_payment_succeeded': Stripe.Checkout.Session;
  'checkout.session.async_payment_failed': Stripe.Checkout.Session;
  'customer.source.created': Stripe.CustomerSource;
  'customer.source.updated': Stripe.CustomerSource;
  'customer.source.deleted': Stripe.CustomerSource;
  'payment_method.updated': Stripe.PaymentMethod;
  'invoice.payment_action_required': Stripe.Invoice;
  'invoice.sent': Stripe.Invoice;
  'invoice.overdue': Stripe.Invoice;
  'invoice.upcoming': Stripe.Invoice;
  'coupon.created': Stripe.Coupon;
  'coupon.updated': Stripe.Coupon;
  'coupon.deleted': Stripe.Coupon;
  'promotion_code.created': Stripe.PromotionCode;
  'promotion_code.updated': Stripe.PromotionCode;
  'customer.discount.created': Stripe.Discount;
  'customer.discount.updated': Stripe.Discount;
  'customer.discount.deleted': Stripe.Discount;
  'tax_rate.created': Stripe.TaxRate;
  'tax_rate.updated': Stripe.TaxRate;
  'credit_note.created': Stripe.CreditNote;
  'credit_note.updated': Stripe.CreditNote;
  'credit_note.voided': Stripe.CreditNote;
  'billing_portal.configuration.created': Stripe.BillingPortal.Configuration;
  'billing_portal.configuration.updated': Stripe.BillingPortal.Configuration;
  'billing_portal.session.created': Stripe.BillingPortal.Session;
  'plan.created': Stripe.Plan;
  'plan.updated': Stripe.Plan;
  'plan.deleted': Stripe.Plan;
  'product.deleted': Stripe.Product;
  'price.deleted': Stripe.Price;
  'customer.subscription.paused': Stripe.Subscription;
  'customer.subscription.resumed': Stripe.Subscription;
  'customer.subscription.pending_update_applied': Stripe.Subscription;
  'customer.subscription.pending_update_expired': Stripe.Subscription;
  'subscription_schedule.aborted': Stripe.SubscriptionSchedule;
  'subscription_schedule.expiring': Stripe.SubscriptionSchedule;
  'customer.tax_id.created': Stripe.TaxId;
  'customer.tax_id.deleted': Stripe.TaxId;
  'invoice.finalization_failed': Stripe.Invoice;
}

export type EmittedEventType = keyof EmittedObjects;

// Compile-time proof that every entry above is a real event type carrying that object in the SDK's types.
type EventOf<T extends string> = Extract<Stripe.Event, { type: T }>;
type Agrees = { [K in EmittedEventType]: EmittedObjects[K] extends EventOf<K>['data']['object'] ? true : false };
type AllAgree = false extends Agrees[EmittedEventType] ? never : true;
const agrees: AllAgree = true;
void agrees;

export interface RequestContext {
  readonly id: string;
  readonly idempotencyKey: string | null;
}

/**
 * Records events. Each event's `data.object` is a snapshot taken when it is emitted; `request`
 * names the API request that caused it (null ids for work the clock triggered).
 */
export class EventLog {
  private request: RequestContext | null = null;

  constructor(
    private readonly state: StripeState,
    private readonly now: () => number,
    private readonly webhooksEnabled: () => boolean,
    private readonly onEmit: (event: Stripe.Event) => void,
    /** The shared clock, which retention follows; `now` may read a test clock's time instead. */
    private readonly sharedNow: () => number = now,
  ) {}

  /** Runs `fn` with events attributed to the request; only its synchronous part is covered. */
  during<T>(request: RequestContext, fn: () => T): T {
    const outer = this.request;
    this.request = request;
    try {
      return fn();
    } finally {
      this.request = outer;
    }
  }

  emit<T extends EmittedEventType>(type: T, object: EmittedObjects[T], before?: EmittedObjects[T]): Stripe.Event {
    const snapshot = clone(object);
    const data = before === undefined ? { object: snapshot } : { object: snapshot, previous_attributes: previousAttributes(before, object) };
    const event = build(type, data, {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(),
      livemode: false,
      pending_webhooks: this.webhooksEnabled() ? 1 : 0,
      request: { id: this.request?.id ?? null, idempotency_key: this.request?.idempotencyKey ?? null },
    });
    const emittedAt = this.sharedNow();
    this.prune(emittedAt);
    this.state.events.set(event.id, event);
    this.state.eventEmittedAt.set(event.id, emittedAt);
    this.onEmit(event);
    return event;
  }

  /**
   * Stripe keeps events for 30 days. Age counts in shared time from emission, not from `created`:
   * an event of a test clock's customer carries that clock's time, possibly years behind, and
   * would otherwise be dropped at once. Events are stored in emission order, so in shared-time
   * order; an event from a file written before emission times were kept falls back to `created`.
   */
  private prune(now: number): void {
    const cutoff = now - EVENT_RETENTION;
    for (const [id, event] of this.state.events) {
      if ((this.state.eventEmittedAt.get(id) ?? event.created) >= cutoff) break;
      this.state.events.delete(id);
      this.state.eventEmittedAt.delete(id);
    }
  }

  /** `customer.updated`-style event, only if something changed. */
  emitUpdated<T extends EmittedEventType>(type: T, object: EmittedObjects[T], before: EmittedObjects[T]): void {
    if (Object.keys(previousAttributes(before, object)).length > 0) this.emit(type, object, before);
  }
}

type EventBaseFields = Omit<Stripe.EventBase, 'type' | 'data'>;

// The SDK's Event is a union discriminated by `type`; `EmittedObjects` (checked above) ties
// each type to its object, so this is the one place the union is asserted.
const build = (
  type: EmittedEventType,
  data: { object: object; previous_attributes?: Record<string, unknown> },
  base: EventBaseFields,
): Stripe.Event => ({ ...base, type, data }) as Stripe.Event;
