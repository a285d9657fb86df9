import type { PeriodStore, StoredPeriod } from '../../../src/app/ports/periods';

const key = (tenantId: string, start: string): string => `${tenantId}/${start}`;

/** Billed by the overage run: a paid period with a plan. */
const billable = (p: Pick<StoredPeriod, 'trial' | 'plan_id'>): boolean => !p.trial && p.plan_id !== null;

/**
 * Usage periods in memory. `closeEarly` ends a period at an instant and closes it (`closing`
 * when billable, else `billed`), creating it closed when absent and leaving a period that is
 * already closing or billed as it is; `shorten` only moves an open period's end earlier.
 */
export class InMemoryPeriodStore implements PeriodStore {
  readonly items = new Map<string, StoredPeriod>();
  /** Every `shorten` call, as made. */
  readonly shortened: { readonly tenantId: string; readonly start: string; readonly at: Date }[] = [];

  async closeEarly(period: Omit<StoredPeriod, 'status' | 'end'>, at: Date): Promise<StoredPeriod> {
    const stored = this.items.get(key(period.tenant_id, period.start));
    if (!stored || stored.status === 'open') {
      const closed: StoredPeriod = {
        ...(stored ?? period),
        end: at.toISOString(),
        status: billable(stored ?? period) ? 'closing' : 'billed',
      };
      this.items.set(key(period.tenant_id, period.start), closed);
      return closed;
    }
    return stored;
  }

  async shorten(tenantId: string, start: string, at: Date): Promise<void> {
    this.shortened.push({ tenantId, start, at });
    const stored = this.items.get(key(tenantId, start));
    const end = at.toISOString();
    if (!stored || stored.status !== 'open' || stored.end <= end) return;
    this.items.set(key(tenantId, start), { ...stored, end });
  }

  /** Test set-up: stores a period (open unless said otherwise). */
  seed(period: Omit<StoredPeriod, 'status'> & { status?: StoredPeriod['status'] }): StoredPeriod {
    const stored: StoredPeriod = { ...period, status: period.status ?? 'open' };
    this.items.set(key(period.tenant_id, period.start), stored);
    return stored;
  }

  get(tenantId: string, start: string): StoredPeriod | null {
    return this.items.get(key(tenantId, start)) ?? null;
  }
}
