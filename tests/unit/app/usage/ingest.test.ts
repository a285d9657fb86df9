import { describe, expect, it } from 'vitest';
import { ServiceUnavailable } from '../../../../src/app/errors';
import { EventPublisher } from '../../../../src/app/events/publisher';
import { UsageAggregator } from '../../../../src/app/usage/aggregator';
import { UsageIngest } from '../../../../src/app/usage/ingest';
import { usageMessageSchema, type UsageMessage } from '../../../../src/app/usage/message';
import type { UsageRecord } from '../../../../src/domain/metering';
import type { PlanSegment } from '../../../../src/domain/timeline';
import { InMemoryBillingEventStore } from '../../../support/fakes/billing-events';
import { SettableClock } from '../../../support/fakes/clock';
import { InMemoryMessageQueue } from '../../../support/fakes/queue';
import { InMemoryUsageStore } from '../../../support/fakes/usage';

/** SPEC section 3: SQS takes at most 1 MiB per message (the stack raises the queue's maximum to it). */
const SQS_MAX_MESSAGE_BYTES = 1_048_576;
/** SPEC section 3: a request holds up to 1,000 records. */
const MAX_RECORDS_PER_REQUEST = 1_000;

const NOW = '2027-01-15T12:00:00.000Z';
const TENANT = 'org-ingest';

const record = (i: number, extra: Partial<UsageRecord> = {}): UsageRecord => ({
  resource_type: 'api_calls',
  usage_amount: i + 1,
  timestamp: '2027-01-15T11:00:00.000Z',
  ...extra,
});

/** An idempotency key of the longest length the API accepts (128 visible ASCII characters). */
const longKey = (i: number): string => `key-${i}-`.padEnd(128, 'x');

const setup = () => {
  const clock = new SettableClock(NOW);
  const queue = new InMemoryMessageQueue({ maxMessageBytes: SQS_MAX_MESSAGE_BYTES });
  return { clock, queue, ingest: new UsageIngest(queue, clock) };
};

const sentMessages = (queue: InMemoryMessageQueue): UsageMessage[] => queue.messages.map((m) => usageMessageSchema.parse(JSON.parse(m.body)));

