import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Stripe from 'stripe';
import { resourceMissing } from './errors';

/** Bookkeeping Stripe keeps but does not show on the subscription object. */
export interface SubscriptionMeta {
  /** The trial end for which `customer.subscription.trial_will_end` was sent. */
  trialWillEndSentFor: number | null;
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
  readonly idempotency: Map<string, IdempotencyEntry>;
  webhookQueue: WebhookDelivery[];
}

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
  idempotency: new Map(),
  webhookQueue: [],
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
  idempotency: IdempotencyEntry[];
  webhookQueue: WebhookDelivery[];
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
  idempotency: [...s.idempotency.values()],
  webhookQueue: s.webhookQueue,
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
  idempotency: new Map(p.idempotency.map((e) => [e.key, e])),
  webhookQueue: p.webhookQueue,
});

/**
 * Optional JSON persistence: `load` reads the file if it exists; `changed` schedules a save
 * (debounced), `flush` writes now. Writes go to a temporary file first so a crash never leaves
 * half a file.
 */
export class StatePersistence {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly file: string | undefined,
    private readonly state: () => StripeState,
    private readonly debounceMs = 50,
  ) {}

  static load(file: string | undefined): StripeState {
    if (!file || !existsSync(file)) return emptyState();
    const parsed = JSON.parse(readFileSync(file, 'utf8'), reviveDecimals) as PersistedState;
    if (parsed.version !== FORMAT_VERSION) throw new Error(`${file}: unsupported local Stripe state version ${String(parsed.version)}`);
    return fromPersisted(parsed);
  }

  changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(toPersisted(this.state())));
    renameSync(tmp, this.file);
  }
}
