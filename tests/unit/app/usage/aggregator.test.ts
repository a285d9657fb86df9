import { describe, expect, it, vi } from 'vitest';
import { EventPublisher } from '../../../../src/app/events/publisher';
import { UsageAggregator, type IncomingMessage } from '../../../../src/app/usage/aggregator';
import type { PackedRecord, UsageMessage } from '../../../../src/app/usage/message';
import type { Resource } from '../../../../src/domain/resources';
import type { PlanSegment, Timeline } from '../../../../src/domain/timeline';
import { InMemoryBillingEventStore } from '../../../support/fakes/billing-events';
import { SettableClock } from '../../../support/fakes/clock';
import { InMemoryMessageQueue } from '../../../support/fakes/queue';
import { InMemoryUsageStore } from '../../../support/fakes/usage';

const TENANT = 'org-agg';
const NOW = '2027-01-15T12:00:00.000Z';
const JAN = '2027-01-01T00:00:00.000Z';
const FEB = '2027-02-01T00:00:00.000Z';

/** A starter subscription billed monthly from Jan 1 (SPEC section 2: 10,000 API calls, 5 users included). */
const starter: PlanSegment = {
  start: JAN,
  end: null,
  subscription_id: 'sub_1',
  plan_id: 'starter',
  billing_cycle: 'monthly',
  currency: 'usd',
  anchor: JAN,
  trial_end: null,
};
const STARTER_API_CALLS = 10_000;
const STARTER_USERS = 5;

const setup = (options: { now?: string; timeline?: Timeline } = {}) => {
  const clock = new SettableClock(options.now ?? NOW);
  const usage = new InMemoryUsageStore();
  const events = new InMemoryBillingEventStore();
  const webhooks = new InMemoryMessageQueue();
  let timeline: Timeline = options.timeline ?? [starter];
  let basisReads = 0;
  const aggregator = new UsageAggregator({
    usage,
    publisher: new EventPublisher(events, webhooks),
    entitlements: { announce: async () => undefined },
    basisOf: async () => {
      basisReads += 1;
      return { timeline, currency: 'usd' };
    },
    clock,
  });
  return {
    clock,
    usage,
    events,
    webhooks,
    aggregator,
    setTimeline: (next: Timeline) => {
      timeline = next;
    },
    basisReads: () => basisReads,
  };
};

const rec = (r: Resource, q: number, t: string = NOW, k?: string): PackedRecord => ({ r, q, t, ...(k === undefined ? {} : { k }) });

/** A usage message as the API puts it on the queue. */
const message = (messageId: string, records: PackedRecord[], options: { dedupId?: string; receivedAt?: string; tenantId?: string } = {}): IncomingMessage => {
  const body: UsageMessage = {
    v: 1,
    tenant_id: options.tenantId ?? TENANT,
    dedup_id: options.dedupId ?? `msg-${messageId}`,
    received_at: options.receivedAt ?? NOW,
    records,
  };
  return { messageId, body: JSON.stringify(body) };
};

const totalOf = async (usage: InMemoryUsageStore, periodStart: string, tenantId = TENANT) => (await usage.periodTally(tenantId, periodStart)).total;

