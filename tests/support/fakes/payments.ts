import { InvalidSignature, NotFound, ProviderRefusal } from '../../../src/app/errors';
import { NO_BILLING_DETAILS, type BillingDetails } from '../../../src/domain/billing-details';
import type {
  CatalogSyncResult,
  CreateSubscriptionInput,
  InvoiceLineKind,
  OverageItemInput,
  PaymentProvider,
  PriceTarget,
  ProviderEvent,
  ProviderInvoice,
  ProviderInvoiceLine,
  ProviderPromotionCode,
  ProviderSubscription,
} from '../../../src/app/ports/payments';
import { catalog, findPlan, planPrice, type BillingCycle } from '../../../src/domain/catalog';
import { CURRENCIES, type Currency } from '../../../src/domain/money';
import type { Clock } from '../../../src/platform/clock';
import { SettableClock } from './clock';

export type ProviderMethod = keyof PaymentProvider;

/** One call made to the provider, with its arguments. */
export type ProviderCall = {
  [K in ProviderMethod]: { readonly method: K; readonly args: Parameters<PaymentProvider[K]> };
}[ProviderMethod];

/** A replacement for one call of a method: same arguments, same answer type. */
export type ProviderScript<K extends ProviderMethod> = (...args: Parameters<PaymentProvider[K]>) => ReturnType<PaymentProvider[K]>;

/** A line the fake puts on an invoice it makes (the scripted part of an answer). */
export interface ScriptedLine {
  readonly kind: InvoiceLineKind;
  readonly amount: number;
  readonly description?: string;
}

/** An invoice item as the fake keeps it: pending until an invoice takes it. */
export interface FakeInvoiceItem extends OverageItemInput {
  readonly id: string;
  readonly invoicedIn: string | null;
}

/** The signature `parseWebhook` accepts; anything else is an `InvalidSignature`. */
export const FAKE_WEBHOOK_SIGNATURE = 'fake-signature';

const DAY_MS = 24 * 3600 * 1000;
const EPOCH = new Date('2027-01-01T00:00:00.000Z');

const addMonthsUtc = (at: Date, months: number): Date => {
  const d = new Date(at.getTime());
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
};

const cycleEnd = (start: Date, cycle: BillingCycle): Date => addMonthsUtc(start, cycle === 'annual' ? 12 : 1);

/** The fake's price id for a plan, cycle and currency. */
export const fakePriceId = (target: PriceTarget): string => `price_${target.planId}_${target.cycle}_${target.currency}`;

/** A provider subscription with plausible values (starter, monthly, USD 9,900, active in January 2027). */
export const providerSubscription = (overrides: Partial<ProviderSubscription> = {}): ProviderSubscription => ({
  id: 'sub_1',
  customerId: 'cus_1',
  tenantId: 'tenant-1',
  status: 'active',
  itemId: 'si_1',
  priceId: 'price_starter_monthly_usd',
  planId: 'starter',
  cycle: 'monthly',
  currency: 'usd',
  unitAmount: 9900,
  trialEnd: null,
  periodStart: EPOCH,
  periodEnd: addMonthsUtc(EPOCH, 1),
  billingCycleAnchor: EPOCH,
  cancelAtPeriodEnd: false,
  canceledAt: null,
  endedAt: null,
  createdAt: EPOCH,
  scheduleId: null,
  pendingChange: null,
  discount: null,
  latestInvoice: null,
  ...overrides,
});

/** A provider invoice with plausible values (paid, USD 9,900, one subscription line). */
export const providerInvoice = (overrides: Partial<ProviderInvoice> = {}): ProviderInvoice => {
  const periodStart = overrides.periodStart ?? EPOCH;
  const periodEnd = overrides.periodEnd ?? addMonthsUtc(periodStart, 1);
  const lines = overrides.lines ?? [
    { id: 'il_1', description: 'Starter (monthly)', amount: 9900, quantity: 1, kind: 'subscription' as const, periodStart, periodEnd, taxes: [], discountAmount: 0 },
  ];
  const total = lines.reduce((sum, l) => sum + l.amount, 0);
  return {
    id: 'in_1',
    customerId: 'cus_1',
    subscriptionId: 'sub_1',
    number: 'FAKE-0001',
    status: 'paid',
    billingReason: 'subscription_cycle',
    currency: 'usd',
    subtotal: total,
    totalDiscount: 0,
    discounts: [],
    totalExcludingTax: total,
    tax: 0,
    total,
    taxes: [],
    amountPaid: total,
    amountDue: 0,
    attemptCount: 1,
    nextPaymentAttempt: null,
    hostedInvoiceUrl: null,
    invoicePdf: null,
    createdAt: periodStart,
    ...overrides,
    periodStart,
    periodEnd,
    lines,
  };
};

