import Stripe from 'stripe';
import { BILLING_CYCLES, catalog, type BillingCycle, type Catalog } from '../../domain/catalog';
import { CURRENCIES, isCurrency } from '../../domain/money';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../../domain/subscription';
import { Conflict, InvalidInput, InvalidSignature, PaymentRequired, ProviderRefusal } from '../../app/errors';
import { count, METRIC } from '../../platform/metrics';
import type {
  CreateSubscriptionInput,
  OverageItemInput,
  InvoiceLineKind,
  InvoiceStatus,
  PaymentProvider,
  PriceTarget,
  ProviderEvent,
  ProviderInvoice,
  ProviderInvoiceLine,
  ProviderSubscription,
} from '../../app/ports/payments';

/** `securenet_<plan>_<cycle>_<currency>`: how a catalog price is found again in Stripe. */
export const lookupKey = (t: PriceTarget): string => `securenet_${t.planId}_${t.cycle}_${t.currency}`;
const productId = (planId: string): string => `securenet_${planId}`;

const parseLookupKey = (key: string | null): PriceTarget | null => {
  const m = key ? /^securenet_(.+)_(monthly|annual)_([a-z]{3})$/.exec(key) : null;
  if (!m?.[1] || !m[2] || !m[3] || !isCurrency(m[3])) return null;
  return { planId: m[1], cycle: m[2] as BillingCycle, currency: m[3] };
};

const fromUnix = (seconds: number): Date => new Date(seconds * 1000);
const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;

const asStatus = (status: string): SubscriptionStatus => {
  if ((SUBSCRIPTION_STATUSES as readonly string[]).includes(status)) return status as SubscriptionStatus;
  throw new Error(`unknown Stripe subscription status ${status}`);
};

const lineKind = (line: Stripe.InvoiceLineItem): InvoiceLineKind => {
  if (line.metadata?.kind === 'overage') return 'overage';
  const parent = line.parent;
  if (parent?.subscription_item_details) return parent.subscription_item_details.proration ? 'proration' : 'subscription';
  if (parent?.invoice_item_details?.proration) return 'proration';
  return 'other';
};

/** How far a webhook's signed timestamp may be from our clock, either way (Stripe's default). */
const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The `t=` of a Stripe-Signature header, read as the SDK reads it (the last one counts). */
const signedAt = (header: string): number =>
  header.split(',').reduce((at, item) => {
    const [key, value] = item.split('=');
    return key === 't' ? Number.parseInt(value ?? '', 10) : at;
  }, Number.NaN);

export interface StripeAdapterOptions {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** The local Stripe endpoint; unset for api.stripe.com. */
  readonly apiBase?: string;
  readonly catalog?: Catalog;
}

/**
 * Stripe's refusals in our words: a declined card is a 402, a reused idempotency key with other
 * parameters a 409, an unknown payment method a 400 naming it. Anything else stays internal.
 */
const translate = (error: unknown): unknown => {
  if (error instanceof Stripe.errors.StripeError) count(METRIC.stripeErrors);
  if (error instanceof Stripe.errors.StripeCardError) return new PaymentRequired(error.message, { cause: error });
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return new Conflict('A previous request with other parameters is still being processed; try again', { cause: error });
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param === 'payment_method') {
    return new InvalidInput('Unknown payment method', [{ field: 'payment_method', message: error.message }]);
  }
  return error;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stripe answers 429 when a client goes too fast (about 100 requests/s live, 25 in test mode)
 * and the SDK does not retry it. Every call routed here carries an idempotency key, so trying
 * again with exponential backoff and full jitter cannot create anything twice.
 */
export const withRateLimitRetry = async <T>(call: () => Promise<T>, attempts = 6, baseMs = 200): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof Stripe.errors.StripeError) count(error instanceof Stripe.errors.StripeRateLimitError ? METRIC.stripeRateLimited : METRIC.stripeErrors);
      if (!(error instanceof Stripe.errors.StripeRateLimitError) || attempt >= attempts) throw error;
      await sleep(Math.random() * baseMs * 2 ** (attempt - 1));
    }
  }
};

/** Stripe refused for good: a 4xx other than 429 (a 429 is retried; 5xx and network errors may succeed later). */
const isPermanent = (error: unknown): error is InstanceType<typeof Stripe.errors.StripeError> =>
  error instanceof Stripe.errors.StripeError &&
  !(error instanceof Stripe.errors.StripeRateLimitError) &&
  typeof error.statusCode === 'number' &&
  error.statusCode >= 400 &&
  error.statusCode < 500;

