import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addressIn, NO_BILLING_DETAILS } from '../../../../src/domain/billing-details';
import { InvalidInput, NotFound, ProviderRefusal, ServiceUnavailable } from '../../../../src/app/errors';
import { StripeClient } from '../../../../src/adapters/stripe/client';
import { StripeAdapter } from '../../../../src/adapters/stripe/stripe-adapter';
import { DAY, HOUR, startHarness, type Harness } from '../../../integration/local/stripe/harness';

const KEY = 'sk_test_adapter';

/** Every request the SDK sent, as it sent it (the SDK emits one `request` event per try). */
interface Sent {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
}

let h: Harness;
let sent: Sent[];
let adapter: StripeAdapter;

const sdkFor = (local: Harness['local']): Stripe => {
  const sdk = new Stripe(KEY, { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  sdk.on('request', (event: Stripe.RequestEvent) => sent.push({ method: event.method, path: event.path, idempotencyKey: event.idempotency_key }));
  return sdk;
};

beforeAll(async () => {
  h = await startHarness();
  sent = [];
  const client = new StripeClient(sdkFor(h.local), { sleep: async () => undefined });
  adapter = new StripeAdapter({ secretKey: KEY, webhookSecret: 'whsec_unused', apiBase: h.local.url }, client);
  await adapter.syncCatalog();
});

afterAll(async () => {
  await h.close();
});

beforeEach(() => {
  sent = [];
  h.local.rateLimitNext(0);
});

/** A customer with a card and a monthly Professional subscription. */
const subscribed = async (tenantId: string) => {
  const customerId = await adapter.createCustomer({ tenantId, idempotencyKey: `customer:${tenantId}` });
  await adapter.saveBillingDetails(customerId, { ...NO_BILLING_DETAILS, email: `${tenantId}@example.com`, address: { ...addressIn('US'), postal_code: '94107' } });
  await adapter.attachPaymentMethod(customerId, 'pm_card_visa', `payment-method:${tenantId}:0:pm_card_visa`);
  const sub = await adapter.createSubscription({
    tenantId,
    customerId,
    planId: 'professional',
    cycle: 'monthly',
    currency: 'usd',
    trialDays: 0,
    idempotencyKey: `subscription:${tenantId}:0`,
  });
  return { customerId, sub };
};

const overageItem = (customerId: string, subscriptionId: string | null, key: string) => ({
  customerId,
  subscriptionId,
  currency: 'usd' as const,
  amount: 2_000,
  description: 'API calls over the plan',
  periodStart: new Date(h.now() * 1000 - DAY),
  periodEnd: new Date(h.now() * 1000),
  metadata: { kind: 'overage', overage_key: key },
  invoiceId: null,
  idempotencyKey: key,
});

describe('StripeAdapter', () => {
  describe('idempotency keys', () => {
    it('sends every POST with a key of ours, the schedule create included', async () => {
      const { customerId, sub } = await subscribed('org-keys');
      await adapter.previewPriceChange(sub.id, { planId: 'business', cycle: 'monthly', currency: 'usd' }, new Date(h.now() * 1000));
      await adapter.changePriceNow(sub.id, { planId: 'business', cycle: 'monthly', currency: 'usd' }, `change:org-keys:1`, new Date(h.now() * 1000));
      const downgraded = await adapter.changePriceAtPeriodEnd(sub.id, { planId: 'starter', cycle: 'monthly', currency: 'usd' });
      expect(downgraded.pendingChange).toMatchObject({ planId: 'starter', cycle: 'monthly' });
      await adapter.clearPendingChange(sub.id);
      await adapter.changePriceAtPeriodEnd(sub.id, { planId: 'starter', cycle: 'monthly', currency: 'usd' });
      await adapter.setCancelAtPeriodEnd(sub.id, true);
      await adapter.setCancelAtPeriodEnd(sub.id, false);
      await adapter.createInvoiceItem(overageItem(customerId, sub.id, 'overage:org-keys:1'));
      expect(await adapter.findInvoiceItem(customerId, 'overage:org-keys:1')).not.toBeNull();
      const invoice = await adapter.invoicePendingItems(customerId, sub.id, 'overage-invoice:org-keys:1');
      await adapter.getInvoice(invoice.id);
      await adapter.cancelNow(sub.id);

      const posts = sent.filter((r) => r.method === 'POST');
      const paths = new Set(posts.map((r) => r.path.replace(/\/(cus|pm|sub|sub_sched|in)_\w+/g, '/:id')));
      expect([...paths].sort()).toEqual([
        '/v1/customers',
        '/v1/customers/:id',
        '/v1/invoiceitems',
        '/v1/invoices',
        '/v1/invoices/:id/finalize',
        '/v1/invoices/create_preview',
        '/v1/payment_methods/:id/attach',
        '/v1/subscription_schedules',
        '/v1/subscription_schedules/:id',
        '/v1/subscription_schedules/:id/release',
        '/v1/subscriptions',
        '/v1/subscriptions/:id',
      ]);
      // The SDK keys an unkeyed POST itself (`stripe-node-retry-...`), but only for its own retries, not ours.
      for (const post of posts) expect(post.idempotencyKey, `${post.method} ${post.path}`).toMatch(/^(?!stripe-node-retry-)\S+$/);
      expect(sent.filter((r) => r.method === 'DELETE').map((r) => r.path.split('?')[0])).toEqual([`/v1/subscriptions/${sub.id}`]);
    });

    it('gives each schedule create its own key, so a new downgrade is not answered with a released schedule', async () => {
      const { sub } = await subscribed('org-schedules');
      await adapter.changePriceAtPeriodEnd(sub.id, { planId: 'starter', cycle: 'monthly', currency: 'usd' });
      await adapter.clearPendingChange(sub.id);
      const again = await adapter.changePriceAtPeriodEnd(sub.id, { planId: 'starter', cycle: 'monthly', currency: 'usd' });
      expect(again.pendingChange).toMatchObject({ planId: 'starter' });
      const creates = sent.filter((r) => r.method === 'POST' && r.path === '/v1/subscription_schedules');
      expect(creates).toHaveLength(2);
      expect(creates[0]?.idempotencyKey).toMatch(new RegExp(`^schedule:${sub.id}:`));
      expect(creates[0]?.idempotencyKey).not.toBe(creates[1]?.idempotencyKey);
    });

    it('answers the current state after cancel at period end is set, cleared and set again', async () => {
      const { sub } = await subscribed('org-toggle');
      await adapter.setCancelAtPeriodEnd(sub.id, true);
      await adapter.setCancelAtPeriodEnd(sub.id, false);
      expect((await adapter.setCancelAtPeriodEnd(sub.id, true)).cancelAtPeriodEnd).toBe(true);
    });
  });

  describe('proration instant', () => {
    it('charges on upgrade what the preview priced at the same instant, however long the caller took in between', async () => {
      const { sub } = await subscribed('org-prorate');
      await h.advance(10 * DAY + 1234_000);
      const at = new Date(h.now() * 1000);
      const target = { planId: 'business', cycle: 'monthly', currency: 'usd' } as const;
      const previewed = (await adapter.previewPriceChange(sub.id, target, at)).amount;
      // Priced an hour later, the same change is a different amount: the instant matters.
      expect((await adapter.previewPriceChange(sub.id, target, new Date(at.getTime() + HOUR))).amount).not.toBe(previewed);
      await h.advance(HOUR);

      const upgraded = await adapter.changePriceNow(sub.id, target, 'upgrade:org-prorate:1', at);

      const charged = (upgraded.latestInvoice?.lines ?? []).filter((l) => l.kind === 'proration').reduce((sum, l) => sum + l.amount, 0);
      expect(charged).toBe(previewed);
      expect(previewed).toBeGreaterThan(0);
    });
  });

  describe('cards collected by Stripe', () => {
    it('opens a setup-mode Checkout Session; the card picked on its page is listed, then made the default', async () => {
      const customerId = await adapter.createCustomer({ tenantId: 'org-cards', idempotencyKey: 'customer:org-cards' });
      expect(await adapter.listCards(customerId)).toEqual({ cards: [], defaultId: null });

      const session = await adapter.createSetupSession({
        customerId,
        currency: 'usd',
        successUrl: 'http://localhost:3000/?setup={CHECKOUT_SESSION_ID}',
        cancelUrl: 'http://localhost:3000/',
        idempotencyKey: 'setup:org-cards:1',
      });
      const picked = await fetch(session.url, { method: 'POST', body: 'payment_method=pm_card_visa', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
      expect(picked.headers.get('location')).toBe(`http://localhost:3000/?setup=${session.id}`);

      const listed = await adapter.listCards(customerId);
      expect(listed.cards).toEqual([{ id: expect.stringMatching(/^pm_/), brand: 'visa', last4: '4242', expMonth: 12, expYear: expect.any(Number) }]);
      expect(listed.defaultId).toBeNull();
    });

    it('opens a billing portal session that returns to the given page', async () => {
      const customerId = await adapter.createCustomer({ tenantId: 'org-portal', idempotencyKey: 'customer:org-portal' });
      const portal = await adapter.createPortalSession({ customerId, returnUrl: 'http://localhost:3000/', idempotencyKey: 'portal:org-portal:1' });
      const page = await (await fetch(portal.url)).text();
      expect(page).toContain('http://localhost:3000/');
    });
  });

  describe('test clocks', () => {
    it("creates a tenant's customer on the test clock it is given, and only in test mode", async () => {
      const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: h.now() - 30 * 86_400 });
      const onClock = new StripeAdapter({ secretKey: KEY, webhookSecret: 'whsec_unused', apiBase: h.local.url, testClockFor: (t) => (t === 'org-clocked' ? clock.id : undefined) });

      const clocked = await onClock.createCustomer({ tenantId: 'org-clocked', idempotencyKey: 'customer:org-clocked' });
      const plain = await onClock.createCustomer({ tenantId: 'org-plain', idempotencyKey: 'customer:org-plain' });

      expect(await h.stripe.customers.retrieve(clocked)).toMatchObject({ test_clock: clock.id, created: clock.frozen_time });
      expect(await h.stripe.customers.retrieve(plain)).toMatchObject({ test_clock: null });
      expect(() => new StripeAdapter({ secretKey: 'sk_live_x', webhookSecret: 'whsec_unused', testClockFor: () => clock.id })).toThrow(/test-mode key/);
    });
  });

  describe('rate limits', () => {
    it('retries a 429 with the same key and creates the item once', async () => {
      const { customerId, sub } = await subscribed('org-429');
      sent = [];
      h.local.rateLimitNext(3);
      const id = await adapter.createInvoiceItem(overageItem(customerId, sub.id, 'overage:org-429:1'));
      const creates = sent.filter((r) => r.method === 'POST' && r.path === '/v1/invoiceitems');
      expect(creates).toHaveLength(4);
      expect(new Set(creates.map((r) => r.idempotencyKey))).toEqual(new Set(['overage:org-429:1:pending']));
      const items = await h.stripe.invoiceItems.list({ customer: customerId });
      expect(items.data.map((i) => i.id)).toEqual([id]);
    });

    it('retries a throttled read as well', async () => {
      const { sub } = await subscribed('org-429-read');
      h.local.rateLimitNext(2);
      expect((await adapter.getSubscription(sub.id)).planId).toBe('professional');
    });

    it('gives up with ServiceUnavailable when Stripe answers 429 past the bound', async () => {
      const { sub } = await subscribed('org-429-forever');
      sent = [];
      h.local.rateLimitNext(1_000);
      await expect(adapter.getSubscription(sub.id)).rejects.toBeInstanceOf(ServiceUnavailable);
      expect(sent).toHaveLength(6);
    });
  });

  describe('errors', () => {
    it('throws NotFound for a subscription Stripe does not have', async () => {
      await expect(adapter.getSubscription('sub_missing')).rejects.toBeInstanceOf(NotFound);
      expect(sent).toHaveLength(1);
    });

    it('throws InvalidInput naming an unknown payment method', async () => {
      const customerId = await adapter.createCustomer({ tenantId: 'org-pm', idempotencyKey: 'customer:org-pm' });
      await expect(adapter.attachPaymentMethod(customerId, 'pm_nope', 'payment-method:org-pm:0:pm_nope')).rejects.toBeInstanceOf(InvalidInput);
    });

    it('leaves an overage item pending when the renewal draft it was meant for was finalized meanwhile', async () => {
      const { customerId, sub } = await subscribed('org-late-item');
      await h.advance(31 * DAY);
      const [draft] = (await h.stripe.invoices.list({ customer: customerId, status: 'draft' })).data;
      expect(draft?.id).toBeDefined();
      await h.stripe.invoices.finalizeInvoice(draft?.id ?? '');

      const itemId = await adapter.createInvoiceItem({ ...overageItem(customerId, sub.id, 'overage:org-late-item:1'), invoiceId: draft?.id ?? null });

      expect(await h.stripe.invoiceItems.retrieve(itemId)).toMatchObject({ invoice: null, amount: 2_000 });
    });

    it('still refuses an item a draft refuses for another reason', async () => {
      const { customerId, sub } = await subscribed('org-draft-other');
      await h.advance(31 * DAY);
      const [draft] = (await h.stripe.invoices.list({ customer: customerId, status: 'draft' })).data;
      // Another currency than the draft's: refused, and the draft is still a draft.
      const item = { ...overageItem(customerId, sub.id, 'overage:org-draft-other:1'), currency: 'eur' as const, invoiceId: draft?.id ?? null };
      await expect(adapter.createInvoiceItem(item)).rejects.toBeInstanceOf(ProviderRefusal);
      expect((await h.stripe.invoiceItems.list({ customer: customerId })).data).toEqual([]);
    });

    it('throws ProviderRefusal for an overage item Stripe refuses, without retrying it', async () => {
      await expect(adapter.createInvoiceItem(overageItem('cus_missing', null, 'overage:org-missing:1'))).rejects.toBeInstanceOf(ProviderRefusal);
      expect(sent).toHaveLength(1);
    });
  });

  describe('Stripe Tax', () => {
    it('taxes what it bills and reads each tax with its rate and jurisdiction', async () => {
      const customerId = await adapter.createCustomer({ tenantId: 'org-tax-gb', idempotencyKey: 'customer:org-tax-gb' });
      await adapter.saveBillingDetails(customerId, { ...NO_BILLING_DETAILS, name: 'Tax Ltd', address: addressIn('GB') });
      await adapter.attachPaymentMethod(customerId, 'pm_card_visa', 'payment-method:org-tax-gb');

      const sub = await adapter.createSubscription({ tenantId: 'org-tax-gb', customerId, planId: 'professional', cycle: 'monthly', currency: 'usd', trialDays: 0, idempotencyKey: 'subscription:org-tax-gb:0' });

      // SPEC 4a: GB 20% on the tax-exclusive 29,900.
      expect(sub.latestInvoice).toMatchObject({ totalExcludingTax: 29_900, tax: 5_980, total: 35_880 });
      expect(sub.latestInvoice?.taxes).toEqual([
        { amount: 5_980, taxableAmount: 29_900, percentage: 20, country: 'GB', jurisdiction: expect.any(String), reason: 'standard_rated', reverseCharge: false },
      ]);
      expect(sub.latestInvoice?.lines[0]?.taxes.map((t) => t.amount)).toEqual([5_980]);
      expect((await h.stripe.subscriptions.retrieve(sub.id)).automatic_tax.enabled).toBe(true);
    });

    it('makes the customer tax IDs exactly the list given, so saving again is harmless', async () => {
      const customerId = await adapter.createCustomer({ tenantId: 'org-tax-ids', idempotencyKey: 'customer:org-tax-ids' });
      const both = { ...NO_BILLING_DETAILS, address: addressIn('IE'), tax_ids: [{ type: 'eu_vat' as const, value: 'IE1234567WA' }, { type: 'gb_vat' as const, value: 'GB123456789' }] };
      await adapter.saveBillingDetails(customerId, both);
      await adapter.saveBillingDetails(customerId, both);
      expect((await h.stripe.customers.listTaxIds(customerId)).data.map((t) => t.value).sort()).toEqual(['GB123456789', 'IE1234567WA']);

      await adapter.saveBillingDetails(customerId, { ...both, tax_ids: [{ type: 'gb_vat', value: 'GB123456789' }] });

      expect((await h.stripe.customers.listTaxIds(customerId)).data.map((t) => t.value)).toEqual(['GB123456789']);
      expect(await h.stripe.customers.retrieve(customerId)).toMatchObject({ address: { country: 'IE' } });
    });

    it("turns Stripe Tax's customer_tax_location_invalid into a 400 naming the address", async () => {
      const customerId = await adapter.createCustomer({ tenantId: 'org-tax-nowhere', idempotencyKey: 'customer:org-tax-nowhere' });
      const create = adapter.createSubscription({ tenantId: 'org-tax-nowhere', customerId, planId: 'starter', cycle: 'monthly', currency: 'usd', trialDays: 14, idempotencyKey: 'subscription:org-tax-nowhere:0' });
      await expect(create).rejects.toBeInstanceOf(InvalidInput);
      await expect(create).rejects.toMatchObject({ details: [{ field: 'address' }] });
    });

    it('replaces a catalog price made before prices were tax-exclusive, leaving subscriptions on the old one', async () => {
      // Prepare: an account synced before issue 17 (one price with tax_behavior unspecified) and a subscriber on it.
      const legacy = await startHarness();
      try {
        await legacy.stripe.products.create({ id: 'securenet_starter', name: 'SecureNet Starter' });
        const old = await legacy.stripe.prices.create({ product: 'securenet_starter', currency: 'usd', unit_amount: 9_900, recurring: { interval: 'month' }, lookup_key: 'securenet_starter_monthly_usd' });
        expect(old.tax_behavior).toBe('unspecified');
        const customer = await legacy.stripe.customers.create({ address: { country: 'US', postal_code: '94107' } });
        const live = await legacy.stripe.subscriptions.create({ customer: customer.id, items: [{ price: old.id }], trial_period_days: 14 });
        const syncer = new StripeAdapter({ secretKey: KEY, webhookSecret: 'whsec_unused', apiBase: legacy.local.url });

        // Act
        const result = await syncer.syncCatalog();

        // Assess
        expect(result).toEqual({ created: 5 * 3 * 2 - 1, existing: 0, replaced: 1 });
        const [current] = (await legacy.stripe.prices.list({ lookup_keys: ['securenet_starter_monthly_usd'] })).data;
        expect(current).toMatchObject({ unit_amount: 9_900, tax_behavior: 'exclusive' });
        expect(current?.id).not.toBe(old.id);
        expect((await legacy.stripe.prices.retrieve(old.id)).lookup_key).toBeNull();
        expect((await legacy.stripe.subscriptions.retrieve(live.id)).items.data[0]?.price.id).toBe(old.id);
        expect(await syncer.syncCatalog()).toEqual({ created: 0, existing: 5 * 3 * 2, replaced: 0 });
      } finally {
        await legacy.close();
      }
    });
  });
});