/**
 * A payment provider in memory that records every call (`calls`, `callsTo`) and answers from a
 * small model of Stripe: customers, subscriptions, invoices and invoice items, with idempotency
 * keys honoured (the same key answers the same result). What the model cannot know is scripted:
 * `upgradeLines` (what a price change made now invoices), `previewAmount`, and per call with
 * `once` / `always` / `failOnce`. Unit amounts come from the catalog's prices (SPEC section 2),
 * as Stripe's prices are synced from it. Times come from the clock given.
 */
export class ScriptedPaymentProvider implements PaymentProvider {
  readonly calls: ProviderCall[] = [];
  readonly customers = new Map<string, { tenantId: string; details: BillingDetails | null; defaultPaymentMethod: string | null }>();
  readonly subscriptions = new Map<string, ProviderSubscription>();
  readonly invoices = new Map<string, ProviderInvoice>();
  readonly invoiceItems = new Map<string, FakeInvoiceItem>();
  /** Promotion codes the fake knows, by code (upper-case); add them with `addPromotionCode`. */
  readonly promotionCodes = new Map<string, ProviderPromotionCode>();
  /** The lines the next `changePriceNow` invoices; amounts are the test's, not computed. */
  upgradeLines: ScriptedLine[] = [];
  /** What `previewPriceChange` answers. */
  previewAmount = 0;
  /** The tax `previewPriceChange` answers. */
  previewTax = 0;

  private readonly scripts: { [K in ProviderMethod]?: { handler: ProviderScript<K>; persistent: boolean }[] } = {};
  private readonly idempotent = new Map<string, unknown>();
  private catalogSynced = false;
  private counter = 0;

  constructor(readonly clock: Clock = new SettableClock()) {}

  // ---- scripting -------------------------------------------------------------------------

  /** The next call of `method` runs `handler` instead of the model. */
  once<K extends ProviderMethod>(method: K, handler: ProviderScript<K>): this {
    this.queue(method).push({ handler, persistent: false });
    return this;
  }

  /** Every call of `method` from now on runs `handler` instead of the model. */
  always<K extends ProviderMethod>(method: K, handler: ProviderScript<K>): this {
    this.queue(method).push({ handler, persistent: true });
    return this;
  }

  /** The next call of `method` throws `error` (recorded as a call; the model is untouched). */
  failOnce<K extends ProviderMethod>(method: K, error: Error): this {
    const fail = (): never => {
      throw error;
    };
    this.queue(method).push({ handler: fail, persistent: false });
    return this;
  }

  /** The arguments of each call of `method`, in order. */
  callsTo<K extends ProviderMethod>(method: K): Parameters<PaymentProvider[K]>[] {
    return this.calls.filter((c): c is Extract<ProviderCall, { method: K }> => c.method === method).map((c) => c.args as Parameters<PaymentProvider[K]>);
  }

  /** The methods called, in order. */
  methods(): ProviderMethod[] {
    return this.calls.map((c) => c.method);
  }

  // ---- test set-up -----------------------------------------------------------------------

  /** Puts a subscription into the provider's state (with its customer); returns it. */
  addSubscription(overrides: Partial<ProviderSubscription> = {}): ProviderSubscription {
    const sub = providerSubscription({ latestInvoice: null, ...overrides });
    this.subscriptions.set(sub.id, sub);
    if (!this.customers.has(sub.customerId) && sub.tenantId) {
      this.customers.set(sub.customerId, { tenantId: sub.tenantId, details: null, defaultPaymentMethod: null });
    }
    return sub;
  }

  /** Changes a subscription as the provider would on its own (dunning, a period rolling over); returns it. */
  updateSubscription(id: string, changes: Partial<ProviderSubscription>): ProviderSubscription {
    const next = { ...this.subscription(id), ...changes, id };
    this.subscriptions.set(id, next);
    return next;
  }

