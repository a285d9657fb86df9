import { afterEach, describe, expect, it, vi } from 'vitest';
import { StripeEventProcessor } from '../../../../src/app/billing/stripe-events';
import { storedSubscription } from '../../../../src/app/billing/views';
import { NotInCatalog } from '../../../../src/app/errors';
import type { AdoptedCard } from '../../../../src/app/ports/cards';
import type { ProviderEvent } from '../../../../src/app/ports/payments';
import { fakeBillingWorld, InMemoryTenantStore, providerSubscription } from '../../../support/fakes';
import { addressIn, NO_BILLING_DETAILS } from '../../../../src/domain/billing-details';

const TENANT = 'tenant-1';
const OTHER_TENANT = 'tenant-2';
const NOW = new Date('2027-01-15T12:00:00.000Z');
const EVENT_AT = new Date('2027-01-15T11:59:30.000Z');
const PERIOD_START = new Date('2027-01-01T00:00:00.000Z');
const PERIOD_END = new Date('2027-02-01T00:00:00.000Z');

/** SPEC section 2, minor units. */
const STARTER_USD_MONTHLY = 9_900;

/** Card adoption as Stripe would answer it: scripted per SetupIntent, each call recorded. */
class ScriptedCards {
  readonly calls: string[] = [];
  readonly answers = new Map<string, AdoptedCard | null>();
  async adoptCard(setupIntentId: string): Promise<AdoptedCard | null> {
    this.calls.push(setupIntentId);
    return this.answers.get(setupIntentId) ?? null;
  }
}

const setup = (options: { tenants?: InMemoryTenantStore } = {}) => {
  const world = fakeBillingWorld({ now: NOW });
  const tenants = options.tenants ?? world.tenants;
  const cards = new ScriptedCards();
  const processor = new StripeEventProcessor({
    provider: world.provider,
    cards,
    tenants,
    mirror: world.mirror,
    invoices: world.invoices,
    publisher: world.publisher,
    processed: world.processed,
    entitlements: world.entitlements,
  });
  return { ...world, tenants, processor, cards };
};

type World = ReturnType<typeof setup>;

/** Tenant 1 (customer cus_1) with an active starter subscription, in Stripe and mirrored long ago. */
const withSubscription = async (world: World) => {
  const sub = world.provider.addSubscription({ id: 'sub_1', customerId: 'cus_1', tenantId: TENANT, periodStart: PERIOD_START, periodEnd: PERIOD_END });
  world.tenants.seed(TENANT, { stripe_customer_id: 'cus_1', currency: 'usd', subscriptions_created: 1, current_subscription_id: 'sub_1' });
  await world.subscriptions.save(storedSubscription(sub, TENANT), new Date(0));
  return sub;
};

const subscriptionEvent = (overrides: Partial<ProviderEvent> = {}): ProviderEvent => ({
  id: 'evt_1',
  type: 'customer.subscription.updated',
  createdAt: EVENT_AT,
  object: { kind: 'subscription', id: 'sub_1' },
  customerId: 'cus_1',
  ...overrides,
});

const invoiceEvent = (type: string, invoiceId: string, overrides: Partial<ProviderEvent> = {}): ProviderEvent => ({
  id: `evt_${type}`,
  type,
  createdAt: EVENT_AT,
  object: { kind: 'invoice', id: invoiceId },
  customerId: 'cus_1',
  ...overrides,
});

const webhookTypes = (world: World): unknown[] =>
  world.webhooks.bodies().map((b) => (b as { event: { type: string } }).event.type);