describe('UsageAggregator', () => {
  describe('processBatch', () => {
    describe('exactly once', () => {
      it('counts a message redelivered in a later batch once', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        const m = message('m1', [rec('api_calls', 5)]);
        await aggregator.processBatch([m]);

        // Act
        const failed = await aggregator.processBatch([m]);

        // Assess
        expect(failed).toEqual([]);
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(5n);
      });

      it('counts a message delivered twice in one batch once', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        const m = message('m1', [rec('api_calls', 5)]);

        // Act
        const failed = await aggregator.processBatch([m, { ...m, messageId: 'm1-again' }]);

        // Assess
        expect(failed).toEqual([]);
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(5n);
      });

      it('counts two messages of one request retried by the client (same dedup id) once', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        await aggregator.processBatch([message('m1', [rec('api_calls', 7)], { dedupId: 'req-abc-0' })]);

        // Act
        await aggregator.processBatch([message('m2', [rec('api_calls', 7)], { dedupId: 'req-abc-0', receivedAt: '2027-01-15T12:00:30.000Z' })]);

        // Assess
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(7n);
      });

      it('counts a record whose idempotency key another message carried once, and the rest of that message', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        await aggregator.processBatch([message('m1', [rec('api_calls', 3, NOW, 'rec-1')])]);

        // Act
        await aggregator.processBatch([message('m2', [rec('api_calls', 3, NOW, 'rec-1'), rec('api_calls', 2)])]);

        // Assess
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(5n);
      });

      it('counts a record repeated with its idempotency key within one batch once', async () => {
        // Prepare
        const { aggregator, usage } = setup();

        // Act
        await aggregator.processBatch([
          message('m1', [rec('alerts', 4, NOW, 'dup'), rec('alerts', 4, NOW, 'dup')]),
          message('m2', [rec('alerts', 4, NOW, 'dup'), rec('alerts', 1)]),
        ]);

        // Assess
        expect((await totalOf(usage, JAN)).counters.alerts).toBe(5n);
      });

      it('counts a large message of keyed records once, also when redelivered', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        const m = message(
          'big',
          Array.from({ length: 250 }, (_, i) => rec('api_calls', 1, NOW, `k-${i}`)),
        );
        await aggregator.processBatch([m]);

        // Act
        const failed = await aggregator.processBatch([m]);

        // Assess
        expect(failed).toEqual([]);
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(250n);
      });

      it('writes for a batch in a few commits, not one per record', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        const records = Array.from({ length: 1_000 }, (_, i) => rec(i % 2 === 0 ? 'api_calls' : 'users', 1 + (i % 3)));

        // Act
        await aggregator.processBatch([message('m1', records), message('m2', records)]);

        // Assess
        expect(usage.commits).toHaveLength(1);
        expect(usage.commits[0]?.input.buckets).toHaveLength(1);
      });
    });

    describe('counters and gauges', () => {
      it('sums counters across records, messages and days of the period', async () => {
        // Prepare
        const { aggregator, usage } = setup();

        // Act
        await aggregator.processBatch([
          message('m1', [rec('api_calls', 100, '2027-01-10T08:00:00.000Z'), rec('api_calls', 20, '2027-01-12T08:00:00.000Z')]),
          message('m2', [rec('api_calls', 3), rec('alerts', 9)]),
        ]);
        await aggregator.processBatch([message('m3', [rec('api_calls', 1_000_000_000)])]);

        // Assess
        const { total, days } = await usage.periodTally(TENANT, JAN);
        expect(total.counters).toEqual({ api_calls: 1_000_000_123n, alerts: 9n });
        expect(days.get('2027-01-10')?.counters.api_calls).toBe(100n);
        expect(days.get('2027-01-12')?.counters.api_calls).toBe(20n);
        expect(days.get('2027-01-15')?.counters.api_calls).toBe(1_000_000_003n);
      });

      it('keeps the peak of a gauge, not the sum of its levels', async () => {
        // Prepare
        const { aggregator, usage } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('users', 3), rec('users', 5), rec('users', 4)]), message('m2', [rec('devices', 12), rec('devices', 10)])]);

        // Assess
        expect((await totalOf(usage, JAN)).peaks).toEqual({ users: 5, devices: 12 });
      });

      it('keeps an earlier batch\'s peak when a lower level comes later, and raises it for a higher one', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        await aggregator.processBatch([message('m1', [rec('storage_gb', 4.5)])]);

        // Act
        await aggregator.processBatch([message('m2', [rec('storage_gb', 2.25, '2027-01-15T12:00:01.000Z')])]);
        const afterLower = (await totalOf(usage, JAN)).peaks.storage_gb;
        await aggregator.processBatch([message('m3', [rec('storage_gb', 6.75, '2027-01-15T12:00:02.000Z')])]);

        // Assess
        expect(afterLower).toBe(4.5);
        expect((await totalOf(usage, JAN)).peaks.storage_gb).toBe(6.75);
      });

      it('keeps the peak across the days of a period', async () => {
        // Prepare
        const { aggregator, usage } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('users', 4, '2027-01-03T00:00:00.000Z'), rec('users', 2, '2027-01-14T00:00:00.000Z')])]);

        // Assess
        expect((await totalOf(usage, JAN)).peaks.users).toBe(4);
      });

      it('never lowers a peak that a racing consumer raised between its read and its commit', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        usage.seed(TENANT, JAN, '2027-01-15', { peaks: { users: 4 } });
        usage.beforeCommit = (_input, attempt) => {
          if (attempt === 1) usage.seed(TENANT, JAN, '2027-01-15', { peaks: { users: 9 } });
        };

        // Act
        const failed = await aggregator.processBatch([message('m1', [rec('users', 6)])]);

        // Assess
        expect(failed).toEqual([]);
        expect(usage.commits.map((c) => (c.result === 'thrown' ? 'thrown' : c.result.kind))).toEqual(['retry', 'committed']);
        expect((await totalOf(usage, JAN)).peaks.users).toBe(9);
      });
    });

    describe('attribution to periods', () => {
      it('counts a record in the day and period of its timestamp', async () => {
        // Prepare
        const { aggregator, usage } = setup({ now: '2027-02-01T00:01:00.000Z' });

        // Act
        await aggregator.processBatch([
          message('m1', [rec('api_calls', 2, '2027-01-31T23:59:59.000Z'), rec('api_calls', 3, '2027-02-01T00:00:01.000Z')], { receivedAt: '2027-02-01T00:01:00.000Z' }),
        ]);

        // Assess
        expect(usage.bucketAt(TENANT, JAN, '2027-01-31')?.counters.api_calls).toBe(2n);
        expect(usage.bucketAt(TENANT, FEB, '2027-02-01')?.counters.api_calls).toBe(3n);
      });

      it('counts a record stamped after its receipt at its receipt time', async () => {
        // Prepare
        const { aggregator, usage } = setup({ now: '2027-01-31T23:59:00.000Z' });

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', 8, '2027-02-01T00:03:00.000Z')], { receivedAt: '2027-01-31T23:59:00.000Z' })]);

        // Assess
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(8n);
        expect(await usage.getPeriod(TENANT, FEB)).toBeNull();
      });

      it('counts a record received within the grace after its period ended in that period, not late', async () => {
        // Prepare
        const { aggregator, usage } = setup({ now: '2027-02-01T00:02:00.000Z' });

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', 6, '2027-01-31T23:59:00.000Z')], { receivedAt: '2027-02-01T00:02:00.000Z' })]);

        // Assess
        expect(await totalOf(usage, JAN)).toMatchObject({ counters: { api_calls: 6n }, late: {} });
      });

      it('counts a record of a billed period in the next open period, marked late, on the day it arrived', async () => {
        // Prepare
        const { aggregator, usage } = setup({ now: '2027-02-03T09:00:00.000Z' });
        usage.putPeriod({ tenant_id: TENANT, start: JAN, end: FEB, trial: false, status: 'billed', plan_id: 'starter', currency: 'usd' });

        // Act
        const failed = await aggregator.processBatch([message('m1', [rec('api_calls', 4, '2027-01-20T10:00:00.000Z')], { receivedAt: '2027-02-03T09:00:00.000Z' })]);

        // Assess
        expect(failed).toEqual([]);
        expect((await totalOf(usage, JAN)).counters).toEqual({});
        expect(usage.bucketAt(TENANT, FEB, '2027-02-03')).toMatchObject({ counters: { api_calls: 4n }, late: { api_calls: 4n } });
      });

      it('counts a record received after its period\'s end plus grace in the next period, marked late, even before it is billed', async () => {
        // Prepare
        const { aggregator, usage } = setup({ now: '2027-02-01T00:10:00.000Z' });

        // Act
        await aggregator.processBatch([message('m1', [rec('alerts', 2, '2027-01-31T23:00:00.000Z')], { receivedAt: '2027-02-01T00:10:00.000Z' })]);

        // Assess
        expect((await totalOf(usage, JAN)).counters).toEqual({});
        expect(await totalOf(usage, FEB)).toMatchObject({ counters: { alerts: 2n }, late: { alerts: 2n } });
      });

      it('counts a late record in the period it was received in, not in a gap a new subscription has already ended', async () => {
        // Prepare: a trial canceled at 00:11:01, nothing until a new subscription at 00:11:03 (seed 7301).
        const trial: PlanSegment = { ...starter, start: '2027-01-10T00:01:00.000Z', end: '2027-01-10T00:11:01.000Z', anchor: '2027-01-10T00:01:00.000Z', trial_end: '2027-01-11T00:01:00.000Z' };
        const next: PlanSegment = { ...starter, subscription_id: 'sub_2', start: '2027-01-10T00:11:03.000Z', anchor: '2027-01-10T00:11:03.000Z' };
        const { aggregator, usage } = setup({ now: '2027-01-10T00:11:04.000Z', timeline: [trial, next] });
        usage.putPeriod({ tenant_id: TENANT, start: trial.start, end: trial.end ?? '', trial: true, status: 'billed', plan_id: 'starter', currency: 'usd' });

        // Act: stamped in the closed trial, received in the new subscription's first period.
        const failed = await aggregator.processBatch([message('m1', [rec('users', 40, '2027-01-10T00:10:47.000Z')], { receivedAt: '2027-01-10T00:11:04.000Z' })]);

        // Assess: billable (40 users over starter's 5), never hidden in the gap [00:11:01, 00:11:03).
        expect(failed).toEqual([]);
        expect(await totalOf(usage, next.start)).toMatchObject({ peaks: { users: 40 } });
        expect(await usage.getPeriod(TENANT, '2027-01-10T00:11:01.000Z')).toBeNull();
      });

      it('keeps a record stamped before the first subscription out of it, received just after it started (seed 7401)', async () => {
        // Prepare: the first subscription (paid, no trial) starts 2027-02-02 00:01; the March-to-February gap is unbilled time.
        const first: PlanSegment = { ...starter, start: '2027-02-02T00:01:00.000Z', anchor: '2027-02-02T00:01:00.000Z' };
        const { aggregator, usage } = setup({ now: '2027-02-02T00:01:01.000Z', timeline: [first] });

        // Act: a level stamped in January (a gap month already over), received a second after the subscription started.
        await aggregator.processBatch([message('m1', [rec('users', 40, '2027-01-31T23:59:59.999Z')], { receivedAt: '2027-02-02T00:01:01.000Z' })]);

        // Assess: still time without a subscription (the gap's next month, never billed), not the first paid period.
        expect((await totalOf(usage, first.start)).peaks).toEqual({});
        expect((await totalOf(usage, '2027-02-01T00:00:00.000Z')).peaks).toEqual({ users: 40 });
      });

      it('moves a commit to the next period, marked late, when its period starts closing before the commit', async () => {
        // Prepare
        const { aggregator, usage } = setup({ now: '2027-02-01T00:01:00.000Z' });
        usage.beforeCommit = (_input, attempt) => {
          if (attempt === 1) usage.updatePeriod(TENANT, JAN, { status: 'closing' });
        };

        // Act
        const failed = await aggregator.processBatch([message('m1', [rec('api_calls', 3, '2027-01-31T23:58:00.000Z')], { receivedAt: '2027-02-01T00:00:30.000Z' })]);

        // Assess
        expect(failed).toEqual([]);
        expect((await totalOf(usage, JAN)).counters).toEqual({});
        expect(await totalOf(usage, FEB)).toMatchObject({ counters: { api_calls: 3n }, late: { api_calls: 3n } });
      });

      it('moves a commit into the new plan\'s period when an upgrade closes and seals the period under it', async () => {
        // Prepare
        const upgradeAt = '2027-01-15T11:30:00.000Z';
        const { aggregator, usage, setTimeline, basisReads } = setup();
        usage.beforeCommit = async (_input, attempt) => {
          if (attempt !== 1) return;
          usage.updatePeriod(TENANT, JAN, { status: 'closing', end: upgradeAt });
          await usage.sealBuckets(TENANT, JAN, '2027-01-01', '2027-01-15');
          setTimeline([
            { ...starter, end: upgradeAt },
            { ...starter, start: upgradeAt, plan_id: 'professional', anchor: upgradeAt },
          ]);
        };

        // Act
        const failed = await aggregator.processBatch([message('m1', [rec('api_calls', 7, '2027-01-15T11:00:00.000Z')])]);

        // Assess
        expect(failed).toEqual([]);
        expect(basisReads()).toBe(2);
        expect(usage.bucketAt(TENANT, JAN, '2027-01-15')).toMatchObject({ counters: {}, sealed: true });
        expect(usage.bucketAt(TENANT, upgradeAt, '2027-01-15')).toMatchObject({ counters: { api_calls: 7n }, late: { api_calls: 7n } });
        expect(await usage.getPeriod(TENANT, upgradeAt)).toMatchObject({ status: 'open', plan_id: 'professional' });
      });

      it('opens a period once, with the plan and currency of the timeline', async () => {
        // Prepare
        const { aggregator, usage } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', 1)])]);
        await aggregator.processBatch([message('m2', [rec('api_calls', 1)])]);

        // Assess
        expect(await usage.getPeriod(TENANT, JAN)).toEqual({ tenant_id: TENANT, start: JAN, end: FEB, trial: false, status: 'open', plan_id: 'starter', currency: 'usd' });
      });
    });

    describe('failures', () => {
      it('reports a message that is not JSON as failed and counts the rest of the batch', async () => {
        // Prepare
        const { aggregator, usage } = setup();

        // Act
        const failed = await aggregator.processBatch([{ messageId: 'poison', body: '{not json' }, message('good', [rec('api_calls', 2)])]);

        // Assess
        expect(failed).toEqual(['poison']);
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(2n);
      });

      it.each([
        ['a negative amount', { r: 'api_calls', q: -1, t: NOW }],
        ['a fractional counter', { r: 'alerts', q: 1.5, t: NOW }],
        ['an unknown resource', { r: 'bananas', q: 1, t: NOW }],
        ['an amount over a billion', { r: 'api_calls', q: 1_000_000_001, t: NOW }],
        ['a timestamp that is not one', { r: 'api_calls', q: 1, t: 'yesterday' }],
      ])('reports a message with %s as failed, counting none of its records', async (_name, bad) => {
        // Prepare
        const { aggregator, usage } = setup();
        const body = { v: 1, tenant_id: TENANT, dedup_id: 'msg-bad', received_at: NOW, records: [{ r: 'api_calls', q: 5, t: NOW }, bad] };

        // Act
        const failed = await aggregator.processBatch([{ messageId: 'bad', body: JSON.stringify(body) }, message('good', [rec('api_calls', 2)])]);

        // Assess
        expect(failed).toEqual(['bad']);
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(2n);
      });

      it('reports every message of a tenant whose commit failed, and only those', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        usage.failCommit(new Error('throttled'), { tenantId: 'org-b' });

        // Act
        const failed = await aggregator.processBatch([
          message('a1', [rec('api_calls', 1)], { tenantId: 'org-a' }),
          message('b1', [rec('api_calls', 2)], { tenantId: 'org-b' }),
          message('a2', [rec('api_calls', 3)], { tenantId: 'org-a' }),
          message('b2', [rec('api_calls', 4)], { tenantId: 'org-b' }),
        ]);

        // Assess
        expect(failed.sort()).toEqual(['b1', 'b2']);
        expect((await totalOf(usage, JAN, 'org-a')).counters.api_calls).toBe(4n);
        expect((await totalOf(usage, JAN, 'org-b')).counters).toEqual({});
      });

      it('counts the failed messages once when SQS delivers them again', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        usage.failCommit(new Error('throttled'), { tenantId: 'org-b' });
        const batch = [message('a1', [rec('api_calls', 1)], { tenantId: 'org-a' }), message('b1', [rec('api_calls', 2)], { tenantId: 'org-b' })];
        await aggregator.processBatch(batch);

        // Act
        const failed = await aggregator.processBatch(batch);

        // Assess
        expect(failed).toEqual([]);
        expect((await totalOf(usage, JAN, 'org-a')).counters.api_calls).toBe(1n);
        expect((await totalOf(usage, JAN, 'org-b')).counters.api_calls).toBe(2n);
      });

      it('gives a message back to the queue when its commit never settles, and counts it once later', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        let racing = true;
        let level = 10;
        usage.beforeCommit = () => {
          if (!racing) return;
          level += 1;
          usage.seed(TENANT, JAN, '2027-01-15', { peaks: { users: level } });
        };
        const m = message('m1', [rec('users', 50), rec('api_calls', 3)]);

        // Act
        const failed = await aggregator.processBatch([m]);
        racing = false;
        const retried = await aggregator.processBatch([m]);

        // Assess
        expect(failed).toEqual(['m1']);
        expect(retried).toEqual([]);
        expect(await totalOf(usage, JAN)).toMatchObject({ counters: { api_calls: 3n }, peaks: { users: 50 } });
      });
    });

    describe('usage alerts', () => {
      const alertsOf = (events: InMemoryBillingEventStore, tenantId = TENANT) => events.events(tenantId, 'usage.threshold_reached').map((e) => e.data);

      it('announces 80% of the plan\'s included API calls with a billing event and a tenant webhook', async () => {
        // Prepare
        const { aggregator, events, webhooks } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', (STARTER_API_CALLS * 80) / 100)])]);

        // Assess
        expect(alertsOf(events)).toEqual([{ resource_type: 'api_calls', threshold_percent: 80, quantity: 8_000n, included: STARTER_API_CALLS, period_start: JAN }]);
        expect(webhooks.bodies()).toEqual([
          expect.objectContaining({ tenant_id: TENANT, event: expect.objectContaining({ type: 'usage.threshold_reached', data: expect.objectContaining({ threshold_percent: 80 }) }) }),
        ]);
      });

      it('does not announce usage below 80%', async () => {
        // Prepare
        const { aggregator, events } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', (STARTER_API_CALLS * 80) / 100 - 1)])]);

        // Assess
        expect(alertsOf(events)).toEqual([]);
      });

      it('announces 80% and 100% when one batch crosses both', async () => {
        // Prepare
        const { aggregator, events } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', STARTER_API_CALLS)])]);

        // Assess
        expect(alertsOf(events).map((d) => d.threshold_percent)).toEqual([80, 100]);
      });

      it('announces each threshold once per period however much more usage comes', async () => {
        // Prepare
        const { aggregator, events, webhooks } = setup();
        await aggregator.processBatch([message('m1', [rec('api_calls', 8_500)])]);

        // Act
        await aggregator.processBatch([message('m2', [rec('api_calls', 100)])]);
        await aggregator.processBatch([message('m3', [rec('api_calls', 1_400)])]);
        await aggregator.processBatch([message('m4', [rec('api_calls', 5_000)])]);

        // Assess
        expect(alertsOf(events).map((d) => [d.threshold_percent, d.quantity])).toEqual([
          [80, 8_500n],
          [100, 10_000n],
        ]);
        expect(webhooks.messages).toHaveLength(2);
      });

      it('announces a gauge from its peak against the plan\'s included users', async () => {
        // Prepare
        const { aggregator, events } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('users', STARTER_USERS - 1)])]);
        await aggregator.processBatch([message('m2', [rec('users', STARTER_USERS - 2)])]);
        await aggregator.processBatch([message('m3', [rec('users', STARTER_USERS)])]);

        // Assess
        expect(alertsOf(events).map((d) => [d.resource_type, d.threshold_percent, d.quantity])).toEqual([
          ['users', 80, 4n],
          ['users', 100, 5n],
        ]);
      });

      it('announces again in the next period', async () => {
        // Prepare
        const { aggregator, events, clock } = setup();
        await aggregator.processBatch([message('m1', [rec('api_calls', 8_000)])]);
        clock.set('2027-02-10T00:00:00.000Z');

        // Act
        await aggregator.processBatch([message('m2', [rec('api_calls', 8_000, '2027-02-10T00:00:00.000Z')], { receivedAt: '2027-02-10T00:00:00.000Z' })]);

        // Assess
        expect(alertsOf(events).map((d) => [d.period_start, d.threshold_percent])).toEqual([
          [JAN, 80],
          [FEB, 80],
        ]);
      });

      it('announces an alert that fired but was not announced (a crash in between) with its first firing time', async () => {
        // Prepare
        const { aggregator, events, usage } = setup();
        const firedAt = '2027-01-14T08:00:00.000Z';
        // The alert fired at 8,000 calls yesterday; the crash lost its announcement.
        usage.seed(TENANT, JAN, '2027-01-14', { counters: { api_calls: 8_000n } });
        usage.seedAlert(TENANT, JAN, 'api_calls', 80, firedAt);

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', 1)])]);

        // Assess
        expect(events.events(TENANT, 'usage.threshold_reached').map((e) => e.occurred_at)).toEqual([firedAt]);
        expect((await usage.alerts(TENANT, JAN)).get('api_calls#80')).toEqual({ firedAt, notified: true });
      });

      it('does not announce without a plan (usage outside any subscription)', async () => {
        // Prepare
        const { aggregator, events } = setup({ timeline: [] });

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', 50_000)])]);

        // Assess
        expect(alertsOf(events)).toEqual([]);
      });
    });

    describe('reading alert markers', () => {
      it('reads them only when a threshold is reached that was not seen announced, and still announces each once', async () => {
        // Prepare
        const { aggregator, usage, events } = setup();
        const reads = vi.spyOn(usage, 'alerts');

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', 1_000)])]);
        const belowThresholds = reads.mock.calls.length;
        await aggregator.processBatch([message('m2', [rec('api_calls', 7_500)])]);
        const crossing80 = reads.mock.calls.length;
        await aggregator.processBatch([message('m3', [rec('api_calls', 500)])]);
        const between = reads.mock.calls.length;

        // Assess
        expect([belowThresholds, crossing80, between]).toEqual([0, 1, 1]);
        expect(events.events(TENANT, 'usage.threshold_reached').map((e) => e.data.threshold_percent)).toEqual([80]);
      });
    });

    describe("the overage run's index (only periods that may bill)", () => {
      const marked = (usage: InMemoryUsageStore) => usage.markedMayBill.map((m) => `${m.tenantId} ${m.start}`);

      it('puts a period on it once its usage passes a quota, not at the quota, and only once', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        await aggregator.processBatch([message('m1', [rec('api_calls', STARTER_API_CALLS)])]);
        expect(marked(usage)).toEqual([]);

        // Act
        await aggregator.processBatch([message('m2', [rec('api_calls', 1)])]);
        await aggregator.processBatch([message('m3', [rec('api_calls', 500), rec('users', STARTER_USERS + 3)])]);

        // Assess
        expect(marked(usage)).toEqual([`${TENANT} ${JAN}`]);
        expect(await usage.getPeriod(TENANT, JAN)).toMatchObject({ status: 'open', may_bill: true });
      });

      it('counts storage per started GB, as it is billed', async () => {
        // Prepare
        const { aggregator, usage } = setup();

        // Act
        await aggregator.processBatch([message('m1', [rec('storage_gb', 5)])]);
        const atQuota = marked(usage);
        await aggregator.processBatch([message('m2', [rec('storage_gb', 5.01)])]);

        // Assess
        expect(atQuota).toEqual([]);
        expect(marked(usage)).toEqual([`${TENANT} ${JAN}`]);
      });

      it('judges the period by all of its usage read after the commit, also what other consumers committed', async () => {
        // Prepare: another consumer's 6,000 calls committed; this batch's 5,000 alone are under the quota.
        const { aggregator, usage } = setup();
        await usage.ensurePeriod({ tenant_id: TENANT, start: JAN, end: FEB, trial: false, plan_id: 'starter', currency: 'usd' });
        usage.seed(TENANT, JAN, '2027-01-10', { counters: { api_calls: 6_000n } });

        // Act
        await aggregator.processBatch([message('m1', [rec('api_calls', 5_000)])]);

        // Assess
        expect(marked(usage)).toEqual([`${TENANT} ${JAN}`]);
      });

      it('never puts a trial period or usage without a subscription on it', async () => {
        // Prepare
        const trial = setup({ timeline: [{ ...starter, trial_end: FEB }] });
        const none = setup({ timeline: [] });

        // Act
        await trial.aggregator.processBatch([message('m1', [rec('api_calls', 50_000)])]);
        await none.aggregator.processBatch([message('m1', [rec('api_calls', 50_000)])]);

        // Assess
        expect(marked(trial.usage)).toEqual([]);
        expect(marked(none.usage)).toEqual([]);
      });

      it('puts it there when the messages come back after an invocation died between its commit and the mark', async () => {
        // Prepare
        const { aggregator, usage } = setup();
        const mark = usage.markMayBill.bind(usage);
        let dies = true;
        usage.markMayBill = async (tenantId, start) => {
          if (dies) {
            dies = false;
            throw new Error('the invocation timed out');
          }
          return mark(tenantId, start);
        };
        const batch = [message('m1', [rec('api_calls', STARTER_API_CALLS + 10)])];
        expect(await aggregator.processBatch(batch)).toEqual(['m1']);
        expect(marked(usage)).toEqual([]);

        // Act: SQS delivers it again; it was counted.
        const failed = await aggregator.processBatch(batch);

        // Assess
        expect(failed).toEqual([]);
        expect((await totalOf(usage, JAN)).counters.api_calls).toBe(BigInt(STARTER_API_CALLS + 10));
        expect(marked(usage)).toEqual([`${TENANT} ${JAN}`]);
      });
    });
  });
});