  /** Puts an invoice into the provider's state; returns it. */
  addInvoice(overrides: Partial<ProviderInvoice> = {}): ProviderInvoice {
    const invoice = providerInvoice(overrides);
    this.invoices.set(invoice.id, invoice);
    return invoice;
  }

  /** A webhook body and signature that `parseWebhook` accepts. */
  signedEvent(event: ProviderEvent): { body: string; signature: string } {
    return { body: JSON.stringify(event), signature: FAKE_WEBHOOK_SIGNATURE };
  }

  // ---- PaymentProvider -------------------------------------------------------------------

  async syncCatalog(): Promise<CatalogSyncResult> {
    return this.run('syncCatalog', [], async () => {
      const prices = catalog.plans.length * CURRENCIES.length * 2;
      const result = this.catalogSynced ? { created: 0, existing: prices, replaced: 0 } : { created: prices, existing: 0, replaced: 0 };
      this.catalogSynced = true;
      return result;
    });
  }

  async createCustomer(input: { tenantId: string; idempotencyKey: string }): Promise<string> {
    return this.run('createCustomer', [input], async () =>
      this.remember(input.idempotencyKey, () => {
        const id = this.nextId('cus');
        this.customers.set(id, { tenantId: input.tenantId, details: null, defaultPaymentMethod: null });
        return id;
      }),
    );
  }

  async getBillingDetails(customerId: string): Promise<BillingDetails> {
    return this.run('getBillingDetails', [customerId], async () => {
      const customer = this.customers.get(customerId);
      if (!customer) throw new NotFound(`No such customer: '${customerId}'`);
      return customer.details ?? NO_BILLING_DETAILS;
    });
  }

  async saveBillingDetails(customerId: string, details: BillingDetails): Promise<void> {
    return this.run('saveBillingDetails', [customerId, details], async () => {
      const customer = this.customers.get(customerId);
      if (!customer) throw new NotFound(`No such customer: '${customerId}'`);
      this.customers.set(customerId, { ...customer, details });
    });
  }

  async attachPaymentMethod(customerId: string, paymentMethod: string, idempotencyKey: string): Promise<string> {
    return this.run('attachPaymentMethod', [customerId, paymentMethod, idempotencyKey], async () =>
      this.remember(idempotencyKey, () => {
        const customer = this.customers.get(customerId);
        if (!customer) throw new ProviderRefusal(`No such customer: ${customerId}`);
        this.customers.set(customerId, { ...customer, defaultPaymentMethod: paymentMethod });
        return paymentMethod;
      }),
    );
  }

  /** Puts a promotion code into the provider's state; returns it. */
  addPromotionCode(promo: ProviderPromotionCode): ProviderPromotionCode {
    this.promotionCodes.set(promo.code.toUpperCase(), promo);
    return promo;
  }

  async findPromotionCode(code: string): Promise<ProviderPromotionCode | null> {
    return this.run('findPromotionCode', [code], async () => this.promotionCodes.get(code.toUpperCase()) ?? null);
  }

  async applyPromotionCode(subscriptionId: string, promotionCodeId: string, idempotencyKey: string): Promise<ProviderSubscription> {
    return this.run('applyPromotionCode', [subscriptionId, promotionCodeId, idempotencyKey], async () =>
      this.remember(idempotencyKey, () => {
        const current = this.subscription(subscriptionId);
        const next = { ...current, discount: this.discountFor(promotionCodeId, current.currency), latestInvoice: null };
        this.subscriptions.set(subscriptionId, next);
        return next;
      }),
    );
  }

  /** The discount a promotion code makes (no end date: the fake does not model repeating months). */
  private discountFor(promotionCodeId: string, currency: Currency): ProviderSubscription['discount'] {
    const promo = [...this.promotionCodes.values()].find((p) => p.id === promotionCodeId);
    if (!promo) throw new ProviderRefusal(`No such promotion code: ${promotionCodeId}`);
    this.promotionCodes.set(promo.code.toUpperCase(), { ...promo, timesRedeemed: promo.timesRedeemed + 1 });
    const { coupon } = promo;
    return {
      couponId: coupon.id,
      name: coupon.name,
      code: promo.code,
      percentOff: coupon.percentOff,
      amountOff: coupon.percentOff === null ? (coupon.amountsOff[currency] ?? null) : null,
      duration: coupon.duration,
      endsAt: null,
    };
  }

