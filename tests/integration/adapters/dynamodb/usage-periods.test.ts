import { beforeAll, describe, expect, it } from 'vitest';
import { emptyTally } from '../../../../src/domain/metering';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { PeriodRepository } from '../../../../src/adapters/dynamodb/periods';
import { UsageRepository } from '../../../../src/adapters/dynamodb/usage';
import { freshTable } from '../../../support/table';

const PERIOD = '2027-03-10T00:00:00.000Z';

let table: TableRef;
let usage: UsageRepository;
let periods: PeriodRepository;

beforeAll(async () => {
  table = await freshTable();
  usage = new UsageRepository(table);
  periods = new PeriodRepository(table);
});

const commitCalls = (tenantId: string, dedupId: string, date: string, calls: bigint) =>
  usage.commit({
    tenantId,
    dedupIds: [dedupId],
    recordKeys: [],
    buckets: [{ periodStart: PERIOD, date, delta: { ...emptyTally(), counters: { api_calls: calls } }, storedPeaks: {} }],
    openPeriods: [],
  });

describe('a period closed early by a change', () => {
  it('refuses every later usage commit into it, on a day that had usage and on one that had none, and bills only what came before', async () => {
    expect(await commitCalls('org-seal', 'before', '2027-03-12', 100n)).toEqual({ kind: 'committed' });
    await usage.sealBuckets('org-seal', PERIOD, '2027-03-10', '2027-04-10');

    expect((await commitCalls('org-seal', 'after-1', '2027-03-12', 5n)).kind).toBe('retry');
    expect((await commitCalls('org-seal', 'after-2', '2027-03-20', 5n)).kind).toBe('retry');
    expect((await usage.periodTally('org-seal', PERIOD)).total.counters).toEqual({ api_calls: 100n });
    // Another tenant's buckets of the same dates are not touched.
    expect(await commitCalls('org-other', 'other', '2027-03-12', 7n)).toEqual({ kind: 'committed' });
  });

  it('ends the period at the change and closes it to records; a retried close changes nothing', async () => {
    await usage.ensurePeriod({ tenant_id: 'org-close', start: PERIOD, end: '2027-04-10T00:00:00.000Z', trial: false, plan_id: 'starter', currency: 'usd' });
    const at = new Date('2027-03-20T12:00:00.000Z');
    const closed = await periods.closeEarly({ tenant_id: 'org-close', start: PERIOD, trial: false, plan_id: 'starter', currency: 'usd' }, at);
    expect(closed).toMatchObject({ end: at.toISOString(), status: 'closing' });
    const again = await periods.closeEarly({ tenant_id: 'org-close', start: PERIOD, trial: false, plan_id: 'starter', currency: 'usd' }, new Date('2027-03-21T00:00:00.000Z'));
    expect(again).toMatchObject({ end: at.toISOString(), status: 'closing' });
  });

  it('closes a trial period as billed (nothing to bill) and shortens only open periods', async () => {
    const trial = await periods.closeEarly({ tenant_id: 'org-trial', start: PERIOD, trial: true, plan_id: 'starter', currency: 'usd' }, new Date('2027-03-15T00:00:00.000Z'));
    expect(trial.status).toBe('billed');
    await usage.ensurePeriod({ tenant_id: 'org-short', start: PERIOD, end: '2027-04-10T00:00:00.000Z', trial: false, plan_id: 'starter', currency: 'usd' });
    await periods.shorten('org-short', PERIOD, new Date('2027-03-25T00:00:00.000Z'));
    await periods.shorten('org-short', PERIOD, new Date('2027-03-30T00:00:00.000Z'));
    expect((await usage.getPeriod('org-short', PERIOD))?.end).toBe('2027-03-25T00:00:00.000Z');
  });
});
