import { existsSync, readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { removeStaleTemps, writeFileDurably, writeFileDurablySync } from '../durable-file';
import { resourceMissing } from './errors';

/** Bookkeeping Stripe keeps but does not show on the subscription object. */
export interface SubscriptionMeta {
  /** The trial end for which `customer.subscription.trial_will_end` was sent. */
  trialWillEndSentFor: number | null;
  /**
   * A schedule phase entered with `discounts=''` ("avoid inheriting any discounts"): the
   * customer's discount stays off the subscription's invoices until its discounts are set again.
   * Absent in files written before it was kept.
   */
  customerDiscountWithheld?: boolean;
}

/** A Checkout Session's line items and `payment_intent_data`, used when it completes. */
export interface CheckoutSessionExtras {
  readonly lineItems: { price: Stripe.Price; quantity: number }[];
  readonly paymentIntentData: {
    shipping: Stripe.PaymentIntent.Shipping | null;
    description: string | null;
    metadata: Record<string, string>;
    setupFutureUsage: Stripe.PaymentIntent.SetupFutureUsage | null;
    captureMethod: Stripe.PaymentIntent.CaptureMethod;
  };
}

/** A webhook delivery waiting for its (next) attempt. */
export interface WebhookDelivery {
  readonly eventId: string;
  attempts: number;
  /** Unix seconds of simulated time. */
  dueAt: number;
}

/** A stored response to an idempotent POST. */
export interface IdempotencyEntry {
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly fingerprint: string;
  readonly status: number;
  readonly body: string;
  readonly createdAt: number;
}

/**
 * Everything the local Stripe endpoint knows. Objects are stored in Stripe's own types with
 * references as ids (never expanded); maps keep insertion order, which is creation order.
 */
export interface StripeState {
  readonly products: Map<string, Stripe.Product>;
  readonly prices: Map<string, Stripe.Price>;
  readonly customers: Map<string, Stripe.Customer>;
  readonly deletedCustomers: Set<string>;
  readonly paymentMethods: Map<string, Stripe.PaymentMethod>;
  readonly subscriptions: Map<string, Stripe.Subscription>;
  readonly subscriptionMeta: Map<string, SubscriptionMeta>;
  readonly schedules: Map<string, Stripe.SubscriptionSchedule>;
  readonly invoiceItems: Map<string, Stripe.InvoiceItem>;
  readonly invoices: Map<string, Stripe.Invoice>;
  readonly events: Map<string, Stripe.Event>;
  readonly testClocks: Map<string, Stripe.TestHelpers.TestClock>;
  readonly paymentIntents: Map<string, Stripe.PaymentIntent>;
  readonly charges: Map<string, Stripe.Charge>;
  readonly refunds: Map<string, Stripe.Refund>;
  readonly setupIntents: Map<string, Stripe.SetupIntent>;
  readonly sources: Map<string, Stripe.Card>;
  readonly checkoutSessions: Map<string, Stripe.Checkout.Session>;
  readonly coupons: Map<string, Stripe.Coupon>;
  readonly promotionCodes: Map<string, Stripe.PromotionCode>;
  readonly taxRates: Map<string, Stripe.TaxRate>;
  readonly creditNotes: Map<string, Stripe.CreditNote>;
  readonly portalConfigurations: Map<string, Stripe.BillingPortal.Configuration>;
  readonly portalSessions: Map<string, Stripe.BillingPortal.Session>;
  /** Every discount ever applied, by id, with `source.coupon` kept as the coupon it was made from. */
  readonly discounts: Map<string, Stripe.Discount>;
  readonly idempotency: Map<string, IdempotencyEntry>;
  webhookQueue: WebhookDelivery[];
  /**
   * `days_until_due` of one-off `send_invoice` invoices, by invoice id: Stripe keeps it to set the
   * due date at finalization, but the Invoice object does not show it.
   */
  readonly invoiceDaysUntilDue: Map<string, number>;
  /**
   * Shared (simulated) time at which each event was emitted, by event id. An event's `created` is
   * its test clock's time, which can be years behind; retention counts from this instead.
   */
  readonly eventEmittedAt: Map<string, number>;
  /** What a Checkout Session needs at completion that Stripe does not show on it, by session id. */
  readonly checkoutExtras: Map<string, CheckoutSessionExtras>;
  /** Customer tax IDs (`txi_...`), by id. */
  readonly taxIds: Map<string, Stripe.TaxId>;
  /**
   * `tax_behavior` given when an invoice item was created, by invoice item id: Stripe keeps it for
   * automatic tax, but the InvoiceItem object does not show it.
   */
  readonly invoiceItemTaxBehavior: Map<string, InvoiceItemTaxBehavior>;
  /** The customers' invoice balance ledgers (`cbtxn_...`), by id, in creation order. */
  readonly customerBalanceTransactions: Map<string, Stripe.CustomerBalanceTransaction>;
  /**
   * By schedule id, the start dates of its phases given `discounts=''`: the phase object shows
   * `discounts: []` as for a phase given none, but such a phase does not inherit the customer's.
   */
  readonly phasesWithoutDiscounts: Map<string, number[]>;
}

/** How an invoice item's amount relates to tax (Stripe's `tax_behavior`). */
export type InvoiceItemTaxBehavior = 'exclusive' | 'inclusive' | 'unspecified';

export const emptyState = (): StripeState => ({
  products: new Map(),
  prices: new Map(),
  customers: new Map(),
  deletedCustomers: new Set(),
  paymentMethods: new Map(),
  subscriptions: new Map(),
  subscriptionMeta: new Map(),
  schedules: new Map(),
  invoiceItems: new Map(),
  invoices: new Map(),
  events: new Map(),
  testClocks: new Map(),
  paymentIntents: new Map(),
  charges: new Map(),
  refunds: new Map(),
  setupIntents: new Map(),
  sources: new Map(),
  checkoutSessions: new Map(),
  coupons: new Map(),
  promotionCodes: new Map(),
  taxRates: new Map(),
  creditNotes: new Map(),
  portalConfigurations: new Map(),
  portalSessions: new Map(),
  discounts: new Map(),
  idempotency: new Map(),
  webhookQueue: [],
  invoiceDaysUntilDue: new Map(),
  eventEmittedAt: new Map(),
  checkoutExtras: new Map(),
  taxIds: new Map(),
  invoiceItemTaxBehavior: new Map(),
  customerBalanceTransactions: new Map(),
  phasesWithoutDiscounts: new Map(),
});

/** Looks an id up or throws Stripe's 404 `No such <noun>: '<id>'`. */
export const must = <T>(map: ReadonlyMap<string, T>, id: string, noun: string, param = 'id'): T => {
  const found = map.get(id);
  if (found === undefined) throw resourceMissing(noun, id, param);
  return found;
};

const FORMAT_VERSION = 1;

interface PersistedState {
  version: number;
  products: Stripe.Product[];
  prices: Stripe.Price[];
  customers: Stripe.Customer[];
  deletedCustomers: string[];
  paymentMethods: Stripe.PaymentMethod[];
  subscriptions: Stripe.Subscription[];
  subscriptionMeta: Array<[string, SubscriptionMeta]>;
  schedules: Stripe.SubscriptionSchedule[];
  invoiceItems: Stripe.InvoiceItem[];
  invoices: Stripe.Invoice[];
  events: Stripe.Event[];
  testClocks: Stripe.TestHelpers.TestClock[];
  /** Absent in files written before it was modelled. */
  paymentIntents?: Stripe.PaymentIntent[];
  charges?: Stripe.Charge[];
  refunds?: Stripe.Refund[];
  setupIntents?: Stripe.SetupIntent[];
  sources?: Stripe.Card[];
  checkoutSessions?: Stripe.Checkout.Session[];
  coupons?: Stripe.Coupon[];
  promotionCodes?: Stripe.PromotionCode[];
  taxRates?: Stripe.TaxRate[];
  creditNotes?: Stripe.CreditNote[];
  portalConfigurations?: Stripe.BillingPortal.Configuration[];
  portalSessions?: Stripe.BillingPortal.Session[];
  discounts?: Stripe.Discount[];
  idempotency: IdempotencyEntry[];
  webhookQueue: WebhookDelivery[];
  /** Absent in files written before they were kept (events then fall back to their `created`). */
  invoiceDaysUntilDue?: Array<[string, number]>;
  eventEmittedAt?: Array<[string, number]>;
  checkoutExtras?: Array<[string, CheckoutSessionExtras]>;
  taxIds?: Stripe.TaxId[];
  invoiceItemTaxBehavior?: Array<[string, InvoiceItemTaxBehavior]>;
  customerBalanceTransactions?: Stripe.CustomerBalanceTransaction[];
  phasesWithoutDiscounts?: Array<[string, number[]]>;
}

const byId = <T extends { id: string }>(items: T[]): Map<string, T> => new Map(items.map((x) => [x.id, x]));

const toPersisted = (s: StripeState): PersistedState => ({
  version: FORMAT_VERSION,
  products: [...s.products.values()],
  prices: [...s.prices.values()],
  customers: [...s.customers.values()],
  deletedCustomers: [...s.deletedCustomers],
  paymentMethods: [...s.paymentMethods.values()],
  subscriptions: [...s.subscriptions.values()],
  subscriptionMeta: [...s.subscriptionMeta.entries()],
  schedules: [...s.schedules.values()],
  invoiceItems: [...s.invoiceItems.values()],
  invoices: [...s.invoices.values()],
  events: [...s.events.values()],
  testClocks: [...s.testClocks.values()],
  paymentIntents: [...s.paymentIntents.values()],
  charges: [...s.charges.values()],
  refunds: [...s.refunds.values()],
  setupIntents: [...s.setupIntents.values()],
  sources: [...s.sources.values()],
  checkoutSessions: [...s.checkoutSessions.values()],
  coupons: [...s.coupons.values()],
  promotionCodes: [...s.promotionCodes.values()],
  taxRates: [...s.taxRates.values()],
  creditNotes: [...s.creditNotes.values()],
  portalConfigurations: [...s.portalConfigurations.values()],
  portalSessions: [...s.portalSessions.values()],
  discounts: [...s.discounts.values()],
  idempotency: [...s.idempotency.values()],
  webhookQueue: s.webhookQueue,
  invoiceDaysUntilDue: [...s.invoiceDaysUntilDue.entries()],
  eventEmittedAt: [...s.eventEmittedAt.entries()],
  checkoutExtras: [...s.checkoutExtras.entries()],
  taxIds: [...s.taxIds.values()],
  invoiceItemTaxBehavior: [...s.invoiceItemTaxBehavior.entries()],
  customerBalanceTransactions: [...s.customerBalanceTransactions.values()],
  phasesWithoutDiscounts: [...s.phasesWithoutDiscounts.entries()],
});

// Decimal fields (`unit_amount_decimal`, `quantity_decimal`, `amount_decimal`) are strings on
// the wire and in the file; in memory they are the SDK's Decimal, as its types say.
const reviveDecimals = (key: string, value: unknown): unknown =>
  key.endsWith('_decimal') && typeof value === 'string' ? Stripe.Decimal.from(value) : value;

const fromPersisted = (p: PersistedState): StripeState => ({
  products: byId(p.products),
  prices: byId(p.prices),
  customers: byId(p.customers),
  deletedCustomers: new Set(p.deletedCustomers),
  paymentMethods: byId(p.paymentMethods),
  subscriptions: byId(p.subscriptions),
  subscriptionMeta: new Map(p.subscriptionMeta),
  schedules: byId(p.schedules),
  invoiceItems: byId(p.invoiceItems),
  invoices: byId(p.invoices),
  events: byId(p.events),
  testClocks: byId(p.testClocks),
  paymentIntents: byId(p.paymentIntents ?? []),
  charges: byId(p.charges ?? []),
  refunds: byId(p.refunds ?? []),
  setupIntents: byId(p.setupIntents ?? []),
  sources: byId(p.sources ?? []),
  checkoutSessions: byId(p.checkoutSessions ?? []),
  coupons: byId(p.coupons ?? []),
  promotionCodes: byId(p.promotionCodes ?? []),
  taxRates: byId(p.taxRates ?? []),
  creditNotes: byId(p.creditNotes ?? []),
  portalConfigurations: byId(p.portalConfigurations ?? []),
  portalSessions: byId(p.portalSessions ?? []),
  discounts: byId(p.discounts ?? []),
  idempotency: new Map(p.idempotency.map((e) => [e.key, e])),
  webhookQueue: p.webhookQueue,
  invoiceDaysUntilDue: new Map(p.invoiceDaysUntilDue ?? []),
  eventEmittedAt: new Map(p.eventEmittedAt ?? []),
  checkoutExtras: new Map(p.checkoutExtras ?? []),
  taxIds: byId(p.taxIds ?? []),
  invoiceItemTaxBehavior: new Map(p.invoiceItemTaxBehavior ?? []),
  customerBalanceTransactions: byId(p.customerBalanceTransactions ?? []),
  phasesWithoutDiscounts: new Map(p.phasesWithoutDiscounts ?? []),
});

/**
 * Optional JSON persistence that keeps what the endpoint acknowledged. `changed()` marks the
 * state dirty and starts a save; `durable()` resolves once every change made so far is on disk.
 * The endpoint awaits `durable()` before it sends any API response and before it delivers a
 * webhook, so nothing it answered (an `ii_...` it handed out, an idempotency key it will
 * replay) or announced is lost to a kill -9. Each save writes the whole state to a temporary
 * file, fsyncs it and renames it over the old one (then fsyncs the directory): a crash leaves
 * the previous state or the new one, never half a file. Changes made while a save runs are
 * taken by the next save, so a burst of requests shares one write (group commit).
 */
export class StatePersistence {
  private version = 0;
  private savedVersion = 0;
  private saving = false;
  private saved: Promise<void> = Promise.resolve();
  private waiters: { upTo: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private failed: unknown = null;

  constructor(
    private readonly file: string | undefined,
    private readonly state: () => StripeState,
  ) {}

  static load(file: string | undefined): StripeState {
    if (!file) return emptyState();
    // A temporary file left by a crash mid-save was never renamed: the state file is the truth.
    removeStaleTemps(file);
    if (!existsSync(file)) return emptyState();
    const parsed = JSON.parse(readFileSync(file, 'utf8'), reviveDecimals) as PersistedState;
    if (parsed.version !== FORMAT_VERSION) throw new Error(`${file}: unsupported local Stripe state version ${String(parsed.version)}`);
    return fromPersisted(parsed);
  }

  /** The state changed (and is consistent now): save it. */
  changed(): void {
    if (!this.file) return;
    this.version += 1;
    this.startSaving();
  }

  /** Resolves once every change so far is on disk (at once without a file). */
  durable(): Promise<void> {
    if (!this.file || this.savedVersion >= this.version) return Promise.resolve();
    if (this.failed) return Promise.reject(this.failed);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ upTo: this.version, resolve, reject }));
    this.startSaving();
    return done;
  }

  /** Waits for a save in progress, then writes whatever is left, synchronously (at close). */
  async close(): Promise<void> {
    await this.saved;
    this.flush();
  }

  /** Writes the state now, synchronously. */
  flush(): void {
    if (!this.file) return;
    writeFileDurablySync(this.file, JSON.stringify(toPersisted(this.state())));
    this.savedVersion = this.version;
    this.settle(this.version);
  }

  private startSaving(): void {
    if (this.saving || this.failed) return;
    this.saving = true;
    this.saved = this.save();
  }

  private async save(): Promise<void> {
    try {
      while (this.file && this.savedVersion < this.version) {
        const upTo = this.version;
        // The snapshot is taken here, synchronously, between requests: a consistent state.
        const text = JSON.stringify(toPersisted(this.state()));
        await writeFileDurably(this.file, text);
        this.savedVersion = Math.max(this.savedVersion, upTo);
        this.settle(upTo);
      }
    } catch (error) {
      // A state that cannot be saved must not acknowledge anything again.
      this.failed = error;
      console.error('local Stripe: cannot save its state', error);
      for (const w of this.waiters) w.reject(error);
      this.waiters = [];
    } finally {
      this.saving = false;
    }
  }

  private settle(upTo: number): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.upTo > upTo) return true;
      w.resolve();
      return false;
    });
  }
}