  async createSubscription(input: CreateSubscriptionInput): Promise<ProviderSubscription> {
    return this.run('createSubscription', [input], async () =>
      this.remember(input.idempotencyKey, () => {
        const target = { planId: input.planId, cycle: input.cycle, currency: input.currency };
        const unitAmount = this.price(target);
        const now = this.clock.now();
        const trialEnd = input.trialDays > 0 ? new Date(now.getTime() + input.trialDays * DAY_MS) : null;
        const id = this.nextId('sub');
        const periodEnd = trialEnd ?? cycleEnd(now, input.cycle);
        const invoice = this.makeInvoice({
          customerId: input.customerId,
          subscriptionId: id,
          currency: input.currency,
          billingReason: 'subscription_create',
          status: 'paid',
          periodStart: now,
          periodEnd,
          lines: [{ kind: 'subscription', amount: trialEnd ? 0 : unitAmount, description: `${input.planId} (${input.cycle})` }],
        });
        const sub = providerSubscription({
          id,
          customerId: input.customerId,
          tenantId: input.tenantId,
          status: trialEnd ? 'trialing' : 'active',
          itemId: this.nextId('si'),
          priceId: fakePriceId(target),
          planId: input.planId,
          cycle: input.cycle,
          currency: input.currency,
          unitAmount,
          trialEnd,
          periodStart: now,
          periodEnd,
          billingCycleAnchor: trialEnd ?? now,
          createdAt: now,
          discount: input.promotionCodeId ? this.discountFor(input.promotionCodeId, input.currency) : null,
        });
        this.subscriptions.set(id, sub);
        return { ...sub, latestInvoice: invoice };
      }),
    );
  }

  async changePriceNow(subscriptionId: string, target: PriceTarget, idempotencyKey: string, prorationDate: Date): Promise<ProviderSubscription> {
    return this.run('changePriceNow', [subscriptionId, target, idempotencyKey, prorationDate], async () =>
      this.remember(idempotencyKey, () => {
        const current = this.subscription(subscriptionId);
        const now = this.clock.now();
        const restart = target.cycle !== current.cycle && current.status !== 'trialing';
        const next = this.updateSubscription(subscriptionId, {
          planId: target.planId,
          cycle: target.cycle,
          priceId: fakePriceId(target),
          unitAmount: this.price(target),
          pendingChange: null,
          scheduleId: null,
          ...(restart ? { periodStart: now, periodEnd: cycleEnd(now, target.cycle), billingCycleAnchor: now } : {}),
        });
        const pending = this.takePending(current.customerId, subscriptionId);
        const lines = [...this.upgradeLines, ...pending.map((i) => ({ kind: 'overage' as const, amount: i.amount, description: i.description }))];
        const invoice =
          lines.length === 0
            ? null
            : this.makeInvoice({
                customerId: current.customerId,
                subscriptionId,
                currency: current.currency,
                billingReason: 'subscription_update',
                status: 'paid',
                periodStart: now,
                periodEnd: next.periodEnd,
                lines,
                items: pending,
              });
        return { ...next, latestInvoice: invoice };
      }),
    );
  }

  async previewPriceChange(subscriptionId: string, target: PriceTarget, at: Date): Promise<{ amount: number; tax: number }> {
    return this.run('previewPriceChange', [subscriptionId, target, at], async () => {
      this.subscription(subscriptionId);
      return { amount: this.previewAmount, tax: this.previewTax };
    });
  }

  async changePriceAtPeriodEnd(subscriptionId: string, target: PriceTarget): Promise<ProviderSubscription> {
    return this.run('changePriceAtPeriodEnd', [subscriptionId, target], async () => {
      const current = this.subscription(subscriptionId);
      this.price(target);
      return this.updateSubscription(subscriptionId, {
        scheduleId: current.scheduleId ?? this.nextId('sub_sched'),
        pendingChange: { planId: target.planId, cycle: target.cycle, effectiveAt: current.periodEnd },
      });
    });
  }

  async clearPendingChange(subscriptionId: string): Promise<ProviderSubscription> {
    return this.run('clearPendingChange', [subscriptionId], async () =>
      this.updateSubscription(subscriptionId, { scheduleId: null, pendingChange: null }),
    );
  }

  async setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<ProviderSubscription> {
    return this.run('setCancelAtPeriodEnd', [subscriptionId, cancel], async () =>
      this.updateSubscription(subscriptionId, { cancelAtPeriodEnd: cancel, canceledAt: cancel ? this.clock.now() : null }),
    );
  }

