import { beforeAll, describe, expect, it } from 'vitest';
import { emptyTally } from '../../../../src/domain/metering';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { PeriodRepository } from '../../../../src/adapters/dynamodb/periods';
import { OverageRepository } from '../../../../src/adapters/dynamodb/overages';
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

describe("the overage run's index (issue 20: only periods that may bill)", () => {
  const END = '2027-04-10T00:00:00.000Z';
  const AFTER = new Date('2027-05-01T00:00:00.000Z');
  const dueTenants = async (): Promise<string[]> => (await new OverageRepository(table).duePeriods(AFTER, Number.MAX_SAFE_INTEGER)).map((p) => p.tenant_id);
  const ensure = (tenantId: string) => usage.ensurePeriod({ tenant_id: tenantId, start: PERIOD, end: END, trial: false, plan_id: 'starter', currency: 'usd' });

  it('creates a period off the index; markMayBill puts it there once, at its end', async () => {
    expect(await ensure('org-idx-a')).toMatchObject({ status: 'open', may_bill: false });
    expect(await dueTenants()).not.toContain('org-idx-a');
    await usage.markMayBill('org-idx-a', PERIOD);
    await usage.markMayBill('org-idx-a', PERIOD);
    expect(await usage.getPeriod('org-idx-a', PERIOD)).toMatchObject({ status: 'open', may_bill: true, end: END });
    expect((await dueTenants()).filter((t) => t === 'org-idx-a')).toHaveLength(1);
    const due = await new OverageRepository(table).duePeriods(new Date(END), Number.MAX_SAFE_INTEGER);
    expect(due.map((p) => p.tenant_id)).not.toContain('org-idx-a');
  });

  it('follows a boundary Stripe moved before or after the mark', async () => {
    await ensure('org-idx-b');
    await periods.shorten('org-idx-b', PERIOD, new Date('2027-03-25T00:00:00.000Z'));
    await usage.markMayBill('org-idx-b', PERIOD);
    const early = await new OverageRepository(table).duePeriods(new Date('2027-03-26T00:00:00.000Z'), Number.MAX_SAFE_INTEGER);
    expect(early.find((p) => p.tenant_id === 'org-idx-b')).toMatchObject({ end: '2027-03-25T00:00:00.000Z' });
    await periods.shorten('org-idx-b', PERIOD, new Date('2027-03-20T00:00:00.000Z'));
    const earlier = await new OverageRepository(table).duePeriods(new Date('2027-03-21T00:00:00.000Z'), Number.MAX_SAFE_INTEGER);
    expect(earlier.find((p) => p.tenant_id === 'org-idx-b')).toMatchObject({ end: '2027-03-20T00:00:00.000Z' });
  });

  it('leaves a closing or billed period alone, and a change puts an unmarked period on the index when it closes it', async () => {
    await ensure('org-idx-c');
    await periods.closeEarly({ tenant_id: 'org-idx-c', start: PERIOD, trial: false, plan_id: 'starter', currency: 'usd' }, new Date('2027-03-20T00:00:00.000Z'));
    expect(await usage.getPeriod('org-idx-c', PERIOD)).toMatchObject({ status: 'closing', may_bill: true });
    expect(await dueTenants()).toContain('org-idx-c');
    const overages = new OverageRepository(table);
    await overages.claim('org-idx-c', PERIOD);
    await overages.markBilled('org-idx-c', PERIOD, new Date('2027-03-21T00:00:00.000Z'));
    await usage.markMayBill('org-idx-c', PERIOD);
    expect(await usage.getPeriod('org-idx-c', PERIOD)).toMatchObject({ status: 'billed', may_bill: false });
    expect(await dueTenants()).not.toContain('org-idx-c');
  });
});
