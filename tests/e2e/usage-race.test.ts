import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRepository } from '../../src/adapters/dynamodb/usage';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * Two usage consumers (Lambda's scaled-out pollers) crossing the same alert thresholds at once.
 * Not left to the scheduler: a barrier holds each consumer right after it has read the tenant's
 * alert markers (the read its "not announced yet" decision rests on), so both have read before
 * either writes, every run. Then the first goes on, and the second a simulated second later, with
 * what it read before the first wrote: only the conditional write of the alert marker
 * (`UsageRepository.markAlert`) stands between it and a second announcement of each threshold.
 *
 * Its own stack with the usage queue's real settings: a consumer held at the barrier must not be
 * timed out or see its message redelivered (usage.test.ts shortens both to a couple of seconds).
 */
const TENANT = 'org-race';

let api: TestApi;
let finishedInvocations = 0;

beforeAll(async () => {
  api = await startTestApi({
    start: new Date('2027-09-01T00:00:00Z'),
    usageConsumers: 2,
    wrapUsageConsumer: (handler) => async (event, context) => {
      try {
        return await handler(event, context);
      } finally {
        finishedInvocations += 1;
      }
    },
  });
});
afterAll(async () => api.stack.stop());

/** Resolves once `check` holds; the generous timeout only turns a hang into a failure saying what never happened. */
const eventually = async (what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

type Markers = Awaited<ReturnType<UsageRepository['alerts']>>;

interface HeldRead {
  /** What the consumer read: the alert markers it will decide on. */
  readonly markers: Markers;
  release(): void;
}

/**
 * A test-only wrapper around the usage store (the port the aggregator reads alert markers
 * through): the next `count` reads of `tenantId`'s markers are held, once read, until released.
 */
const holdAlertReads = (tenantId: string, count: number) => {
  const original = UsageRepository.prototype.alerts;
  const held: HeldRead[] = [];
  let left = count;
  UsageRepository.prototype.alerts = async function alerts(this: UsageRepository, tenant: string, periodStart: string): Promise<Markers> {
    const markers = await original.call(this, tenant, periodStart);
    if (tenant !== tenantId || left === 0) return markers;
    left -= 1;
    await new Promise<void>((resolve) => held.push({ markers, release: resolve }));
    return markers;
  };
  return {
    /** The `n`th held read (1-based), once a consumer has made it. */
    arrival: async (n: number): Promise<HeldRead> => {
      await eventually(`consumer read #${n} of the alert markers`, () => held.length >= n);
      return held[n - 1] as HeldRead;
    },
    restore: () => {
      UsageRepository.prototype.alerts = original;
      for (const read of held) read.release();
    },
  };
};

const track = (token: string, body: unknown) => api.call('/usage/track', { method: 'POST', token, json: body });

describe('usage alerts under racing consumers', () => {
  it('fires each threshold once when two consumers cross it at the same time', async () => {
    const token = (await api.subscribe(TENANT)).token;
    const startedWith = finishedInvocations;
    const race = holdAlertReads(TENANT, 2);
    let firstAt = '';
    try {
      // Starter includes 1,000 alerts. Consumer X counts 1,000 (80% and 100% crossed) and reads no marker.
      expect((await track(token, { resource_type: 'alerts', usage_amount: 1_000 })).status).toBe(202);
      const x = await race.arrival(1);
      // X is held inside its invocation, so its poller cannot take the next message: the other
      // consumer, Y, does. At 1,100 it crosses both thresholds too, and reads no marker either.
      expect((await track(token, { resource_type: 'alerts', usage_amount: 100 })).status).toBe(202);
      const y = await race.arrival(2);
      expect([...x.markers.keys()]).toEqual([]);
      expect([...y.markers.keys()]).toEqual([]);

      // Both are past their read, neither has written. X goes first and announces both thresholds now.
      firstAt = api.stack.clock.now().toISOString();
      x.release();
      await eventually("X's invocation to finish", () => finishedInvocations >= startedWith + 1);
      // Y goes on a (simulated) second later, deciding on what it read before X wrote.
      await api.stack.clock.advanceTo(new Date(Date.parse(firstAt) + 1_000));
      y.release();
      await eventually("Y's invocation to finish", () => finishedInvocations >= startedWith + 2);
      await api.stack.settle();
    } finally {
      race.restore();
    }

    const usage = (await (await api.call('/usage/current', { token })).json()) as { usage: { alerts: { quantity: number } } };
    expect(usage.usage.alerts.quantity).toBe(1_100);
    const res = await api.call('/events?type=usage.threshold_reached&limit=100', { token });
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as { events: { id: string; occurred_at: string; data: { threshold_percent: number } }[] };
    // Once each, at the time the first consumer marked it.
    expect(events.map((e) => [e.data.threshold_percent, e.occurred_at]).sort()).toEqual([
      [100, firstAt],
      [80, firstAt],
    ]);
  }, 60_000);
});

describe('the entitlement item under racing consumers', () => {
  it('ends with the same period totals as the buckets: counters summed, gauge peaks the highest', async () => {
    const tenant = 'org-race-entitlements';
    const token = (await api.subscribe(tenant)).token;
    // 40 requests at once, each its own message, spread over both consumers; levels go up and down.
    const levels = Array.from({ length: 40 }, (_, i) => (i * 37) % 23);
    const answers = await Promise.all(
      levels.map((level, i) =>
        track(token, {
          records: [
            { resource_type: 'devices', usage_amount: level },
            { resource_type: 'storage_gb', usage_amount: level / 4 },
            { resource_type: 'api_calls', usage_amount: i + 1 },
          ],
        }),
      ),
    );
    expect(answers.every((r) => r.status === 202)).toBe(true);
    await api.stack.settle();

    const entitlements = (await (await api.call('/entitlements', { token })).json()) as { usage: Record<string, number> };
    const current = (await (await api.call('/usage/current', { token })).json()) as { usage: Record<string, { quantity: number }> };
    // Hand-computed: the highest level of 40 is 22; 1 + 2 + ... + 40 = 820 calls.
    expect(Math.max(...levels)).toBe(22);
    expect(entitlements.usage).toMatchObject({ devices: 22, storage_gb: 5.5, api_calls: 820 });
    for (const r of ['devices', 'storage_gb', 'api_calls', 'users', 'alerts']) expect(entitlements.usage[r]).toBe(current.usage[r]?.quantity);
  }, 60_000);
});
