import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { BillingDetails, PostalAddress } from '../../domain/billing-details';
import type { Catalog } from '../../domain/catalog';
import { LIVE_STATUSES } from '../../domain/subscription';
import { InvalidInput, InvalidSignature, NotFound, PaymentRequired, ProviderRefusal } from '../../app/errors';
import type { AdoptedCard, CardCollection, CardSummary, SetupSessionInput } from '../../app/ports/cards';
import type {
  CatalogSyncResult,
  CreateSubscriptionInput,
  OverageItemInput,
  PaymentProvider,
  PriceTarget,
  ProviderEvent,
  ProviderDiscount,
  ProviderInvoice,
  ProviderPromotionCode,
  ProviderSubscription,
} from '../../app/ports/payments';
import { StripeCatalog } from './catalog-sync';
import { StripeCoupons, type CouponSyncResult } from './coupon-sync';
import { createStripeClient, type CallOptions, type RetryPolicy, type StripeClient } from './client';
import { expandedInvoice, firstItem, idOf, lineKind, scheduledPriceChange, toBillingDetails, toEvent, toInvoice, toSubscription } from './mappers';

/** How far a webhook's signed timestamp may be from our clock, either way (Stripe's default). */
const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The `t=` of a Stripe-Signature header, read as the SDK reads it (the last one counts). */
const signedAt = (header: string): number =>
  header.split(',').reduce((at, item) => {
    const [key, value] = item.split('=');
    return key === 't' ? Number.parseInt(value ?? '', 10) : at;
  }, Number.NaN);

/**
 * A key for one call of a method the port gives no key to: the wrapper's retries of the request
 * reuse it (so Stripe replays instead of acting twice), a later call of the method gets another
 * (so it is not answered with an old result). These calls are safe to repeat as a whole: each
 * sets a state, or, for the schedule create, is made only when the subscription has none.
 */
const callKey = (what: string): string => `${what}:${randomUUID()}`;

/** Overage calls report every refusal for good as `ProviderRefusal` (the `OverageBilling` contract). */
const OVERAGE: CallOptions = { refusals: 'refusal' };

const unixSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

/** What every subscription call expands: the invoice it made, its schedule (a pending change) and its discounts. */
const SUBSCRIPTION_EXPAND = ['latest_invoice', 'schedule', 'discounts'] as const;

/** Stripe Tax computes the tax of every subscription and invoice we make (SPEC section 4a). */
const AUTOMATIC_TAX = { enabled: true } as const;

/**
 * A schedule phase's `discounts` that carry the subscription's own discounts on (Stripe: "if not
 * specified, inherits the discount from the subscription's customer"); none to carry, nothing
 * said, so the customer's discount applies as it does now.
 */
const keepDiscounts = (sub: Stripe.Subscription): { discounts?: { discount: string }[] } => {
  const ids = sub.discounts.map((d) => (typeof d === 'string' ? d : d.id));
  return ids.length > 0 ? { discounts: ids.map((discount) => ({ discount })) } : {};
};

const addressParam = (address: PostalAddress): Stripe.AddressParam => ({
  country: address.country,
  ...(address.line1 ? { line1: address.line1 } : {}),
  ...(address.line2 ? { line2: address.line2 } : {}),
  ...(address.city ? { city: address.city } : {}),
  ...(address.state ? { state: address.state } : {}),
  ...(address.postal_code ? { postal_code: address.postal_code } : {}),
});

const cardSummary = (id: string, card: Stripe.PaymentMethod.Card): CardSummary => ({
  id,
  brand: card.brand,
  last4: card.last4,
  expMonth: card.exp_month,
  expYear: card.exp_year,
});

export interface StripeAdapterOptions {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** The local Stripe endpoint; unset for api.stripe.com. */
  readonly apiBase?: string;
  readonly catalog?: Catalog;
  /** Backoff of the call wrapper (tests make its sleep instant). */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Test mode only: the Stripe test clock each new tenant's customer lives on (`test_clock`),
   * so a rehearsal moves one tenant's time without touching the others. Refused with a live key.
   */
  readonly testClockFor?: (tenantId: string) => string | undefined;
  /** Stripe's time, where it is not the wall clock (the local endpoint's simulated clock): what the coupon sync judges expiry by. */
  readonly now?: () => Date;
}