  async cancelNow(subscriptionId: string): Promise<ProviderSubscription> {
    return this.run('cancelNow', [subscriptionId], async () => {
      const current = this.subscription(subscriptionId);
      const now = this.clock.now();
      const ended = this.updateSubscription(subscriptionId, {
        status: 'canceled',
        cancelAtPeriodEnd: false,
        canceledAt: now,
        endedAt: now,
        pendingChange: null,
        scheduleId: null,
      });
      const pending = this.takePending(current.customerId, subscriptionId);
      const invoice =
        pending.length === 0
          ? null
          : this.makeInvoice({
              customerId: current.customerId,
              subscriptionId,
              currency: current.currency,
              billingReason: 'subscription_cycle',
              status: 'open',
              periodStart: current.periodStart,
              periodEnd: now,
              lines: pending.map((i) => ({ kind: 'overage' as const, amount: i.amount, description: i.description })),
              items: pending,
            });
      return { ...ended, latestInvoice: invoice };
    });
  }

  async getSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    return this.run('getSubscription', [subscriptionId], async () => ({ ...this.subscription(subscriptionId), latestInvoice: null }));
  }

  /** Admin money operations are tested over the local Stripe endpoint (tests/e2e/admin-actions.test.ts), not scripted here. */
  async creditBalance(): Promise<{ id: string; endingBalance: number }> {
    throw new Error('ScriptedPaymentProvider: creditBalance is not scripted');
  }

  async refundInvoice(): Promise<{ creditNoteId: string; amount: number }> {
    throw new Error('ScriptedPaymentProvider: refundInvoice is not scripted');
  }

  async extendTrial(): Promise<ProviderSubscription> {
    throw new Error('ScriptedPaymentProvider: extendTrial is not scripted');
  }

  async payInvoice(): Promise<ProviderInvoice> {
    throw new Error('ScriptedPaymentProvider: payInvoice is not scripted');
  }

  async getInvoice(invoiceId: string): Promise<ProviderInvoice> {
    return this.run('getInvoice', [invoiceId], async () => {
      const invoice = this.invoices.get(invoiceId);
      if (!invoice) throw new ProviderRefusal(`No such invoice: ${invoiceId}`);
      return invoice;
    });
  }

  parseWebhook(rawBody: string, signature: string | undefined, now: Date): ProviderEvent {
    return this.run('parseWebhook', [rawBody, signature, now], () => {
      if (signature !== FAKE_WEBHOOK_SIGNATURE) throw new InvalidSignature('No signatures found matching the expected signature for payload');
      const parsed = JSON.parse(rawBody) as Omit<ProviderEvent, 'createdAt'> & { createdAt: string };
      return { ...parsed, createdAt: new Date(parsed.createdAt) };
    });
  }

  async createInvoiceItem(input: OverageItemInput): Promise<string> {
    return this.run('createInvoiceItem', [input], async () =>
      this.remember(input.idempotencyKey, () => {
        const invoice = input.invoiceId ? this.invoices.get(input.invoiceId) : undefined;
        if (input.invoiceId && invoice?.status !== 'draft') throw new ProviderRefusal(`Invoice ${input.invoiceId} is not a draft`);
        const id = this.nextId('ii');
        this.invoiceItems.set(id, { ...input, id, invoicedIn: null });
        if (invoice) {
          this.invoices.set(invoice.id, this.withLines(invoice, [...invoice.lines, this.line({ kind: 'overage', amount: input.amount, description: input.description }, input.periodStart, input.periodEnd)]));
          this.invoiceItems.set(id, { ...input, id, invoicedIn: invoice.id });
        }
        return id;
      }),
    );
  }

  async findInvoiceItem(customerId: string, overageKey: string): Promise<string | null> {
    return this.run('findInvoiceItem', [customerId, overageKey], async () => {
      for (const item of this.invoiceItems.values()) {
        if (item.customerId === customerId && item.metadata.overage_key === overageKey) return item.id;
      }
      return null;
    });
  }

  async hasPendingItems(customerId: string, subscriptionId: string): Promise<boolean> {
    return this.run('hasPendingItems', [customerId, subscriptionId], async () => this.takePending(customerId, subscriptionId).length > 0);
  }

  async invoicePendingItems(customerId: string, subscriptionId: string | null, idempotencyKey: string): Promise<ProviderInvoice> {
    return this.run('invoicePendingItems', [customerId, subscriptionId, idempotencyKey], async () =>
      this.remember(idempotencyKey, () => {
        const pending = this.takePending(customerId, subscriptionId);
        const first = pending[0];
        const now = this.clock.now();
        return this.makeInvoice({
          customerId,
          subscriptionId,
          currency: first?.currency ?? 'usd',
          billingReason: 'manual',
          status: 'open',
          periodStart: first?.periodStart ?? now,
          periodEnd: first?.periodEnd ?? now,
          lines: pending.map((i) => ({ kind: 'overage' as const, amount: i.amount, description: i.description })),
          items: pending,
        });
      }),
    );
  }

  // ---- the model -------------------------------------------------------------------------

  private queue<K extends ProviderMethod>(method: K): { handler: ProviderScript<K>; persistent: boolean }[] {
    const existing = this.scripts[method];
    if (existing) return existing;
    const created: { handler: ProviderScript<K>; persistent: boolean }[] = [];
    this.scripts[method] = created as (typeof this.scripts)[K];
    return created;
  }

  private run<K extends ProviderMethod>(method: K, args: Parameters<PaymentProvider[K]>, model: () => ReturnType<PaymentProvider[K]>): ReturnType<PaymentProvider[K]> {
    this.calls.push({ method, args } as ProviderCall);
    const queue = this.queue(method);
    const script = queue[0];
    if (!script) return model();
    if (!script.persistent) queue.shift();
    return script.handler(...args);
  }

  private remember<T>(idempotencyKey: string, make: () => T): T {
    if (this.idempotent.has(idempotencyKey)) return this.idempotent.get(idempotencyKey) as T;
    const made = make();
    this.idempotent.set(idempotencyKey, made);
    return made;
  }

  private nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  private price(target: PriceTarget): number {
    const plan = findPlan(target.planId);
    if (!plan) throw new ProviderRefusal(`No such price: ${fakePriceId(target)}`);
    return planPrice(plan, target.currency, target.cycle);
  }

  private subscription(id: string): ProviderSubscription {
    const sub = this.subscriptions.get(id);
    if (!sub) throw new ProviderRefusal(`No such subscription: ${id}`);
    return sub;
  }

  /** Pending items of a customer: the subscription's, or with null the customer-level ones. */
  private takePending(customerId: string, subscriptionId: string | null): FakeInvoiceItem[] {
    return [...this.invoiceItems.values()].filter(
      (i) => i.customerId === customerId && i.subscriptionId === subscriptionId && i.invoiceId === null && i.invoicedIn === null,
    );
  }

  private line(line: ScriptedLine, periodStart: Date, periodEnd: Date): ProviderInvoiceLine {
    return {
      id: this.nextId('il'),
      description: line.description ?? line.kind,
      amount: line.amount,
      quantity: 1,
      kind: line.kind,
      periodStart,
      periodEnd,
      taxes: [],
      discountAmount: 0,
    };
  }

  private withLines(invoice: ProviderInvoice, lines: ProviderInvoiceLine[]): ProviderInvoice {
    const total = lines.reduce((sum, l) => sum + l.amount, 0);
    const paid = invoice.status === 'paid';
    return { ...invoice, lines, subtotal: total, totalExcludingTax: total, total, amountPaid: paid ? total : 0, amountDue: paid ? 0 : total };
  }

  private makeInvoice(input: {
    customerId: string;
    subscriptionId: string | null;
    currency: Currency;
    billingReason: string;
    status: ProviderInvoice['status'];
    periodStart: Date;
    periodEnd: Date;
    lines: readonly ScriptedLine[];
    items?: readonly FakeInvoiceItem[];
  }): ProviderInvoice {
    const id = this.nextId('in');
    const base = providerInvoice({
      id,
      customerId: input.customerId,
      subscriptionId: input.subscriptionId,
      number: `FAKE-${id}`,
      status: input.status,
      billingReason: input.billingReason,
      currency: input.currency,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
      createdAt: this.clock.now(),
      lines: [],
    });
    const invoice = this.withLines(base, input.lines.map((l) => this.line(l, input.periodStart, input.periodEnd)));
    this.invoices.set(id, invoice);
    for (const item of input.items ?? []) this.invoiceItems.set(item.id, { ...item, invoicedIn: id });
    return invoice;
  }
}
