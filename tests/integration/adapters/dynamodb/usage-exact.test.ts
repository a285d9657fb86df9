import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyTally, type Tally } from '../../../../src/domain/metering';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { statsCounter, statsKeys, usageAttr, usageBucketKey } from '../../../../src/adapters/dynamodb/keys';
import { OverageRepository } from '../../../../src/adapters/dynamodb/overages';
import type { BilledLine } from '../../../../src/app/ports/overages';
import { UsageRepository } from '../../../../src/adapters/dynamodb/usage';
import { freshTable } from '../../../support/table';

const TWO_53 = 2n ** 53n;
const PERIOD = '2027-01-01T00:00:00.000Z';

let table: TableRef;
let usage: UsageRepository;
let overages: OverageRepository;

beforeAll(async () => {
  table = await freshTable();
  usage = new UsageRepository(table);
  overages = new OverageRepository(table);
});

const counters = (api_calls: bigint, late?: bigint): Tally => ({ ...emptyTally(), counters: { api_calls }, ...(late === undefined ? {} : { late: { api_calls: late } }) });

/** One message's commit of one bucket, through the repository's exactly-once path. */
const commit = (tenantId: string, dedupId: string, date: string, delta: Tally) =>
  usage.commit({ tenantId, dedupIds: [dedupId], recordKeys: [], buckets: [{ periodStart: PERIOD, date, delta, storedPeaks: {} }], openPeriods: [] });

describe('UsageRepository', () => {
  describe('commit and periodTally', () => {
    it('reads back a counter total of 2^53 + 1 exactly', async () => {
      expect(await commit('org-exact', 'msg-1', '2027-01-05', counters(TWO_53 - 7n))).toEqual({ kind: 'committed' });
      expect(await commit('org-exact', 'msg-2', '2027-01-05', counters(8n, 8n))).toEqual({ kind: 'committed' });
      const { total, days } = await usage.periodTally('org-exact', PERIOD);
      expect(total.counters.api_calls).toBe(9_007_199_254_740_993n);
      expect(total.late.api_calls).toBe(8n);
      expect(days.get('2027-01-05')?.counters.api_calls).toBe(9_007_199_254_740_993n);
    });

    it('sums buckets of several days past 2^53 exactly', async () => {
      await commit('org-days', 'msg-a', '2027-01-02', counters(TWO_53));
      await commit('org-days', 'msg-b', '2027-01-03', counters(1n));
      await commit('org-days', 'msg-c', '2027-01-04', counters(10n ** 20n));
      const { total } = await usage.periodTally('org-days', PERIOD);
      expect(total.counters.api_calls).toBe(TWO_53 + 1n + 10n ** 20n);
    });

    it('counts a message committed twice once, at full precision', async () => {
      await commit('org-dup', 'msg-x', '2027-01-06', counters(TWO_53 + 1n));
      expect(await commit('org-dup', 'msg-x', '2027-01-06', counters(TWO_53 + 1n))).toMatchObject({ kind: 'duplicates', dedupIds: ['msg-x'] });
      expect((await usage.periodTally('org-dup', PERIOD)).total.counters.api_calls).toBe(TWO_53 + 1n);
    });

    it('keeps gauge peaks as numbers, decimals included', async () => {
      await usage.commit({
        tenantId: 'org-gauge',
        dedupIds: ['msg-g'],
        recordKeys: [],
        buckets: [{ periodStart: PERIOD, date: '2027-01-07', delta: { ...emptyTally(), peaks: { storage_gb: 5.25, devices: 40 } }, storedPeaks: {} }],
        openPeriods: [],
      });
      const { total } = await usage.periodTally('org-gauge', PERIOD);
      expect(total.peaks).toEqual({ storage_gb: 5.25, devices: 40 });
    });

    it('reads counters written as plain numbers (before this change) as bigints', async () => {
      await table.client.send(
        new PutCommand({ TableName: table.tableName, Item: { ...usageBucketKey('org-old', PERIOD, '2027-01-08'), tenant_id: 'org-old', [usageAttr.counter('alerts')]: 42 } }),
      );
      expect((await usage.periodTally('org-old', PERIOD)).total.counters).toEqual({ alerts: 42n });
    });
  });

  describe('readBuckets and bucketsBetween', () => {
    it('read the same exact totals', async () => {
      const read = await usage.readBuckets('org-exact', [{ periodStart: PERIOD, date: '2027-01-05' }]);
      expect(read.get(`${PERIOD}#2027-01-05`)?.counters.api_calls).toBe(9_007_199_254_740_993n);
      const between = await usage.bucketsBetween('org-exact', PERIOD, PERIOD);
      expect(between.map((b) => b.tally.counters.api_calls)).toEqual([9_007_199_254_740_993n]);
    });
  });
});

describe('OverageRepository', () => {
  const line = (amount: bigint): BilledLine => ({
    resource: 'api_calls',
    quantity: TWO_53 + 10_001n,
    included: 10_000n,
    overage: TWO_53 + 1n,
    unit_price: 0.8,
    amount,
    currency: 'gbp',
    stripe_invoice_item_id: 'ii_1',
  });

  describe('recordLine and lines', () => {
    it('stores a line past 2^53 and reads it back exactly', async () => {
      await overages.recordLine('org-line', PERIOD, line(TWO_53 + 1n), new Date('2027-02-01T01:00:00Z'));
      expect(await overages.lines('org-line', PERIOD)).toEqual([line(TWO_53 + 1n)]);
    });

    it('adds the exact amount to the overview counter of the month', async () => {
      await overages.recordLine('org-line-2', PERIOD, line(TWO_53), new Date('2027-03-01T01:00:00Z'));
      await overages.recordLine('org-line-3', PERIOD, line(1n), new Date('2027-03-02T01:00:00Z'));
      // Each line's amount lands on one shard of the stats item; the counter is their sum, exactly.
      let sum = 0n;
      for (const key of statsKeys()) {
        const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }));
        const value: unknown = Item?.[statsCounter('overage#2027-03#gbp')];
        if (typeof value === 'bigint' || typeof value === 'number') sum += BigInt(value);
      }
      expect(sum).toBe(TWO_53 + 1n);
    });
  });
});
