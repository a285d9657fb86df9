import { describe, expect, it } from 'vitest';
import { storedInvoice } from '../../../../src/app/billing/views';
import { NotFound, ProviderRefusal } from '../../../../src/app/errors';
import { OverageBiller } from '../../../../src/app/overage/biller';
import type { ProviderSubscription } from '../../../../src/app/ports/payments';
import { fakeOverageWorld, type FakeOverageWorld } from '../../../support/fakes';

const TENANT = 'org-1';
const JAN = '2027-01-01T00:00:00.000Z';
const FEB = '2027-02-01T00:00:00.000Z';
/** Past the end of January and its 5-minute close grace. */
const AFTER_JAN = '2027-02-01T00:10:00.000Z';
/** The instant of a mid-period change. */
const CUT = '2027-01-16T00:00:00.000Z';

/**
 * SPEC section 2, starter in USD: 5 users, 25 devices, 5 GB, 10,000 API calls and 1,000 alerts
 * included; overage $10.00 per user, $1.00 per GB, $0.01 per API call (minor units below).
 */
const STARTER_USD = {
  users: { included: 5n, unit_price: 1_000 },
  storage_gb: { included: 5n, unit_price: 100 },
  api_calls: { included: 10_000n, unit_price: 1 },
} as const;

/**
 * January's usage: 7 users at the peak (2 over: $20.00), 25 devices (at quota), 5.2 GB (6
 * started GB, 1 over: $1.00), 12,500 API calls (2,500 over: $25.00), 999 alerts (under).
 */
const JANUARY_USAGE = {
  counters: { api_calls: 12_500n, alerts: 999n },
  peaks: { users: 7, devices: 25, storage_gb: 5.2 },
} as const;

const setup = async (options: { now?: string; subscription?: Partial<ProviderSubscription>; period?: { start: string; end: string; trial?: boolean } } = {}) => {
  const world = fakeOverageWorld({ now: options.now ?? AFTER_JAN });
  const subscription = await world.subscribe(TENANT, { periodStart: new Date(JAN), periodEnd: new Date(FEB), billingCycleAnchor: new Date(JAN), createdAt: new Date(JAN), ...options.subscription });
  const period = options.period ?? { start: JAN, end: FEB };
  world.overages.putPeriod({ tenant_id: TENANT, start: period.start, end: period.end, trial: period.trial ?? false, plan_id: subscription.plan_id, currency: subscription.currency });
  world.usage.seed(TENANT, period.start, period.start.slice(0, 10), JANUARY_USAGE, { users: { value: 7, at: period.start } });
  return { world, subscription, biller: new OverageBiller(world.deps) };
};

const statusOf = async (world: FakeOverageWorld, start = JAN): Promise<string | undefined> => (await world.usage.getPeriod(TENANT, start))?.status;

const itemKey = (resource: string, start = JAN): string => `overage:${TENANT}:${start}:${resource}`;

const rejection = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (error: unknown) => error);

