import { describe, expect, it } from 'vitest';
import { emptyTally, type Tally } from '../../../../src/domain/metering';
import { jsonResponse } from '../../../../src/http/error-response';
import type { UsageStore } from '../../../../src/app/ports/usage';
import { UsageReports } from '../../../../src/app/usage/reports';

const NOW = new Date('2027-01-15T12:00:00Z');

/** Reports over a repository that holds one period total. */
const reportsOver = (total: Tally) => {
  const usage = { periodTally: async () => ({ total, days: new Map<string, Tally>() }), getPeriod: async () => null } as unknown as UsageStore;
  return new UsageReports(usage, async () => ({ timeline: [], currency: 'usd' }), { now: () => NOW });
};

describe('UsageReports', () => {
  describe('current', () => {
    it('answers 10 x 1,000 records of one billion API calls as exactly 10,000,000,000,000 in the JSON body', async () => {
      const reports = reportsOver({ ...emptyTally(), counters: { api_calls: 10_000_000_000_000n } });
      const body = jsonResponse(200, await reports.current('org-big')).body ?? '';
      expect(body).toContain('"api_calls":{"quantity":10000000000000,');
    });

    it('prints a total past 2^53 with every digit, late quantity included', async () => {
      const reports = reportsOver({ ...emptyTally(), counters: { alerts: 9_007_199_254_740_993n }, late: { alerts: 9_007_199_254_740_993n } });
      const current = await reports.current('org-big');
      expect(current.usage.alerts).toMatchObject({ quantity: 9_007_199_254_740_993n, late_quantity: 9_007_199_254_740_993n });
      const body = jsonResponse(200, current).body ?? '';
      expect(body).toContain('"quantity":9007199254740993');
      expect(body).toContain('"late_quantity":9007199254740993');
    });
  });
});