/**
 * The `PaymentProvider` on Stripe. Every request goes through the call wrapper (`client.ts`):
 * every POST carries an idempotency key, so its retries cannot act twice, and Stripe's errors
 * become ours. Stripe's objects become the port's types in `mappers.ts`.
 */
export class StripeAdapter implements PaymentProvider, CardCollection {
  private readonly catalog: StripeCatalog;
  private readonly coupons: StripeCoupons;
  private readonly taxRates = new Map<string, Stripe.TaxRate>();
  private readonly promotionCodes = new Map<string, string>();

  constructor(
    private readonly options: StripeAdapterOptions,
    private readonly client: StripeClient = createStripeClient(options),
  ) {
    if (options.testClockFor && !options.secretKey.startsWith('sk_test_')) throw new Error('Stripe test clocks need a test-mode key (sk_test_...)');
    this.catalog = new StripeCatalog(client, options.catalog);
    this.coupons = new StripeCoupons(client, undefined, options.now);
  }

  syncCatalog(): Promise<CatalogSyncResult> {
    return this.catalog.sync();
  }

  /** Creates the discount catalog's coupons and promotion codes once; a re-run creates nothing. */
  syncCoupons(): Promise<CouponSyncResult> {
    return this.coupons.sync();
  }

  findPromotionCode(code: string): Promise<ProviderPromotionCode | null> {
    return this.coupons.findPromotionCode(code);
  }

  async applyPromotionCode(subscriptionId: string, promotionCodeId: string, idempotencyKey: string): Promise<ProviderSubscription> {
    const sub = await this.client.write(idempotencyKey, (stripe, request) =>
      stripe.subscriptions.update(subscriptionId, { discounts: [{ promotion_code: promotionCodeId }], proration_behavior: 'none', expand: [...SUBSCRIPTION_EXPAND] }, request),
    );
    await this.carryDiscountsIntoSchedule(sub);
    return this.toSubscription(sub, false);
  }

  /**
   * A pending period-end change keeps the subscription's discounts: its schedule's phases name
   * the discounts they had when it was made, and entering the next phase would put those back
   * (or none), dropping a code applied since. The phases are written again as they are, with
   * the subscription's discounts now.
   */
  private async carryDiscountsIntoSchedule(sub: Stripe.Subscription): Promise<void> {
    const scheduleId = idOf(sub.schedule);
    if (!scheduleId) return;
    const schedule = await this.client.read((stripe) => stripe.subscriptionSchedules.retrieve(scheduleId));
    const discounts = keepDiscounts(sub);
    await this.client.write(callKey(`schedule-discounts:${scheduleId}`), (stripe, request) =>
      stripe.subscriptionSchedules.update(
        scheduleId,
        {
          phases: schedule.phases.map((phase) => ({
            items: phase.items.map((i) => ({ price: idOf(i.price) ?? '', ...(i.quantity === undefined ? {} : { quantity: i.quantity }) })),
            start_date: phase.start_date,
            end_date: phase.end_date,
            proration_behavior: phase.proration_behavior,
            automatic_tax: AUTOMATIC_TAX,
            ...discounts,
          })),
        },
        request,
      ),
    );
  }

  async createCustomer(input: { tenantId: string; idempotencyKey: string }): Promise<string> {
    const testClock = this.options.testClockFor?.(input.tenantId);
    const customer = await this.client.write(input.idempotencyKey, (stripe, request) =>
      stripe.customers.create(
        {
          metadata: { tenant_id: input.tenantId },
          ...(testClock ? { test_clock: testClock } : {}),
        },
        request,
      ),
    );
    return customer.id;
  }