describe('UsageIngest', () => {
  describe('track', () => {
    it('answers how many records it accepted', async () => {
      // Prepare
      const { ingest } = setup();

      // Act
      const accepted = await ingest.track(TENANT, [record(0), record(1), record(2)], null);

      // Assess
      expect(accepted).toBe(3);
    });

    it('puts a request of 1,000 records with the longest idempotency keys in one message', async () => {
      // Prepare
      const { ingest, queue } = setup();
      const records = Array.from({ length: MAX_RECORDS_PER_REQUEST }, (_, i) => record(i, { idempotency_key: longKey(i) }));

      // Act
      await ingest.track(TENANT, records, null);

      // Assess
      expect(queue.calls).toHaveLength(1);
      expect(queue.messages).toHaveLength(1);
      expect(sentMessages(queue)[0]?.records).toHaveLength(MAX_RECORDS_PER_REQUEST);
    });

    it('packs more records than one message holds into as few messages as 1 MiB allows, each within it', async () => {
      // Prepare
      const { ingest, queue } = setup();
      const records = Array.from({ length: 12_000 }, (_, i) => record(i, { idempotency_key: longKey(i) }));

      // Act
      await ingest.track(TENANT, records, null);

      // Assess
      const sizes = queue.messages.map((m) => Buffer.byteLength(m.body, 'utf8'));
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(2 * SQS_MAX_MESSAGE_BYTES);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
      expect(queue.messages).toHaveLength(Math.ceil(total / SQS_MAX_MESSAGE_BYTES));
    });

    it('hands every message of a request to the queue in one call, with ids unique in it', async () => {
      // Prepare
      const { ingest, queue } = setup();
      const records = Array.from({ length: 12_000 }, (_, i) => record(i, { idempotency_key: longKey(i) }));

      // Act
      await ingest.track(TENANT, records, null);

      // Assess
      expect(queue.calls).toHaveLength(1);
      const ids = queue.messages.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('keeps every record exactly once and in order across the messages', async () => {
      // Prepare
      const { ingest, queue } = setup();
      const records = Array.from({ length: 12_000 }, (_, i) => record(i, { idempotency_key: longKey(i) }));

      // Act
      await ingest.track(TENANT, records, null);

      // Assess
      const amounts = sentMessages(queue).flatMap((m) => m.records.map((r) => r.q));
      expect(amounts).toEqual(records.map((r) => r.usage_amount));
    });

    it('carries each record\'s resource, amount, timestamp and idempotency key in a message the aggregator accepts', async () => {
      // Prepare
      const { ingest, queue } = setup();
      const records: UsageRecord[] = [
        { resource_type: 'storage_gb', usage_amount: 5.25, timestamp: '2027-01-15T10:00:00.000Z' },
        { resource_type: 'alerts', usage_amount: 3, timestamp: '2027-01-15T11:00:00.000Z', idempotency_key: 'alert-batch-7' },
      ];

      // Act
      await ingest.track(TENANT, records, null);

      // Assess
      const [message] = sentMessages(queue);
      expect(message?.records).toEqual([
        { r: 'storage_gb', q: 5.25, t: '2027-01-15T10:00:00.000Z' },
        { r: 'alerts', q: 3, t: '2027-01-15T11:00:00.000Z', k: 'alert-batch-7' },
      ]);
    });

    it('stamps every message with the tenant and the time the request was received', async () => {
      // Prepare
      const { ingest, queue } = setup();
      const records = Array.from({ length: 12_000 }, (_, i) => record(i, { idempotency_key: longKey(i) }));

      // Act
      await ingest.track(TENANT, records, null);

      // Assess
      for (const message of sentMessages(queue)) expect(message).toMatchObject({ tenant_id: TENANT, received_at: NOW });
    });

    it('sends nothing for no records', async () => {
      // Prepare
      const { ingest, queue } = setup();

      // Act
      const accepted = await ingest.track(TENANT, [], null);

      // Assess
      expect(accepted).toBe(0);
      expect(queue.messages).toEqual([]);
    });

    describe('with an Idempotency-Key', () => {
      it('gives a client retry of the same request the same dedup ids', async () => {
        // Prepare
        const { ingest, queue } = setup();
        const records = Array.from({ length: 12_000 }, (_, i) => record(i, { idempotency_key: longKey(i) }));
        await ingest.track(TENANT, records, 'retry-me');
        const first = sentMessages(queue).map((m) => m.dedup_id);
        queue.clear();

        // Act
        await ingest.track(TENANT, records, 'retry-me');

        // Assess
        expect(sentMessages(queue).map((m) => m.dedup_id)).toEqual(first);
      });

      it('gives each message of one request its own dedup id', async () => {
        // Prepare
        const { ingest, queue } = setup();
        const records = Array.from({ length: 12_000 }, (_, i) => record(i, { idempotency_key: longKey(i) }));

        // Act
        await ingest.track(TENANT, records, 'many-messages');

        // Assess
        const ids = sentMessages(queue).map((m) => m.dedup_id);
        expect(ids.length).toBeGreaterThan(1);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('gives two tenants using the same key different dedup ids', async () => {
        // Prepare
        const { ingest, queue } = setup();

        // Act
        await ingest.track('org-a', [record(0)], 'same-key');
        await ingest.track('org-b', [record(0)], 'same-key');

        // Assess
        const [a, b] = sentMessages(queue);
        expect(a?.dedup_id).not.toBe(b?.dedup_id);
      });

      it('does not put the key itself in the message', async () => {
        // Prepare
        const { ingest, queue } = setup();

        // Act
        await ingest.track(TENANT, [record(0)], 'secret-looking-key');

        // Assess
        expect(queue.messages[0]?.body).not.toContain('secret-looking-key');
      });

      it('makes a client retry of the whole request count once downstream', async () => {
        // Prepare
        const { ingest, queue, clock } = setup();
        const usage = new InMemoryUsageStore();
        const start = '2027-01-01T00:00:00.000Z';
        const starter: PlanSegment = { start, end: null, subscription_id: 'sub_1', plan_id: 'starter', billing_cycle: 'monthly', currency: 'usd', anchor: start, trial_end: null };
        const aggregator = new UsageAggregator({
          usage,
          publisher: new EventPublisher(new InMemoryBillingEventStore(), null),
          entitlements: { announce: async () => undefined },
          basisOf: async () => ({ timeline: [starter], currency: 'usd' }),
          clock,
        });
        const records = [record(0, { usage_amount: 40 }), record(1, { usage_amount: 2 })];
        await ingest.track(TENANT, records, 'client-retry');
        clock.advance(30_000);
        await ingest.track(TENANT, records, 'client-retry');

        // Act
        const failed = await aggregator.processBatch(queue.messages.map((m, i) => ({ messageId: `sqs-${i}`, body: m.body })));

        // Assess
        expect(failed).toEqual([]);
        expect((await usage.periodTally(TENANT, start)).total.counters.api_calls).toBe(42n);
      });
    });

    describe('without an Idempotency-Key', () => {
      it('counts two identical requests as two', async () => {
        // Prepare
        const { ingest, queue } = setup();

        // Act
        await ingest.track(TENANT, [record(0)], null);
        await ingest.track(TENANT, [record(0)], null);

        // Assess
        const [a, b] = sentMessages(queue);
        expect(a?.dedup_id).not.toBe(b?.dedup_id);
      });
    });

    describe('refusals', () => {
      it('fails, accepting nothing, when the queue does not take the messages', async () => {
        // Prepare
        const { ingest, queue } = setup();
        const refusal = new ServiceUnavailable('The usage queue did not accept every record; retry with the same Idempotency-Key');
        queue.failNext(refusal);

        // Act
        const tracking = ingest.track(TENANT, [record(0)], 'k');

        // Assess
        await expect(tracking).rejects.toBe(refusal);
        expect(queue.messages).toEqual([]);
      });

      it('refuses, sending nothing, a record that would not fit in one message', async () => {
        // Prepare
        const { ingest, queue } = setup();
        const huge = record(1, { idempotency_key: 'k'.repeat(SQS_MAX_MESSAGE_BYTES) });

        // Act
        const tracking = ingest.track(TENANT, [record(0), huge], null);

        // Assess
        await expect(tracking).rejects.toThrow(RangeError);
        expect(queue.messages).toEqual([]);
      });
    });
  });
});
