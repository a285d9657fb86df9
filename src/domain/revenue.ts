/**
 * Monthly recurring revenue movements (SPEC section 7, the revenue report): how each tenant's MRR
 * contribution changed, sorted into the standard buckets per month and currency. Pure: the
 * changes come in (from the billing events), the table goes out. Amounts are integer minor units.
 */

/** One change of one tenant's MRR contribution (in one currency: a tenant's currency is fixed). */
export interface MrrChange {
  readonly tenant_id: string;
  /** ISO 8601 instant the change took effect. */
  readonly at: string;
  readonly currency: string;
  /** The tenant's MRR before and after, minor units (0: not paying). */
  readonly from: number;
  readonly to: number;
}

export interface MrrMonth {
  /** `YYYY-MM` (UTC). */
  readonly month: string;
  readonly currency: string;
  readonly starting: number;
  /** A tenant's first paying MRR. */
  readonly new: number;
  /** Paying more than before (an upgrade). */
  readonly expansion: number;
  /** Paying less, still paying (a downgrade); a positive amount. */
  readonly contraction: number;
  /** Stopped paying; a positive amount. */
  readonly churn: number;
  /** Paying again after having churned. */
  readonly reactivation: number;
  readonly ending: number;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

const monthOf = (iso: string): string => new Date(iso).toISOString().slice(0, 7);

const nextMonth = (month: string): string => {
  const [y = 0, m = 1] = month.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};

/**
 * The months `from`..`to` (inclusive, `YYYY-MM`) per currency: starting MRR, the movements, and
 * ending MRR = starting + new + expansion + reactivation - contraction - churn. A change before
 * `from` only moves the starting figure. Each change is judged against the tenant's whole past:
 * a tenant's first step from 0 is new, a later one reactivation.
 * @example
 * mrrMovements([{ tenant_id: 't', at: '2027-01-05T00:00:00Z', currency: 'usd', from: 0, to: 9900 }], '2027-01', '2027-01')
 * // [{ month: '2027-01', currency: 'usd', starting: 0, new: 9900, expansion: 0, contraction: 0, churn: 0, reactivation: 0, ending: 9900 }]
 */
export const mrrMovements = (changes: readonly MrrChange[], from: string, to: string): MrrMonth[] => {
  if (!MONTH.test(from) || !MONTH.test(to) || from > to) throw new RangeError(`months must be YYYY-MM with from <= to, got ${from}..${to}`);
  const sorted = [...changes].sort((a, b) => a.at.localeCompare(b.at) || a.tenant_id.localeCompare(b.tenant_id));
  const currencies = [...new Set(sorted.map((c) => c.currency))].sort();
  const everPaid = new Set<string>();
  const rows = new Map<string, { starting: number; new: number; expansion: number; contraction: number; churn: number; reactivation: number }>();
  const row = (month: string, currency: string) => {
    const key = `${month}|${currency}`;
    const existing = rows.get(key);
    if (existing) return existing;
    const created = { starting: 0, new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0 };
    rows.set(key, created);
    return created;
  };
  const opening = new Map<string, number>(currencies.map((c) => [c, 0]));
  for (const change of sorted) {
    if (!Number.isSafeInteger(change.from) || !Number.isSafeInteger(change.to) || change.from < 0 || change.to < 0) {
      throw new RangeError(`MRR must be a non-negative integer of minor units, got ${change.from} -> ${change.to}`);
    }
    const month = monthOf(change.at);
    const key = `${change.tenant_id}|${change.currency}`;
    const first = !everPaid.has(key);
    if (change.to > 0) everPaid.add(key);
    if (month < from) {
      opening.set(change.currency, (opening.get(change.currency) ?? 0) + change.to - change.from);
      continue;
    }
    if (month > to) continue;
    const r = row(month, change.currency);
    const delta = change.to - change.from;
    if (change.from === 0 && change.to > 0) {
      if (first) r.new += change.to;
      else r.reactivation += change.to;
    } else if (change.from > 0 && change.to === 0) r.churn += change.from;
    else if (delta > 0) r.expansion += delta;
    else if (delta < 0) r.contraction += -delta;
  }
  const out: MrrMonth[] = [];
  for (const currency of currencies) {
    let starting = opening.get(currency) ?? 0;
    for (let month = from; month <= to; month = nextMonth(month)) {
      const r = rows.get(`${month}|${currency}`) ?? { starting: 0, new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0 };
      const ending = starting + r.new + r.expansion + r.reactivation - r.contraction - r.churn;
      out.push({ month, currency, starting, new: r.new, expansion: r.expansion, contraction: r.contraction, churn: r.churn, reactivation: r.reactivation, ending });
      starting = ending;
    }
  }
  return out;
};