  async saveBillingDetails(customerId: string, details: BillingDetails): Promise<void> {
    // Each call sets the whole state, so a retry of the whole (a new key) is as safe as a replay.
    await this.client.write(callKey(`billing-details:${customerId}`), (stripe, request) =>
      stripe.customers.update(
        customerId,
        { name: details.name ?? '', email: details.email ?? '', address: details.address ? addressParam(details.address) : '' },
        request,
      ),
    );
    const existing = await this.taxIds(customerId);
    const same = (a: { type: string; value: string }, b: { type: string; value: string }) => a.type === b.type && a.value === b.value;
    for (const stale of existing.filter((e) => !details.tax_ids.some((t) => same(e, t)))) {
      await this.client.remove((stripe) => stripe.customers.deleteTaxId(customerId, stale.id));
    }
    for (const wanted of details.tax_ids.filter((t) => !existing.some((e) => same(e, t)))) {
      await this.client.write(callKey(`tax-id:${customerId}`), (stripe, request) =>
        stripe.customers.createTaxId(customerId, { type: wanted.type, value: wanted.value }, request),
      );
    }
  }

  async getBillingDetails(customerId: string): Promise<BillingDetails> {
    const customer = await this.client.read((stripe) => stripe.customers.retrieve(customerId));
    if ('deleted' in customer && customer.deleted) throw new NotFound(`Stripe customer ${customerId} was deleted`);
    return toBillingDetails(customer as Stripe.Customer, await this.taxIds(customerId));
  }

  private async taxIds(customerId: string): Promise<Stripe.TaxId[]> {
    const all: Stripe.TaxId[] = [];
    const pages = this.client.list((stripe, after) => stripe.customers.listTaxIds(customerId, { limit: 100, ...(after ? { starting_after: after } : {}) }));
    for await (const taxId of pages) all.push(taxId);
    return all;
  }

  async createSetupSession(input: SetupSessionInput): Promise<{ id: string; url: string }> {
    const session = await this.client.write(input.idempotencyKey, (stripe, request) =>
      stripe.checkout.sessions.create(
        { mode: 'setup', customer: input.customerId, currency: input.currency, success_url: input.successUrl, cancel_url: input.cancelUrl },
        request,
      ),
    );
    if (!session.url) throw new Error(`Stripe returned Checkout Session ${session.id} without a url`);
    return { id: session.id, url: session.url };
  }

  async createPortalSession(input: { customerId: string; returnUrl: string; idempotencyKey: string }): Promise<{ url: string }> {
    const session = await this.client.write(input.idempotencyKey, (stripe, request) =>
      stripe.billingPortal.sessions.create({ customer: input.customerId, return_url: input.returnUrl }, request),
    );
    return { url: session.url };
  }

  async adoptCard(setupIntentId: string): Promise<AdoptedCard | null> {
    const intent = await this.client.read((stripe) => stripe.setupIntents.retrieve(setupIntentId, { expand: ['payment_method'] }));
    const customerId = idOf(intent.customer ?? null);
    const pm = intent.payment_method;
    if (intent.status !== 'succeeded' || !customerId || !pm || typeof pm === 'string' || !pm.card) return null;
    await this.client.write(`default-card:${setupIntentId}`, (stripe, request) =>
      stripe.customers.update(customerId, { invoice_settings: { default_payment_method: pm.id } }, request),
    );
    const live = this.client.list((stripe, after) =>
      stripe.subscriptions.list({ customer: customerId, status: 'all', limit: 100, ...(after ? { starting_after: after } : {}) }),
    );
    for await (const sub of live) {
      if (!(LIVE_STATUSES as readonly string[]).includes(sub.status)) continue;
      await this.client.write(`default-card:${setupIntentId}:${sub.id}`, (stripe, request) =>
        stripe.subscriptions.update(sub.id, { default_payment_method: pm.id }, request),
      );
    }
    const paid: string[] = [];
    const unpaid: string[] = [];
    const open = this.client.list((stripe, after) =>
      stripe.invoices.list({ customer: customerId, status: 'open', limit: 100, ...(after ? { starting_after: after } : {}) }),
    );
    for await (const invoice of open) {
      if (!invoice.id || invoice.amount_remaining <= 0) continue;
      const invoiceId = invoice.id;
      try {
        await this.client.write(`pay:${invoiceId}:${pm.id}`, (stripe, request) => stripe.invoices.pay(invoiceId, { payment_method: pm.id }, request));
        paid.push(invoiceId);
      } catch (error) {
        // Declined or waiting for authentication: the invoice stays open and dunning goes on.
        if (!(error instanceof PaymentRequired)) throw error;
        unpaid.push(invoiceId);
      }
    }
    return {
      customerId,
      card: cardSummary(pm.id, pm.card),
      setUpAt: new Date(intent.created * 1000),
      paidInvoices: paid,
      unpaidInvoices: unpaid,
    };
  }