const refusing = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (isPermanent(error)) throw new ProviderRefusal(error.message, { cause: error });
    throw error;
  }
};

const translated = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw translate(error);
  }
};

/**
 * The only code that calls Stripe. Every create carries an idempotency key; Stripe's objects
 * are translated into the port's types here and nowhere else.
 */
export class StripeAdapter implements PaymentProvider {
  private readonly stripe: Stripe;
  private readonly priceIds = new Map<string, string>();
  private readonly pricesById = new Map<string, { target: PriceTarget; unitAmount: number }>();

  constructor(private readonly options: StripeAdapterOptions) {
    const base = options.apiBase ? new URL(options.apiBase) : null;
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: 2,
      timeout: 10_000,
      telemetry: false,
      ...(base
        ? {
            host: base.hostname,
            port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
            protocol: base.protocol === 'https:' ? 'https' : 'http',
          }
        : {}),
    });
  }

  async syncCatalog(): Promise<{ created: number; existing: number }> {
    const source = this.options.catalog ?? catalog;
    let created = 0;
    let existing = 0;
    for (const plan of source.plans) {
      try {
        await this.stripe.products.retrieve(productId(plan.id));
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing')) throw error;
        await this.stripe.products.create(
          { id: productId(plan.id), name: `SecureNet ${plan.name}`, metadata: { plan_id: plan.id } },
          { idempotencyKey: `product:${plan.id}` },
        );
      }
    }
    await this.loadPrices();
    for (const plan of source.plans) {
      for (const currency of CURRENCIES) {
        for (const cycle of BILLING_CYCLES) {
          const target = { planId: plan.id, cycle, currency };
          if (this.priceIds.has(lookupKey(target))) {
            existing += 1;
            continue;
          }
          const unitAmount = plan.prices[currency][cycle];
          const price = await this.stripe.prices.create(
            {
              product: productId(plan.id),
              currency,
              unit_amount: unitAmount,
              recurring: { interval: cycle === 'annual' ? 'year' : 'month' },
              lookup_key: lookupKey(target),
              metadata: { plan_id: plan.id, billing_cycle: cycle },
            },
            { idempotencyKey: `price:${lookupKey(target)}:${unitAmount}` },
          );
          this.remember(price);
          created += 1;
        }
      }
    }
    return { created, existing };
  }

  async createCustomer(input: { tenantId: string; email?: string; name?: string; idempotencyKey: string }): Promise<string> {
    const customer = await this.stripe.customers.create(
      {
        ...(input.email ? { email: input.email } : {}),
        ...(input.name ? { name: input.name } : {}),
        metadata: { tenant_id: input.tenantId },
      },
      { idempotencyKey: input.idempotencyKey },
    );
    return customer.id;
  }

  async attachPaymentMethod(customerId: string, paymentMethod: string, idempotencyKey: string): Promise<string> {
    const attached = await translated(() =>
      this.stripe.paymentMethods.attach(paymentMethod, { customer: customerId }, { idempotencyKey }),
    );
    await this.stripe.customers.update(customerId, { invoice_settings: { default_payment_method: attached.id } });
    return attached.id;
  }

  async createSubscription(input: CreateSubscriptionInput): Promise<ProviderSubscription> {
    const price = await this.priceId(input);
    const sub = await translated(() =>
      this.stripe.subscriptions.create(
      {
        customer: input.customerId,
        items: [{ price }],
        ...(input.trialDays > 0 ? { trial_period_days: input.trialDays } : {}),
        payment_behavior: 'allow_incomplete',
        metadata: { tenant_id: input.tenantId },
        expand: ['latest_invoice', 'schedule'],
      },
      { idempotencyKey: input.idempotencyKey },
    ),
    );
    return this.toSubscription(sub, true);
  }

  async changePriceNow(subscriptionId: string, target: PriceTarget, idempotencyKey: string): Promise<ProviderSubscription> {
    const before = await this.clearSchedule(await this.retrieve(subscriptionId));
    const item = this.firstItem(before);
    const price = await this.priceId(target);
    const sub = await translated(() =>
      this.stripe.subscriptions.update(
        subscriptionId,
        { items: [{ id: item.id, price }], proration_behavior: 'always_invoice', expand: ['latest_invoice', 'schedule'] },
        { idempotencyKey },
      ),
    );
    return this.toSubscription(sub, idOf(sub.latest_invoice) !== idOf(before.latest_invoice));
  }

  async previewPriceChange(subscriptionId: string, target: PriceTarget): Promise<number> {
    const sub = await this.retrieve(subscriptionId);
    const item = this.firstItem(sub);
    const price = await this.priceId(target);
    const preview = await translated(() =>
      this.stripe.invoices.createPreview({
        customer: idOf(sub.customer) ?? '',
        subscription: subscriptionId,
        subscription_details: { items: [{ id: item.id, price }], proration_behavior: 'always_invoice' },
      }),
    );
    return (await this.allLines(preview)).filter((line) => lineKind(line) === 'proration').reduce((sum, line) => sum + line.amount, 0);
  }

  async changePriceAtPeriodEnd(subscriptionId: string, target: PriceTarget): Promise<ProviderSubscription> {
    const sub = await this.retrieve(subscriptionId);
    const item = this.firstItem(sub);
    const scheduleId =
      idOf(sub.schedule) ?? (await this.stripe.subscriptionSchedules.create({ from_subscription: subscriptionId })).id;
    const schedule = await this.stripe.subscriptionSchedules.retrieve(scheduleId);
    const start = schedule.current_phase?.start_date ?? item.current_period_start;
    await this.stripe.subscriptionSchedules.update(scheduleId, {
      end_behavior: 'release',
      phases: [
        { items: [{ price: item.price.id }], start_date: start, end_date: item.current_period_end, proration_behavior: 'none' },
        {
          items: [{ price: await this.priceId(target) }],
          duration: { interval: target.cycle === 'annual' ? 'year' : 'month', interval_count: 1 },
          proration_behavior: 'none',
        },
      ],
    });
    return this.toSubscription(await this.retrieve(subscriptionId), false);
  }

  async clearPendingChange(subscriptionId: string): Promise<ProviderSubscription> {
    return this.toSubscription(await this.clearSchedule(await this.retrieve(subscriptionId)), false);
  }

  async setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<ProviderSubscription> {
    await this.clearSchedule(await this.retrieve(subscriptionId));
    const sub = await this.stripe.subscriptions.update(subscriptionId, {
      cancel_at_period_end: cancel,
      expand: ['latest_invoice', 'schedule'],
    });
    return this.toSubscription(sub, false);
  }

  async cancelNow(subscriptionId: string): Promise<ProviderSubscription> {
    await this.clearSchedule(await this.retrieve(subscriptionId));
    // No refund (no proration credit); the final invoice takes the pending overage items.
    const sub = await this.stripe.subscriptions.cancel(subscriptionId, { invoice_now: true, prorate: false, expand: ['latest_invoice', 'schedule'] });
    return this.toSubscription(sub, false);
  }

  async getSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    return this.toSubscription(await this.retrieve(subscriptionId), false);
  }

  async getInvoice(invoiceId: string): Promise<ProviderInvoice> {
    const invoice = await this.stripe.invoices.retrieve(invoiceId);
    return this.toInvoice(invoice, await this.allLines(invoice));
  }

  parseWebhook(rawBody: string, signature: string | undefined, now: Date): ProviderEvent {
    if (!signature) throw new InvalidSignature('Missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.options.webhookSecret, WEBHOOK_TOLERANCE_SECONDS, undefined, now.getTime());
    } catch (cause) {
      throw new InvalidSignature('Invalid Stripe signature', { cause });
    }
    // The SDK refuses only timestamps too far in the past; one too far ahead is as suspect.
    const at = signedAt(signature);
    if (!Number.isFinite(at) || at - Math.floor(now.getTime() / 1000) > WEBHOOK_TOLERANCE_SECONDS) {
      throw new InvalidSignature('Invalid Stripe signature: timestamp outside the tolerance zone');
    }
    const object = event.data.object as { object?: string; id?: string; customer?: string | { id: string } | null };
    const kind = object.object === 'subscription' ? 'subscription' : object.object === 'invoice' ? 'invoice' : 'other';
    return {
      id: event.id,
      type: event.type,
      createdAt: fromUnix(event.created),
      object: { kind, id: object.id ?? '' },
      customerId: idOf(object.customer ?? null),
    };
  }

  async createInvoiceItem(input: OverageItemInput): Promise<string> {
    const create = (invoice: string | null) =>
      withRateLimitRetry(() =>
        this.stripe.invoiceItems.create(
          {
            customer: input.customerId,
            ...(input.subscriptionId ? { subscription: input.subscriptionId } : {}),
            currency: input.currency,
            amount: input.amount,
            description: input.description,
            period: { start: Math.floor(input.periodStart.getTime() / 1000), end: Math.floor(input.periodEnd.getTime() / 1000) },
            metadata: { ...input.metadata },
            ...(invoice ? { invoice } : {}),
          },
          { idempotencyKey: invoice ? input.idempotencyKey : `${input.idempotencyKey}:pending` },
        ),
      );
    return refusing(async () => {
      try {
        return (await create(input.invoiceId)).id;
      } catch (error) {
        // The renewal draft was finalized in the meantime: the item waits for the next invoice.
        if (input.invoiceId && error instanceof Stripe.errors.StripeInvalidRequestError && error.param === 'invoice') {
          return (await create(null)).id;
        }
        throw error;
      }
    });
  }

  async findInvoiceItem(customerId: string, overageKey: string): Promise<string | null> {
    for await (const item of this.stripe.invoiceItems.list({ customer: customerId, limit: 100 })) {
      if (item.metadata?.overage_key === overageKey) return item.id;
    }
    return null;
  }

  async invoicePendingItems(customerId: string, subscriptionId: string | null, idempotencyKey: string): Promise<ProviderInvoice> {
    const draft = await refusing(() =>
      withRateLimitRetry(() =>
        this.stripe.invoices.create(
          {
            customer: customerId,
            ...(subscriptionId ? { subscription: subscriptionId } : {}),
            pending_invoice_items_behavior: 'include',
            auto_advance: true,
          },
          { idempotencyKey },
        ),
      ),
    );
    const invoice =
      draft.status === 'draft' && draft.id
        ? await withRateLimitRetry(() => this.stripe.invoices.finalizeInvoice(draft.id ?? '', {}, { idempotencyKey: `${idempotencyKey}:finalize` }))
        : draft;
    return this.toInvoice(invoice, await this.allLines(invoice));
  }

  private async retrieve(subscriptionId: string): Promise<Stripe.Subscription> {
    return this.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice', 'schedule'] });
  }

  private async clearSchedule(sub: Stripe.Subscription): Promise<Stripe.Subscription> {
    const scheduleId = idOf(sub.schedule);
    if (!scheduleId) return sub;
    await this.stripe.subscriptionSchedules.release(scheduleId);
    return this.retrieve(sub.id);
  }

  private firstItem(sub: Stripe.Subscription): Stripe.SubscriptionItem {
    const item = sub.items.data[0];
    if (!item) throw new Error(`subscription ${sub.id} has no items`);
    return item;
  }

  private async loadPrices(): Promise<void> {
    const keys: string[] = [];
    const source = this.options.catalog ?? catalog;
    for (const plan of source.plans)
      for (const currency of CURRENCIES) for (const cycle of BILLING_CYCLES) keys.push(lookupKey({ planId: plan.id, cycle, currency }));
    // Stripe takes at most 10 lookup keys per list call.
    for (let i = 0; i < keys.length; i += 10) {
      for await (const price of this.stripe.prices.list({ lookup_keys: keys.slice(i, i + 10), active: true, limit: 100 })) {
        this.remember(price);
      }
    }
  }

  private remember(price: Stripe.Price): void {
    const target = parseLookupKey(price.lookup_key);
    if (!target || price.unit_amount === null) return;
    this.priceIds.set(lookupKey(target), price.id);
    this.pricesById.set(price.id, { target, unitAmount: price.unit_amount });
  }

  private async priceId(target: PriceTarget): Promise<string> {
    if (!this.priceIds.has(lookupKey(target))) await this.loadPrices();
    const id = this.priceIds.get(lookupKey(target));
    if (!id) throw new Error(`Stripe has no price ${lookupKey(target)}: run the catalog sync (npm run stripe:sync)`);
    return id;
  }

  private async price(priceId: string): Promise<{ target: PriceTarget; unitAmount: number }> {
    if (!this.pricesById.has(priceId)) this.remember(await this.stripe.prices.retrieve(priceId));
    const found = this.pricesById.get(priceId);
    if (!found) throw new Error(`price ${priceId} is not a SecureNet catalog price`);
    return found;
  }

  private async toSubscription(sub: Stripe.Subscription, withInvoice: boolean): Promise<ProviderSubscription> {
    const item = this.firstItem(sub);
    const { target, unitAmount } = await this.price(item.price.id);
    const schedule = sub.schedule && typeof sub.schedule === 'object' ? sub.schedule : null;
    let pendingChange: ProviderSubscription['pendingChange'] = null;
    if (schedule) {
      const next = schedule.phases.find((p) => p.start_date >= item.current_period_end);
      const nextPrice = next?.items[0]?.price;
      const nextPriceId = idOf(nextPrice ?? null);
      if (next && nextPriceId && nextPriceId !== item.price.id) {
        const nextTarget = (await this.price(nextPriceId)).target;
        pendingChange = { planId: nextTarget.planId, cycle: nextTarget.cycle, effectiveAt: fromUnix(next.start_date) };
      }
    }
    const invoice = withInvoice && sub.latest_invoice && typeof sub.latest_invoice === 'object' ? sub.latest_invoice : null;
    return {
      id: sub.id,
      customerId: idOf(sub.customer) ?? '',
      tenantId: sub.metadata?.tenant_id ?? null,
      status: asStatus(sub.status),
      itemId: item.id,
      priceId: item.price.id,
      planId: target.planId,
      cycle: target.cycle,
      currency: target.currency,
      unitAmount,
      trialEnd: sub.trial_end === null ? null : fromUnix(sub.trial_end),
      periodStart: fromUnix(item.current_period_start),
      periodEnd: fromUnix(item.current_period_end),
      billingCycleAnchor: fromUnix(sub.billing_cycle_anchor),
      cancelAtPeriodEnd: sub.cancel_at_period_end,
      canceledAt: sub.canceled_at === null ? null : fromUnix(sub.canceled_at),
      endedAt: sub.ended_at === null ? null : fromUnix(sub.ended_at),
      createdAt: fromUnix(sub.created),
      scheduleId: idOf(sub.schedule),
      pendingChange,
      latestInvoice: invoice ? this.toInvoice(invoice, await this.allLines(invoice)) : null,
    };
  }

  private async allLines(invoice: Stripe.Invoice): Promise<Stripe.InvoiceLineItem[]> {
    if (!invoice.lines.has_more || !invoice.id) return invoice.lines.data;
    const lines: Stripe.InvoiceLineItem[] = [];
    for await (const line of this.stripe.invoices.listLineItems(invoice.id, { limit: 100 })) lines.push(line);
    return lines;
  }

  private toInvoice(invoice: Stripe.Invoice, lines: Stripe.InvoiceLineItem[]): ProviderInvoice {
    if (!invoice.id) throw new Error('invoice preview has no id');
    if (!isCurrency(invoice.currency)) throw new Error(`invoice ${invoice.id} is in unsupported currency ${invoice.currency}`);
    const tax = (invoice.total_taxes ?? []).reduce((sum, t) => sum + t.amount, 0);
    return {
      id: invoice.id,
      customerId: idOf(invoice.customer) ?? '',
      subscriptionId: idOf(invoice.parent?.subscription_details?.subscription ?? null),
      number: invoice.number,
      status: (invoice.status ?? 'draft') as InvoiceStatus,
      billingReason: invoice.billing_reason,
      currency: invoice.currency,
      subtotal: invoice.subtotal,
      tax,
      total: invoice.total,
      amountPaid: invoice.amount_paid,
      amountDue: invoice.amount_due,
      attemptCount: invoice.attempt_count,
      nextPaymentAttempt: invoice.next_payment_attempt === null ? null : fromUnix(invoice.next_payment_attempt),
      periodStart: fromUnix(invoice.period_start),
      periodEnd: fromUnix(invoice.period_end),
      hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
      invoicePdf: invoice.invoice_pdf ?? null,
      createdAt: fromUnix(invoice.created),
      lines: lines.map(
        (line): ProviderInvoiceLine => ({
          id: line.id,
          description: line.description ?? '',
          amount: line.amount,
          quantity: line.quantity ?? 1,
          kind: lineKind(line),
          periodStart: fromUnix(line.period.start),
          periodEnd: fromUnix(line.period.end),
        }),
      ),
    };
  }
}