describe('StripeEventProcessor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('process', () => {
    it('invoices, once, the items an ended subscription left waiting for its next invoice; none when there are none', async () => {
      // Prepare: overage left pending on sub_1 for its next renewal, then the subscription ended (a cancel at period end).
      const world = setup();
      await withSubscription(world);
      const item = {
        customerId: 'cus_1',
        currency: 'usd' as const,
        amount: 1_500,
        description: 'Users overage',
        periodStart: PERIOD_START,
        periodEnd: PERIOD_END,
        metadata: { kind: 'overage' },
        invoiceId: null,
      };
      await world.provider.createInvoiceItem({ ...item, subscriptionId: 'sub_1', idempotencyKey: 'overage:users' });
      await world.provider.createInvoiceItem({ ...item, subscriptionId: null, idempotencyKey: 'overage:other' });
      world.provider.addSubscription({ id: 'sub_1', customerId: 'cus_1', tenantId: TENANT, status: 'canceled', periodStart: PERIOD_START, periodEnd: PERIOD_END });

      // Act: the deletion event, and a redelivery of it under another id.
      await world.processor.process(subscriptionEvent({ id: 'evt_deleted', type: 'customer.subscription.deleted' }), NOW);
      await world.processor.process(subscriptionEvent({ id: 'evt_deleted_again', type: 'customer.subscription.deleted' }), NOW);

      // Assess: one invoice of the subscription's item; the customer-level item is not its to take.
      expect(world.provider.callsTo('invoicePendingItems')).toEqual([['cus_1', 'sub_1', 'leftover-items:sub_1']]);
      expect(world.invoices.all(TENANT).filter((i) => i.lines.some((l) => l.kind === 'overage')).map((i) => i.lines.map((l) => l.amount))).toEqual([[1_500]]);
    });

    it('invoices nothing for a live subscription or an ended one with nothing pending', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);

      // Act
      await world.processor.process(subscriptionEvent(), NOW);
      world.provider.addSubscription({ id: 'sub_1', customerId: 'cus_1', tenantId: TENANT, status: 'canceled', periodStart: PERIOD_START, periodEnd: PERIOD_END });
      await world.processor.process(subscriptionEvent({ id: 'evt_deleted', type: 'customer.subscription.deleted' }), NOW);

      // Assess
      expect(world.provider.callsTo('invoicePendingItems')).toEqual([]);
    });

    it('mirrors the subscription as Stripe has it now, not as the event describes it', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.updateSubscription('sub_1', { status: 'past_due' });

      // Act
      const outcome = await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(outcome).toBe('processed');
      expect(world.provider.callsTo('getSubscription')).toEqual([['sub_1']]);
      expect(await world.subscriptions.get(TENANT, 'sub_1')).toMatchObject({ status: 'past_due', unit_amount: STARTER_USD_MONTHLY });
    });

    it('records the event once in the audit trail, as Stripe\'s, and tells the tenant\'s webhooks', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);

      // Act
      await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(world.events.events(TENANT)).toEqual([
        {
          id: 'stripe:evt_1',
          tenant_id: TENANT,
          type: 'stripe.customer.subscription.updated',
          actor: { type: 'stripe' },
          occurred_at: EVENT_AT.toISOString(),
          data: { stripe_event_id: 'evt_1', object_id: 'sub_1' },
        },
      ]);
      expect(webhookTypes(world)).toEqual(['subscription.updated']);
      expect(world.processed.marker('evt_1')).toEqual({ type: 'customer.subscription.updated', processed_at: NOW.toISOString() });
    });

    it('processes each event id once: a redelivery answers duplicate and changes nothing', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      await world.processor.process(subscriptionEvent(), NOW);
      world.provider.updateSubscription('sub_1', { status: 'canceled', endedAt: NOW });

      // Act
      const outcome = await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(outcome).toBe('duplicate');
      expect(world.provider.callsTo('getSubscription')).toHaveLength(1);
      expect((await world.subscriptions.get(TENANT, 'sub_1'))?.status).toBe('active');
      expect(world.events.events(TENANT)).toHaveLength(1);
      expect(world.webhooks.messages).toHaveLength(1);
    });

    it('answers duplicate for an event already marked, asking Stripe nothing', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      await world.processed.mark('evt_1', 'customer.subscription.updated', NOW);

      // Act
      const outcome = await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(outcome).toBe('duplicate');
      expect(world.provider.calls).toEqual([]);
    });

    it('repeats only no-ops when a redelivery follows a crash before the marker', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      await world.processor.process(subscriptionEvent(), NOW);
      world.processed.markers.delete('evt_1');

      // Act
      const outcome = await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(outcome).toBe('processed');
      expect(world.events.events(TENANT)).toHaveLength(1);
      expect((await world.subscriptions.get(TENANT, 'sub_1'))?.status).toBe('active');
    });

    it('ignores a subscription event of an unknown customer, recording why and changing no tenant', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.addSubscription({ id: 'sub_stranger', customerId: 'cus_stranger', tenantId: null });
      const savesBefore = world.subscriptions.saves.length;

      // Act
      const outcome = await world.processor.process(subscriptionEvent({ object: { kind: 'subscription', id: 'sub_stranger' }, customerId: 'cus_stranger' }), NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.processed.marker('evt_1')?.ignored_reason).toContain('cus_stranger');
      expect(world.subscriptions.saves).toHaveLength(savesBefore);
      expect(world.events.entries).toEqual([]);
      expect(world.webhooks.messages).toEqual([]);
    });

    it('answers a subscription on a price outside our catalog (a Dashboard or CLI fixture) as ignored, recording why, never an error', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.failOnce('getSubscription', new NotInCatalog('price price_fixture is not a SecureNet catalog price'));
      const savesBefore = world.subscriptions.saves.length;

      // Act
      const outcome = await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.processed.marker('evt_1')?.ignored_reason).toContain('price_fixture');
      expect(world.subscriptions.saves).toHaveLength(savesBefore);
      expect(world.events.entries).toEqual([]);
    });

    it('still fails on an unexpected error, so Stripe retries the event', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.failOnce('getSubscription', new Error('DynamoDB is down'));

      // Act / Assess
      await expect(world.processor.process(subscriptionEvent(), NOW)).rejects.toThrow('DynamoDB is down');
      expect(world.processed.marker('evt_1')).toBeNull();
    });

    it('ignores an invoice event of an unknown customer without reading the invoice', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);

      // Act
      const outcome = await world.processor.process(invoiceEvent('invoice.paid', 'in_stranger', { customerId: 'cus_stranger' }), NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.provider.callsTo('getInvoice')).toEqual([]);
      expect(world.processed.marker('evt_invoice.paid')?.ignored_reason).toContain('cus_stranger');
      expect(world.invoices.items.size).toBe(0);
    });

    it('ignores an event about another tenant\'s subscription, changing neither tenant', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.tenants.seed(OTHER_TENANT, { stripe_customer_id: 'cus_2' });
      world.provider.addSubscription({ id: 'sub_2', customerId: 'cus_2', tenantId: OTHER_TENANT, status: 'canceled' });
      const savesBefore = world.subscriptions.saves.length;

      // Act: a tenant-1 event that points at tenant-2's subscription
      const outcome = await world.processor.process(subscriptionEvent({ object: { kind: 'subscription', id: 'sub_2' } }), NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.processed.marker('evt_1')?.ignored_reason).toContain('cus_2');
      expect(world.subscriptions.saves).toHaveLength(savesBefore);
      expect(await world.subscriptions.get(TENANT, 'sub_2')).toBeNull();
      expect(world.events.entries).toEqual([]);
    });

    it('ignores a subscription whose metadata names a tenant that does not own its customer', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.addSubscription({ id: 'sub_forged', customerId: 'cus_forged', tenantId: TENANT, status: 'canceled' });

      // Act
      const outcome = await world.processor.process(subscriptionEvent({ object: { kind: 'subscription', id: 'sub_forged' }, customerId: 'cus_forged' }), NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(await world.subscriptions.get(TENANT, 'sub_forged')).toBeNull();
      expect(world.tenants.profile(TENANT).current_subscription_id).toBe('sub_1');
    });

    it('finds the tenant from the subscription\'s metadata while the customer index lags', async () => {
      // Prepare
      class LaggingIndex extends InMemoryTenantStore {
        override async findByCustomer(): Promise<string | null> {
          return null;
        }
      }
      const tenants = new LaggingIndex();
      const world = setup({ tenants });
      await withSubscription(world);
      world.provider.updateSubscription('sub_1', { cancelAtPeriodEnd: true });

      // Act
      const outcome = await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(outcome).toBe('processed');
      expect((await world.subscriptions.get(TENANT, 'sub_1'))?.cancel_at_period_end).toBe(true);
    });

    it('marks a catalog event processed without acting on it', async () => {
      // Prepare
      const world = setup();

      // Act
      const outcome = await world.processor.process(
        { id: 'evt_price', type: 'price.created', createdAt: EVENT_AT, object: { kind: 'other', id: 'price_1' }, customerId: null },
        NOW,
      );

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.processed.marker('evt_price')).toEqual({ type: 'price.created', processed_at: NOW.toISOString() });
      expect(world.provider.calls).toEqual([]);
    });

    it('never lets an older re-read overwrite a newer one stored meanwhile', async () => {
      // Prepare: the first event's re-read is slow; a later event re-reads and saves first.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2027-01-15T12:00:00.000Z'));
      const world = setup();
      await withSubscription(world);
      const stale = world.provider.subscriptions.get('sub_1') ?? providerSubscription();
      world.provider.updateSubscription('sub_1', { status: 'canceled', endedAt: NOW, canceledAt: NOW });
      world.provider.once('getSubscription', async () => {
        vi.setSystemTime(new Date('2027-01-15T12:00:01.000Z'));
        await world.processor.process(subscriptionEvent({ id: 'evt_2', type: 'customer.subscription.deleted' }), NOW);
        return stale;
      });

      // Act
      const outcome = await world.processor.process(subscriptionEvent(), NOW);

      // Assess
      expect(outcome).toBe('processed');
      expect(await world.subscriptions.get(TENANT, 'sub_1')).toMatchObject({ status: 'canceled', ended_at: NOW.toISOString() });
      expect(world.subscriptions.saves.slice(-2).map((s) => [s.subscription.status, s.written])).toEqual([
        ['canceled', true],
        ['active', false],
      ]);
    });

    it('tells the tenant a payment needs confirming, with the hosted invoice page to do it on', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.addInvoice({ id: 'in_3ds', customerId: 'cus_1', subscriptionId: 'sub_1', status: 'open', periodStart: PERIOD_START, periodEnd: PERIOD_END, hostedInvoiceUrl: 'https://invoice.stripe.com/i/in_3ds' });

      // Act
      await world.processor.process(invoiceEvent('invoice.payment_action_required', 'in_3ds'), NOW);

      // Assess
      expect(world.events.events(TENANT).at(-1)).toMatchObject({
        type: 'stripe.invoice.payment_action_required',
        data: { object_id: 'in_3ds', hosted_invoice_url: 'https://invoice.stripe.com/i/in_3ds' },
      });
      expect(webhookTypes(world)).toEqual(['payment.action_required']);
    });

    it('mirrors a paid invoice as Stripe has it and tells the tenant it was paid', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.addInvoice({ id: 'in_9', customerId: 'cus_1', subscriptionId: 'sub_1', status: 'paid', periodStart: PERIOD_START, periodEnd: PERIOD_END });

      // Act
      const outcome = await world.processor.process(invoiceEvent('invoice.paid', 'in_9'), NOW);

      // Assess
      expect(outcome).toBe('processed');
      expect(world.provider.callsTo('getInvoice')).toEqual([['in_9']]);
      expect(world.invoices.get(TENANT, 'in_9')).toMatchObject({
        tenant_id: TENANT,
        subscription_id: 'sub_1',
        status: 'paid',
        total: STARTER_USD_MONTHLY,
        amount_paid: STARTER_USD_MONTHLY,
        period_end: PERIOD_END.toISOString(),
      });
      expect(webhookTypes(world)).toEqual(['invoice.paid']);
    });

    it('mirrors a failed payment\'s attempt and next retry, and tells the tenant', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      const nextAttempt = new Date('2027-01-18T12:00:00.000Z');
      world.provider.addInvoice({ id: 'in_9', customerId: 'cus_1', status: 'open', amountPaid: 0, amountDue: STARTER_USD_MONTHLY, attemptCount: 2, nextPaymentAttempt: nextAttempt });

      // Act
      await world.processor.process(invoiceEvent('invoice.payment_failed', 'in_9'), NOW);

      // Assess
      expect(world.invoices.get(TENANT, 'in_9')).toMatchObject({ status: 'open', amount_due: STARTER_USD_MONTHLY, attempt_count: 2, next_payment_attempt: nextAttempt.toISOString() });
      expect(webhookTypes(world)).toEqual(['payment.failed']);
    });

    it('adopts a card the tenant set up: one payment_method.updated for the setup, however many events announce it', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.cards.answers.set('seti_1', {
        customerId: 'cus_1',
        card: { id: 'pm_1', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 },
        setUpAt: EVENT_AT,
        paidInvoices: ['in_open'],
        unpaidInvoices: [],
      });
      const announced = (id: string, type: string): ProviderEvent => ({ id, type, createdAt: NOW, object: { kind: 'card', id: 'seti_1' }, customerId: 'cus_1' });

      // Act
      await world.processor.process(announced('evt_si', 'setup_intent.succeeded'), NOW);
      await world.processor.process(announced('evt_cs', 'checkout.session.completed'), NOW);

      // Assess
      expect(world.cards.calls).toEqual(['seti_1', 'seti_1']);
      expect(world.events.events(TENANT).filter((e) => e.type === 'payment_method.updated')).toEqual([
        expect.objectContaining({
          id: 'card:seti_1',
          occurred_at: EVENT_AT.toISOString(),
          data: { payment_method: { id: 'pm_1', brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, default: true }, paid_invoices: ['in_open'], unpaid_invoices: [] },
        }),
      ]);
      expect(webhookTypes(world)).toContain('payment_method.updated');
    });

    it('tells the tenant a card was detached or changed, so its list is re-read', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);

      // Act
      const outcome = await world.processor.process(
        { id: 'evt_pm', type: 'payment_method.detached', createdAt: EVENT_AT, object: { kind: 'payment_method', id: 'pm_old' }, customerId: 'cus_1' },
        NOW,
      );

      // Assess
      expect(outcome).toBe('processed');
      expect(world.events.events(TENANT).at(-1)).toMatchObject({ type: 'stripe.payment_method.detached', data: { object_id: 'pm_old' } });
      expect(webhookTypes(world)).toEqual(['payment_method.updated']);
      expect(world.cards.calls).toEqual([]);
    });

    it('takes billing details changed in Stripe (the portal, the Dashboard) into the profile', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      const details = { name: 'Portaal B.V.', email: null, address: { ...addressIn('NL'), city: 'Utrecht' }, tax_ids: [{ type: 'eu_vat' as const, value: 'NL123456789B01' }] };
      world.provider.customers.set('cus_1', { tenantId: TENANT, details, defaultPaymentMethod: null });

      // Act
      const outcome = await world.processor.process({ id: 'evt_cu', type: 'customer.tax_id.created', createdAt: EVENT_AT, object: { kind: 'customer', id: 'cus_1' }, customerId: 'cus_1' }, NOW);

      // Assess
      expect(outcome).toBe('processed');
      expect(world.tenants.profile(TENANT).billing_details).toEqual(details);
      expect(world.events.events(TENANT).at(-1)).toMatchObject({ type: 'stripe.customer.tax_id.created' });
    });

    it("never copies another customer's details into a tenant", async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.customers.set('cus_2', { tenantId: OTHER_TENANT, details: { ...NO_BILLING_DETAILS, name: 'Other' }, defaultPaymentMethod: null });

      // Act
      const outcome = await world.processor.process({ id: 'evt_cx', type: 'customer.updated', createdAt: EVENT_AT, object: { kind: 'customer', id: 'cus_2' }, customerId: 'cus_1' }, NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.tenants.profile(TENANT).billing_details).toEqual(NO_BILLING_DETAILS);
      expect(world.provider.callsTo('getBillingDetails')).toEqual([]);
    });

    it("never adopts a card set up on another tenant's customer", async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);

      // Act
      const outcome = await world.processor.process({ id: 'evt_x', type: 'setup_intent.succeeded', createdAt: NOW, object: { kind: 'card', id: 'seti_2' }, customerId: 'cus_2' }, NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.cards.calls).toEqual([]);
    });

    it('ignores an invoice event whose invoice is another customer\'s', async () => {
      // Prepare
      const world = setup();
      await withSubscription(world);
      world.provider.addInvoice({ id: 'in_other', customerId: 'cus_2' });

      // Act
      const outcome = await world.processor.process(invoiceEvent('invoice.paid', 'in_other'), NOW);

      // Assess
      expect(outcome).toBe('ignored');
      expect(world.invoices.items.size).toBe(0);
      expect(world.events.entries).toEqual([]);
    });
  });
});