  async listCards(customerId: string): Promise<{ cards: readonly CardSummary[]; defaultId: string | null }> {
    const customer = await this.client.read((stripe) => stripe.customers.retrieve(customerId));
    const defaultId = 'deleted' in customer && customer.deleted ? null : idOf(customer.invoice_settings.default_payment_method ?? null);
    const cards: CardSummary[] = [];
    const pages = this.client.list((stripe, after) =>
      stripe.customers.listPaymentMethods(customerId, { type: 'card', limit: 100, ...(after ? { starting_after: after } : {}) }),
    );
    for await (const pm of pages) {
      if (!pm.card) continue;
      cards.push(cardSummary(pm.id, pm.card));
    }
    return { cards, defaultId };
  }

  async attachPaymentMethod(customerId: string, paymentMethod: string, idempotencyKey: string): Promise<string> {
    const attached = await this.client.write(idempotencyKey, (stripe, request) =>
      stripe.paymentMethods.attach(paymentMethod, { customer: customerId }, request),
    );
    await this.client.write(callKey(`default-payment-method:${customerId}`), (stripe, request) =>
      stripe.customers.update(customerId, { invoice_settings: { default_payment_method: attached.id } }, request),
    );
    return attached.id;
  }

  async createSubscription(input: CreateSubscriptionInput): Promise<ProviderSubscription> {
    const price = await this.catalog.priceId(input);
    const sub = await this.client.write(input.idempotencyKey, (stripe, request) =>
      stripe.subscriptions.create(
        {
          customer: input.customerId,
          items: [{ price }],
          // A trial that ends without a card ends the subscription (SPEC section 4; README says why not `pause`).
          ...(input.trialDays > 0 ? { trial_period_days: input.trialDays, trial_settings: { end_behavior: { missing_payment_method: 'cancel' as const } } } : {}),
          payment_behavior: 'allow_incomplete',
          automatic_tax: AUTOMATIC_TAX,
          ...(input.promotionCodeId ? { discounts: [{ promotion_code: input.promotionCodeId }] } : {}),
          metadata: { tenant_id: input.tenantId },
          expand: [...SUBSCRIPTION_EXPAND],
        },
        request,
      ),
    );
    return this.toSubscription(sub, true);
  }

  /** `always_invoice`: the proration is invoiced (and charged) at once. */
  async changePriceNow(subscriptionId: string, target: PriceTarget, idempotencyKey: string, prorationDate: Date): Promise<ProviderSubscription> {
    const before = await this.clearSchedule(await this.retrieve(subscriptionId));
    const item = firstItem(before);
    const price = await this.catalog.priceId(target);
    const sub = await this.client.write(idempotencyKey, (stripe, request) =>
      stripe.subscriptions.update(
        subscriptionId,
        {
          items: [{ id: item.id, price }],
          proration_behavior: 'always_invoice',
          proration_date: unixSeconds(prorationDate),
          automatic_tax: AUTOMATIC_TAX,
          expand: [...SUBSCRIPTION_EXPAND],
        },
        request,
      ),
    );
    return this.toSubscription(sub, idOf(sub.latest_invoice) !== idOf(before.latest_invoice));
  }