describe('OverageBiller', () => {
  describe('billPeriod', () => {
    it('bills each resource over its quota with its quantity, included quantity, rate and plan', async () => {
      // Prepare
      const { world, biller } = await setup();

      // Act
      const result = await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(result).toMatchObject({ tenant_id: TENANT, period_start: JAN, period_end: FEB, outcome: 'billed' });
      expect(result.lines.map(({ resource, quantity, included, overage, unit_price, amount, currency }) => ({ resource, quantity, included, overage, unit_price, amount, currency }))).toEqual([
        { resource: 'users', quantity: 7n, ...STARTER_USD.users, overage: 2n, amount: 2_000n, currency: 'usd' },
        { resource: 'storage_gb', quantity: 6n, ...STARTER_USD.storage_gb, overage: 1n, amount: 100n, currency: 'usd' },
        { resource: 'api_calls', quantity: 12_500n, ...STARTER_USD.api_calls, overage: 2_500n, amount: 2_500n, currency: 'usd' },
      ]);
      for (const line of result.lines) expect(line).toMatchObject({ plan_id: 'starter', stripe_invoice_item_id: expect.stringMatching(/^ii_/) });
      expect(await world.overages.lines(TENANT, JAN)).toEqual([...result.lines].sort((a, b) => a.resource.localeCompare(b.resource)));
    });

    it('creates one invoice item per line, pending on the subscription, under a deterministic key', async () => {
      // Prepare
      const { world, biller } = await setup();

      // Act
      await biller.billPeriod(TENANT, JAN);

      // Assess
      const items = world.provider.callsTo('createInvoiceItem').map(([input]) => input);
      expect(items.map((i) => [i.idempotencyKey, i.amount])).toEqual([
        [itemKey('users'), 2_000],
        [itemKey('storage_gb'), 100],
        [itemKey('api_calls'), 2_500],
      ]);
      expect(items[2]).toMatchObject({
        customerId: `cus_${TENANT}`,
        subscriptionId: `sub_${TENANT}`,
        invoiceId: null,
        currency: 'usd',
        description: 'Overage: 2,500 API calls over 10,000 included',
        periodStart: new Date(JAN),
        periodEnd: new Date(FEB),
        metadata: {
          kind: 'overage',
          overage_key: itemKey('api_calls'),
          tenant_id: TENANT,
          period_start: JAN,
          period_end: FEB,
          resource_type: 'api_calls',
          plan_id: 'starter',
          quantity: '12500',
          included: '10000',
          overage: '2500',
          unit_price: '1',
        },
      });
      expect(world.provider.callsTo('invoicePendingItems')).toEqual([]);
    });

    it('moves the period open -> closing before it asks Stripe, and closing -> billed after', async () => {
      // Prepare
      const { world, biller } = await setup();
      const seen: (string | undefined)[] = [];
      let n = 0;
      world.provider.always('createInvoiceItem', async () => {
        seen.push(await statusOf(world));
        n += 1;
        return `ii_scripted_${n}`;
      });
      const before = await statusOf(world);

      // Act
      await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(before).toBe('open');
      expect(seen).toEqual(['closing', 'closing', 'closing']);
      expect(await statusOf(world)).toBe('billed');
      expect(world.overages.billedTime(TENANT, JAN)).toBe(AFTER_JAN);
      expect(await world.overages.duePeriods(new Date('2027-03-01T00:00:00.000Z'))).toEqual([]);
    });

    it("records each line's amount as the month's overage revenue and publishes an overage.billed event per line", async () => {
      // Prepare
      const { world, biller } = await setup();

      // Act
      await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(world.overages.revenue()).toEqual(new Map([['overage#2027-02#usd', 4_600n]]));
      expect(world.events.events(TENANT).map((e) => [e.id, e.type, e.occurred_at])).toEqual([
        [itemKey('users'), 'overage.billed', FEB],
        [itemKey('storage_gb'), 'overage.billed', FEB],
        [itemKey('api_calls'), 'overage.billed', FEB],
      ]);
      expect(world.webhooks.messages).toHaveLength(3);
    });

    it('bills nothing twice when the same period is billed again', async () => {
      // Prepare
      const { world, biller } = await setup();
      const first = await biller.billPeriod(TENANT, JAN);

      // Act
      const second = await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(second.outcome).toBe('already_billed');
      expect(second.lines).toEqual([...first.lines].sort((a, b) => a.resource.localeCompare(b.resource)));
      expect(world.provider.callsTo('createInvoiceItem')).toHaveLength(3);
      expect(world.overages.revenue()).toEqual(new Map([['overage#2027-02#usd', 4_600n]]));
      expect(world.events.events(TENANT)).toHaveLength(3);
    });

    it('resumes a period a crash left closing: skips recorded lines and finds items Stripe already made', async () => {
      // Prepare: users is billed and recorded; the storage item is made but the table write fails.
      const { world, biller } = await setup();
      world.overages.failRecordLine(new Error('table unavailable'), 1);
      const crashed = await rejection(biller.billPeriod(TENANT, JAN));
      const statusAfterCrash = await statusOf(world);

      // Act
      const resumed = await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(crashed).toEqual(new Error('table unavailable'));
      expect(statusAfterCrash).toBe('closing');
      expect(resumed.outcome).toBe('billed');
      expect(world.provider.callsTo('createInvoiceItem').map(([input]) => input.idempotencyKey)).toEqual([itemKey('users'), itemKey('storage_gb'), itemKey('api_calls')]);
      expect(world.provider.callsTo('findInvoiceItem')).toEqual([
        [`cus_${TENANT}`, itemKey('storage_gb')],
        [`cus_${TENANT}`, itemKey('api_calls')],
      ]);
      expect(world.provider.invoiceItems.size).toBe(3);
      expect(resumed.lines.map((l) => l.resource).sort()).toEqual(['api_calls', 'storage_gb', 'users']);
      expect(await statusOf(world)).toBe('billed');
    });

    it('records a line Stripe refuses for good as failed with the reason, and bills the rest', async () => {
      // Prepare
      const { world, biller } = await setup();
      world.provider.failOnce('createInvoiceItem', new ProviderRefusal('Invalid positive integer'));

      // Act
      const result = await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(result.outcome).toBe('billed');
      expect(result.lines.find((l) => l.resource === 'users')).toMatchObject({
        amount: 2_000n,
        plan_id: 'starter',
        stripe_invoice_item_id: null,
        stripe_invoice_item_ids: [],
        failure_reason: 'Invalid positive integer',
      });
      expect(result.lines.filter((l) => l.resource !== 'users')).toEqual([
        expect.objectContaining({ resource: 'storage_gb', stripe_invoice_item_id: expect.stringMatching(/^ii_/) }),
        expect.objectContaining({ resource: 'api_calls', stripe_invoice_item_id: expect.stringMatching(/^ii_/) }),
      ]);
      expect(world.overages.revenue()).toEqual(new Map([['overage#2027-02#usd', 2_600n]]));
      expect(world.events.types(TENANT)).toEqual(['overage.failed', 'overage.billed', 'overage.billed']);
      expect(await statusOf(world)).toBe('billed');
    });

    it('does not try a refused line again on a later run', async () => {
      // Prepare
      const { world, biller } = await setup();
      world.provider.failOnce('createInvoiceItem', new ProviderRefusal('Invalid positive integer'));
      await biller.billPeriod(TENANT, JAN);

      // Act
      const again = await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(again.outcome).toBe('already_billed');
      expect(again.lines.find((l) => l.resource === 'users')).toMatchObject({ failure_reason: 'Invalid positive integer' });
      expect(world.provider.callsTo('createInvoiceItem')).toHaveLength(3);
    });

    it('bills nothing for a trial period, and closes it as billed', async () => {
      // Prepare
      const trialEnd = '2027-01-15T00:00:00.000Z';
      const { world, biller } = await setup({
        now: '2027-01-15T00:10:00.000Z',
        subscription: { status: 'trialing', trialEnd: new Date(trialEnd), periodEnd: new Date(trialEnd), billingCycleAnchor: new Date(trialEnd) },
        period: { start: JAN, end: trialEnd, trial: true },
      });

      // Act
      const result = await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(result).toMatchObject({ outcome: 'not_billable', lines: [] });
      expect(world.provider.calls).toEqual([]);
      expect(world.overages.recorded()).toEqual([]);
      expect(world.events.entries).toEqual([]);
      expect(await statusOf(world)).toBe('billed');
    });

    it('leaves a period alone until its end plus the close grace has passed', async () => {
      // Prepare
      const { world, biller } = await setup({ now: '2027-02-01T00:04:00.000Z' });

      // Act
      const result = await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(result).toMatchObject({ outcome: 'not_due', lines: [] });
      expect(await statusOf(world)).toBe('open');
      expect(world.provider.calls).toEqual([]);
    });

    it('answers what it would bill on a dry run, claiming and creating nothing', async () => {
      // Prepare
      const { world, biller } = await setup();

      // Act
      const result = await biller.billPeriod(TENANT, JAN, { dryRun: true });

      // Assess
      expect(result.outcome).toBe('dry_run');
      expect(result.lines.map((l) => [l.resource, l.amount])).toEqual([
        ['users', 2_000n],
        ['storage_gb', 100n],
        ['api_calls', 2_500n],
      ]);
      expect(await statusOf(world)).toBe('open');
      expect(world.provider.calls).toEqual([]);
      expect(world.overages.recorded()).toEqual([]);
    });

    it('throws NotFound for a period that was never stored', async () => {
      // Prepare
      const { biller } = await setup();

      // Act
      const error = await rejection(biller.billPeriod(TENANT, '2026-12-01T00:00:00.000Z'));

      // Assess
      expect(error).toBeInstanceOf(NotFound);
    });

    it("puts the items on the subscription's renewal invoice while it is a draft", async () => {
      // Prepare
      const { world, biller } = await setup();
      const draft = world.provider.addInvoice({
        id: 'in_renewal',
        customerId: `cus_${TENANT}`,
        subscriptionId: `sub_${TENANT}`,
        status: 'draft',
        billingReason: 'subscription_cycle',
        periodStart: new Date(JAN),
        periodEnd: new Date(FEB),
      });
      world.invoices.seed(storedInvoice(draft, TENANT));

      // Act
      await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(world.provider.callsTo('createInvoiceItem').map(([input]) => input.invoiceId)).toEqual(['in_renewal', 'in_renewal', 'in_renewal']);
    });

    it("invoices an annual plan's monthly overage on an invoice of its own", async () => {
      // Prepare
      const { world, biller } = await setup({ subscription: { cycle: 'annual', periodEnd: new Date('2028-01-01T00:00:00.000Z') } });

      // Act
      await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(world.provider.callsTo('invoicePendingItems')).toEqual([[`cus_${TENANT}`, `sub_${TENANT}`, `overage-invoice:${TENANT}:${JAN}`]]);
      const [saved] = world.invoices.all(TENANT);
      expect(saved?.lines.map((l) => l.amount)).toEqual([2_000, 100, 2_500]);
    });

    it("bills an ended subscription's last period at the customer, on a final invoice of its own", async () => {
      // Prepare
      const { world, biller } = await setup({ subscription: { status: 'canceled', canceledAt: new Date(FEB), endedAt: new Date(FEB) } });

      // Act
      await biller.billPeriod(TENANT, JAN);

      // Assess
      expect(world.provider.callsTo('createInvoiceItem').map(([input]) => input.subscriptionId)).toEqual([null, null, null]);
      expect(world.provider.callsTo('invoicePendingItems')).toEqual([[`cus_${TENANT}`, null, `overage-invoice:${TENANT}:${JAN}`]]);
    });
  });

  describe('closeForChange', () => {
    const PROFESSIONAL = { plan_id: 'professional', billing_cycle: 'monthly', anchor: JAN } as const;

    it('closes the running period at the upgrade and bills it at once against the old plan', async () => {
      // Prepare
      const { world, subscription, biller } = await setup({ now: CUT });

      // Act
      await biller.closeForChange(subscription, new Date(CUT), PROFESSIONAL);

      // Assess: under professional (50 users, 100,000 API calls) nothing of January would be over.
      expect(await world.usage.getPeriod(TENANT, JAN)).toMatchObject({ end: CUT, status: 'billed', plan_id: 'starter' });
      expect(world.overages.recorded().map(({ line }) => [line.resource, line.included, line.amount, line.plan_id])).toEqual([
        ['users', 5n, 2_000n, 'starter'],
        ['storage_gb', 5n, 100n, 'starter'],
        ['api_calls', 10_000n, 2_500n, 'starter'],
      ]);
      expect(world.provider.callsTo('createInvoiceItem').map(([input]) => [input.subscriptionId, input.invoiceId, input.periodEnd])).toEqual([
        [`sub_${TENANT}`, null, new Date(CUT)],
        [`sub_${TENANT}`, null, new Date(CUT)],
        [`sub_${TENANT}`, null, new Date(CUT)],
      ]);
      expect(world.provider.callsTo('invoicePendingItems')).toEqual([]);
    });

    it('cuts the plan timeline at the change and seals the closed period against late commits', async () => {
      // Prepare
      const { world, subscription, biller } = await setup({ now: CUT });

      // Act
      await biller.closeForChange(subscription, new Date(CUT), PROFESSIONAL);

      // Assess
      expect(world.timelines.segments(TENANT).map((s) => [s.plan_id, s.start, s.end])).toEqual([
        ['starter', JAN, CUT],
        ['professional', CUT, null],
      ]);
      expect(world.usage.bucketAt(TENANT, JAN, '2027-01-01')?.sealed).toBe(true);
      expect(world.usage.bucketAt(TENANT, JAN, '2027-01-31')?.sealed).toBe(true);
    });

    it('starts the next period on the new plan with the gauges carried over and the counters at zero', async () => {
      // Prepare
      const { world, subscription, biller } = await setup({ now: CUT });

      // Act
      await biller.closeForChange(subscription, new Date(CUT), PROFESSIONAL);

      // Assess
      expect(await world.usage.getPeriod(TENANT, CUT)).toMatchObject({ start: CUT, end: FEB, status: 'open', trial: false, plan_id: 'professional' });
      expect(world.usage.bucketAt(TENANT, CUT, '2027-01-16')).toMatchObject({ counters: {}, peaks: { users: 7 } });
    });

    it("puts the new period on the overage run's index when the carried gauges alone are over its plan's quota", async () => {
      // Prepare: starter, 7 users (5 included).
      const monthlyToAnnual = await setup({ now: CUT });
      const upgrade = await setup({ now: CUT });

      // Act: the same plan billed annually (a change that takes effect now), and an upgrade to professional (50 users).
      await monthlyToAnnual.biller.closeForChange(monthlyToAnnual.subscription, new Date(CUT), { plan_id: 'starter', billing_cycle: 'annual', anchor: CUT });
      await upgrade.biller.closeForChange(upgrade.subscription, new Date(CUT), PROFESSIONAL);

      // Assess
      expect(await monthlyToAnnual.world.usage.getPeriod(TENANT, CUT)).toMatchObject({ status: 'open', plan_id: 'starter', may_bill: true });
      expect(monthlyToAnnual.world.usage.markedMayBill).toEqual([{ tenantId: TENANT, start: CUT }]);
      expect(upgrade.world.usage.markedMayBill).toEqual([]);
    });

    // Seed 3001: the mirror's scheduled downgrade (effective at the old period end) was projected
    // onto the new plan, so the annual plan's first usage period, created here to carry the
    // gauges, ended at the old monthly boundary instead of a month after the upgrade.
    it('starts the next period a month from a new anchor, whatever downgrade the upgrade replaces', async () => {
      // Prepare: professional monthly with a downgrade to starter scheduled for the period end.
      const { world, subscription, biller } = await setup({
        now: CUT,
        subscription: {
          planId: 'professional',
          priceId: 'price_professional_monthly_usd',
          scheduleId: 'sub_sched_1',
          pendingChange: { planId: 'starter', cycle: 'monthly', effectiveAt: new Date(FEB) },
        },
      });

      // Act: professional annual, which restarts the billing anchor at the change.
      await biller.closeForChange(subscription, new Date(CUT), { plan_id: 'professional', billing_cycle: 'annual', anchor: CUT });

      // Assess
      expect(await world.usage.getPeriod(TENANT, CUT)).toMatchObject({ start: CUT, end: '2027-02-16T00:00:00.000Z', status: 'open', plan_id: 'professional' });
      expect(world.usage.bucketAt(TENANT, CUT, '2027-01-16')).toMatchObject({ peaks: { users: 7 } });
    });

    // A retry holding the same (older, still starter) mirror once rewrote the open professional
    // segment back to starter, cut again and billed the carried 7 users a second time.
    it('bills nothing again when the same change is retried', async () => {
      // Prepare
      const { world, subscription, biller } = await setup({ now: CUT });
      await biller.closeForChange(subscription, new Date(CUT), PROFESSIONAL);

      // Act
      await biller.closeForChange(subscription, new Date('2027-01-16T00:00:30.000Z'), PROFESSIONAL);

      // Assess
      expect(world.provider.callsTo('createInvoiceItem')).toHaveLength(3);
      expect(world.timelines.segments(TENANT).map((s) => [s.plan_id, s.start, s.end])).toEqual([
        ['starter', JAN, CUT],
        ['professional', CUT, null],
      ]);
    });

    it('closes the part-period of an immediate cancel and bills it at once, carrying nothing', async () => {
      // Prepare
      const { world, subscription, biller } = await setup({ now: CUT });

      // Act
      await biller.closeForChange(subscription, new Date(CUT), null);

      // Assess
      expect(await world.usage.getPeriod(TENANT, JAN)).toMatchObject({ end: CUT, status: 'billed' });
      expect(world.overages.recorded().map(({ line }) => line.amount)).toEqual([2_000n, 100n, 2_500n]);
      expect(await world.usage.getPeriod(TENANT, CUT)).toBeNull();
    });

    it('leaves a trial running through an upgrade, billing nothing', async () => {
      // Prepare
      const trialEnd = '2027-01-20T00:00:00.000Z';
      const { world, subscription, biller } = await setup({
        now: CUT,
        subscription: { status: 'trialing', trialEnd: new Date(trialEnd), periodEnd: new Date(trialEnd), billingCycleAnchor: new Date(trialEnd) },
        period: { start: JAN, end: trialEnd, trial: true },
      });

      // Act
      await biller.closeForChange(subscription, new Date(CUT), { ...PROFESSIONAL, anchor: trialEnd });

      // Assess
      expect(await world.usage.getPeriod(TENANT, JAN)).toMatchObject({ end: trialEnd, status: 'open' });
      expect(world.provider.calls).toEqual([]);
      expect(world.overages.recorded()).toEqual([]);
    });
  });
});