  async previewPriceChange(subscriptionId: string, target: PriceTarget, at: Date): Promise<{ amount: number; tax: number }> {
    const sub = await this.retrieve(subscriptionId);
    const item = firstItem(sub);
    const price = await this.catalog.priceId(target);
    const preview = await this.client.write(callKey(`preview:${subscriptionId}`), (stripe, request) =>
      stripe.invoices.createPreview(
        {
          customer: idOf(sub.customer) ?? '',
          subscription: subscriptionId,
          subscription_details: { items: [{ id: item.id, price }], proration_behavior: 'always_invoice', proration_date: unixSeconds(at) },
          automatic_tax: AUTOMATIC_TAX,
        },
        request,
      ),
    );
    const prorations = (await this.allLines(preview)).filter((line) => lineKind(line) === 'proration');
    return {
      amount: prorations.reduce((sum, line) => sum + line.amount, 0),
      tax: prorations.reduce((sum, line) => sum + (line.taxes ?? []).reduce((t, tax) => t + tax.amount, 0), 0),
    };
  }

  async changePriceAtPeriodEnd(subscriptionId: string, target: PriceTarget): Promise<ProviderSubscription> {
    const sub = await this.retrieve(subscriptionId);
    const item = firstItem(sub);
    const scheduleId =
      idOf(sub.schedule) ??
      (
        await this.client.write(callKey(`schedule:${subscriptionId}`), (stripe, request) =>
          stripe.subscriptionSchedules.create({ from_subscription: subscriptionId }, request),
        )
      ).id;
    const schedule = await this.client.read((stripe) => stripe.subscriptionSchedules.retrieve(scheduleId));
    const start = schedule.current_phase?.start_date ?? item.current_period_start;
    const next = await this.catalog.priceId(target);
    // A phase that names no discounts takes the customer's, not the subscription's: without this
    // a promotion code on the subscription would be lost at the switch. Reusing each discount
    // keeps a repeating one's own end and a forever one going.
    const discounts = keepDiscounts(sub);
    await this.client.write(callKey(`schedule-phases:${scheduleId}`), (stripe, request) =>
      stripe.subscriptionSchedules.update(
        scheduleId,
        {
          end_behavior: 'release',
          phases: [
            {
              items: [{ price: item.price.id }],
              start_date: start,
              end_date: item.current_period_end,
              proration_behavior: 'none',
              automatic_tax: AUTOMATIC_TAX,
              ...discounts,
            },
            {
              items: [{ price: next }],
              automatic_tax: AUTOMATIC_TAX,
              ...discounts,
              duration: { interval: target.cycle === 'annual' ? 'year' : 'month', interval_count: 1 },
              proration_behavior: 'none',
            },
          ],
        },
        request,
      ),
    );
    return this.toSubscription(await this.retrieve(subscriptionId), false);
  }

  async clearPendingChange(subscriptionId: string): Promise<ProviderSubscription> {
    return this.toSubscription(await this.clearSchedule(await this.retrieve(subscriptionId)), false);
  }

  async setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<ProviderSubscription> {
    await this.clearSchedule(await this.retrieve(subscriptionId));
    const sub = await this.client.write(callKey(`cancel-at-period-end:${subscriptionId}`), (stripe, request) =>
      stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: cancel, expand: [...SUBSCRIPTION_EXPAND] }, request),
    );
    return this.toSubscription(sub, false);
  }

  async cancelNow(subscriptionId: string): Promise<ProviderSubscription> {
    await this.clearSchedule(await this.retrieve(subscriptionId));
    // No refund (no proration credit); the final invoice (`invoice_now`) takes the pending overage items.
    const sub = await this.client.remove((stripe) =>
      stripe.subscriptions.cancel(subscriptionId, { invoice_now: true, prorate: false, expand: [...SUBSCRIPTION_EXPAND] }),
    );
    return this.toSubscription(sub, false);
  }

  async getSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    return this.toSubscription(await this.retrieve(subscriptionId), false);
  }

  async getInvoice(invoiceId: string): Promise<ProviderInvoice> {
    const invoice = await this.client.read((stripe) => stripe.invoices.retrieve(invoiceId));
    return this.toInvoice(invoice);
  }

  async creditBalance(input: { customerId: string; amount: number; currency: string; description: string; idempotencyKey: string }) {
    // A negative amount is a credit to the customer in Stripe's ledger.
    const txn = await this.client.write(input.idempotencyKey, (stripe, request) =>
      stripe.customers.createBalanceTransaction(input.customerId, { amount: -input.amount, currency: input.currency, description: input.description }, request),
    );
    return { id: txn.id, endingBalance: txn.ending_balance };
  }

  async refundInvoice(input: { invoiceId: string; amount: number; memo: string; idempotencyKey: string }) {
    try {
      const note = await this.client.write(input.idempotencyKey, (stripe, request) =>
        stripe.creditNotes.create({ invoice: input.invoiceId, amount: input.amount, refund_amount: input.amount, memo: input.memo }, request),
      );
      return { creditNoteId: note.id, amount: note.total };
    } catch (error) {
      // More than is left to refund (or to credit) on the invoice: the caller's amount is wrong.
      if (error instanceof ProviderRefusal) throw new InvalidInput('Invalid refund', [{ field: 'amount', message: error.message }]);
      throw error;
    }
  }

  async extendTrial(subscriptionId: string, trialEnd: Date, idempotencyKey: string): Promise<ProviderSubscription> {
    const sub = await this.client.write(idempotencyKey, (stripe, request) =>
      stripe.subscriptions.update(
        subscriptionId,
        { trial_end: unixSeconds(trialEnd), proration_behavior: 'none', expand: [...SUBSCRIPTION_EXPAND] },
        request,
      ),
    );
    return this.toSubscription(sub, false);
  }

  async payInvoice(invoiceId: string, idempotencyKey: string): Promise<ProviderInvoice> {
    const invoice = await this.client.write(idempotencyKey, (stripe, request) => stripe.invoices.pay(invoiceId, {}, request));
    return this.toInvoice(invoice);
  }

  parseWebhook(rawBody: string, signature: string | undefined, now: Date): ProviderEvent {
    if (!signature) throw new InvalidSignature('Missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = this.client.constructEvent(rawBody, signature, this.options.webhookSecret, WEBHOOK_TOLERANCE_SECONDS, now);
    } catch (cause) {
      throw new InvalidSignature('Invalid Stripe signature', { cause });
    }
    // The SDK refuses only timestamps too far in the past; one too far ahead is as suspect.
    const at = signedAt(signature);
    if (!Number.isFinite(at) || at - unixSeconds(now) > WEBHOOK_TOLERANCE_SECONDS) {
      throw new InvalidSignature('Invalid Stripe signature: timestamp outside the tolerance zone');
    }
    return toEvent(event);
  }

  async createInvoiceItem(input: OverageItemInput): Promise<string> {
    const create = (invoice: string | null) =>
      this.client.write(
        invoice ? input.idempotencyKey : `${input.idempotencyKey}:pending`,
        (stripe, request) =>
          stripe.invoiceItems.create(
            {
              customer: input.customerId,
              ...(input.subscriptionId ? { subscription: input.subscriptionId } : {}),
              currency: input.currency,
              amount: input.amount,
              description: input.description,
              period: { start: unixSeconds(input.periodStart), end: unixSeconds(input.periodEnd) },
              // Taxed like the subscription: our prices are tax-exclusive.
              tax_behavior: 'exclusive',
              metadata: { ...input.metadata },
              ...(invoice ? { invoice } : {}),
            },
            request,
          ),
        OVERAGE,
      );
    try {
      return (await create(input.invoiceId)).id;
    } catch (error) {
      // Refused on the renewal draft: if it was finalized in the meantime (whatever words Stripe
      // used to say so), the item waits for the next invoice; any other refusal stands.
      if (input.invoiceId && error instanceof ProviderRefusal && !(await this.isDraft(input.invoiceId))) return (await create(null)).id;
      throw error;
    }
  }

  private async isDraft(invoiceId: string): Promise<boolean> {
    const invoice = await this.client.read((stripe) => stripe.invoices.retrieve(invoiceId), OVERAGE);
    return invoice.status === 'draft';
  }

  async findInvoiceItem(customerId: string, overageKey: string): Promise<string | null> {
    const items = this.client.list(
      (stripe, after) => stripe.invoiceItems.list({ customer: customerId, limit: 100, ...(after ? { starting_after: after } : {}) }),
      OVERAGE,
    );
    for await (const item of items) {
      if (item.metadata?.overage_key === overageKey) return item.id;
    }
    return null;
  }

  async hasPendingItems(customerId: string, subscriptionId: string): Promise<boolean> {
    const items = this.client.list(
      (stripe, after) => stripe.invoiceItems.list({ customer: customerId, pending: true, limit: 100, ...(after ? { starting_after: after } : {}) }),
      OVERAGE,
    );
    // In this API version an item names its subscription under `parent.subscription_details`.
    for await (const item of items) if (item.parent?.subscription_details?.subscription === subscriptionId) return true;
    return false;
  }

  async invoicePendingItems(customerId: string, subscriptionId: string | null, idempotencyKey: string): Promise<ProviderInvoice> {
    const draft = await this.client.write(
      idempotencyKey,
      (stripe, request) =>
        stripe.invoices.create(
          {
            customer: customerId,
            ...(subscriptionId ? { subscription: subscriptionId } : {}),
            pending_invoice_items_behavior: 'include',
            auto_advance: true,
            automatic_tax: AUTOMATIC_TAX,
          },
          request,
        ),
      OVERAGE,
    );
    const draftId = draft.status === 'draft' ? draft.id : undefined;
    const invoice = draftId
      ? await this.client.write(`${idempotencyKey}:finalize`, (stripe, request) => stripe.invoices.finalizeInvoice(draftId, {}, request), OVERAGE)
      : draft;
    return this.toInvoice(invoice, OVERAGE);
  }

  private retrieve(subscriptionId: string): Promise<Stripe.Subscription> {
    return this.client.read((stripe) => stripe.subscriptions.retrieve(subscriptionId, { expand: [...SUBSCRIPTION_EXPAND] }));
  }

  /** Releases the subscription's schedule (its pending period-end change), if it has one. */
  private async clearSchedule(sub: Stripe.Subscription): Promise<Stripe.Subscription> {
    const scheduleId = idOf(sub.schedule);
    if (!scheduleId) return sub;
    await this.client.write(callKey(`release:${scheduleId}`), (stripe, request) => stripe.subscriptionSchedules.release(scheduleId, {}, request));
    return this.retrieve(sub.id);
  }

  private async allLines(invoice: Stripe.Invoice, options: CallOptions = {}): Promise<Stripe.InvoiceLineItem[]> {
    const invoiceId = invoice.id;
    if (!invoice.lines.has_more || !invoiceId) return invoice.lines.data;
    const lines: Stripe.InvoiceLineItem[] = [];
    const pages = this.client.list(
      (stripe, after) => stripe.invoices.listLineItems(invoiceId, { limit: 100, ...(after ? { starting_after: after } : {}) }),
      options,
    );
    for await (const line of pages) lines.push(line);
    return lines;
  }

  /** Reads the prices (and the invoice the call made, `withInvoice`) a subscription's mapping needs. */
  private async toSubscription(sub: Stripe.Subscription, withInvoice: boolean): Promise<ProviderSubscription> {
    const current = await this.catalog.price(firstItem(sub).price.id);
    const change = scheduledPriceChange(sub);
    const pending = change ? { target: (await this.catalog.price(change.priceId)).target, effectiveAt: change.effectiveAt } : null;
    const invoice = withInvoice ? expandedInvoice(sub) : null;
    return toSubscription(sub, { current, pending }, invoice ? await this.toInvoice(invoice) : null, await this.discountOf(sub, current.target.currency));
  }

  /** The subscription's discount (its first; we apply one at a time) in the subscription's currency. */
  private async discountOf(sub: Stripe.Subscription, currency: PriceTarget['currency']): Promise<ProviderDiscount | null> {
    const discount = sub.discounts.find((d): d is Stripe.Discount => typeof d !== 'string');
    const couponId = discount ? idOf(discount.source.coupon) : null;
    if (!discount || !couponId) return null;
    const terms = await this.coupons.termsIn(couponId, currency);
    return {
      couponId,
      name: terms.coupon.name,
      code: await this.promotionCodeOf(discount),
      percentOff: terms.percentOff,
      amountOff: terms.amountOff,
      duration: terms.coupon.duration === 'once' ? 'once' : terms.coupon.duration === 'repeating' ? 'repeating' : 'forever',
      endsAt: discount.end === null ? null : new Date(discount.end * 1000),
    };
  }

  /** The code a discount was redeemed with, read once per container (a code never changes). */
  private async promotionCodeOf(discount: Stripe.Discount): Promise<string | null> {
    const ref = discount.promotion_code;
    if (!ref) return null;
    if (typeof ref !== 'string') return ref.code;
    const known = this.promotionCodes.get(ref);
    if (known) return known;
    const promo = await this.client.read((stripe) => stripe.promotionCodes.retrieve(ref));
    this.promotionCodes.set(ref, promo.code);
    return promo.code;
  }

  /** Names and codes of what an invoice's discounts took off, by discount id. */
  private async invoiceDiscounts(invoice: Stripe.Invoice, options: CallOptions): Promise<Map<string, { name: string | null; code: string | null }>> {
    const out = new Map<string, { name: string | null; code: string | null }>();
    const taken = (invoice.total_discount_amounts ?? []).filter((d) => d.amount > 0);
    if (taken.length === 0 || !invoice.id) return out;
    const invoiceId = invoice.id;
    let discounts = invoice.discounts.filter((d): d is Stripe.Discount => typeof d !== 'string');
    const named = (d: Stripe.Invoice.TotalDiscountAmount) => idOf(d.discount);
    if (taken.some((d) => !discounts.some((x) => x.id === named(d)))) {
      // Stripe has no endpoint for a discount: the invoice is read again with them expanded.
      const again = await this.client.read((stripe) => stripe.invoices.retrieve(invoiceId, { expand: ['discounts'] }), options);
      discounts = again.discounts.filter((d): d is Stripe.Discount => typeof d !== 'string');
    }
    for (const d of discounts) {
      const couponId = idOf(d.source.coupon);
      out.set(d.id, { name: couponId ? (await this.coupons.coupon(couponId)).name : null, code: await this.promotionCodeOf(d) });
    }
    return out;
  }

  /** An invoice in the port's words, with all its lines and the tax rates its taxes name. */
  private async toInvoice(invoice: Stripe.Invoice, options: CallOptions = {}): Promise<ProviderInvoice> {
    const lines = await this.allLines(invoice, options);
    const ids = new Set([...(invoice.total_taxes ?? []), ...lines.flatMap((l) => l.taxes ?? [])].flatMap((t) => (t.tax_rate_details ? [t.tax_rate_details.tax_rate] : [])));
    const rates = new Map<string, Stripe.TaxRate>();
    for (const id of ids) rates.set(id, await this.taxRate(id, options));
    return toInvoice(invoice, lines, rates, await this.invoiceDiscounts(invoice, options));
  }

  /** A tax rate, read once per container: Stripe Tax's rates do not change once made. */
  private async taxRate(id: string, options: CallOptions): Promise<Stripe.TaxRate> {
    const known = this.taxRates.get(id);
    if (known) return known;
    const rate = await this.client.read((stripe) => stripe.taxRates.retrieve(id), options);
    this.taxRates.set(id, rate);
    return rate;
  }
}
