/**
 * Monthly recurring revenue movements (SPEC section 7, the revenue report): how each tenant's MRR
 * contribution changed, sorted into the standard buckets per month and currency. Pure: the
 * changes come in (from the billing events), the table goes out. Amounts are integer minor units.
 */

/** The billing event types the revenue report is computed from. */
export const REVENUE_EVENT = {
  /** A tenant's MRR contribution changed: `{currency, from, to, subscription_id, plan_id, billing_cycle, status}`. */
  mrrChanged: 'mrr.changed',
  /** An invoice was finalized: `{invoice_id, number, currency, ...InvoiceRevenue}`. */
  invoiced: 'revenue.invoiced',
  /** A finalized invoice was voided: the same figures, taken off. */
  voided: 'revenue.voided',
  /** An operator's customer-balance credit: `{amount, currency}`. */
  credit: 'admin.credit_granted',
  /** An operator's refund: `{amount, currency}`. */
  refund: 'admin.refund_issued',
} as const;

export const REVENUE_EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(REVENUE_EVENT));

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

/** The line kinds of an invoice, as the mirror keeps them. */
type LineKind = 'subscription' | 'proration' | 'overage' | 'other';

/** The parts of an invoice the revenue report reads (the mirror's invoice has them all). */
export interface InvoiceFigures {
  readonly subtotal: number;
  /** After discounts, before tax. */
  readonly total_excluding_tax: number;
  readonly tax: number;
  readonly total: number;
  readonly lines: readonly { readonly kind: LineKind; readonly amount: number }[];
}

/** What one finalized invoice adds to revenue, minor units. */
export interface InvoiceRevenue {
  /** Plan lines of whole periods. */
  readonly subscription: number;
  /** Proration lines of plan changes (negative for unused time credited). */
  readonly proration: number;
  /** Overage lines: usage revenue, reported apart. */
  readonly usage: number;
  /** Everything else on the invoice (manual items). */
  readonly other: number;
  /** Discounts taken off, a positive amount. */
  readonly discount: number;
  readonly tax: number;
  /** subscription + proration + usage + other - discount + tax. */
  readonly total: number;
}

/**
 * An invoice's revenue by the kind of its lines. `other` is what the subtotal holds beyond the
 * plan, proration and overage lines, so the parts always add up to the invoice's own totals.
 * @example
 * invoiceRevenue({ subtotal: 11900, total_excluding_tax: 11900, tax: 0, total: 11900, lines: [{ kind: 'subscription', amount: 9900 }, { kind: 'overage', amount: 2000 }] })
 * // { subscription: 9900, proration: 0, usage: 2000, other: 0, discount: 0, tax: 0, total: 11900 }
 */
export const invoiceRevenue = (invoice: InvoiceFigures): InvoiceRevenue => {
  const sum = (kind: LineKind) => invoice.lines.filter((l) => l.kind === kind).reduce((s, l) => s + l.amount, 0);
  const subscription = sum('subscription');
  const proration = sum('proration');
  const usage = sum('overage');
  return {
    subscription,
    proration,
    usage,
    other: invoice.subtotal - subscription - proration - usage,
    discount: invoice.subtotal - invoice.total_excluding_tax,
    tax: invoice.tax,
    total: invoice.total,
  };
};

/** A money fact of one month, from the billing events: an invoice finalized or voided, a credit, a refund. */
export type RevenueEntry =
  | { readonly kind: 'invoiced' | 'voided'; readonly at: string; readonly currency: string; readonly revenue: InvoiceRevenue }
  | { readonly kind: 'credit' | 'refund'; readonly at: string; readonly currency: string; readonly amount: number };

export interface RevenueMonth extends InvoiceRevenue {
  readonly month: string;
  readonly currency: string;
  /** Invoices counted in the month, less those voided. */
  readonly invoices: number;
  /** Customer-balance credits granted (applied to later invoices), a positive amount. */
  readonly credits: number;
  /** Money refunded through credit notes, a positive amount. */
  readonly refunds: number;
}

const ZERO_REVENUE: InvoiceRevenue = { subscription: 0, proration: 0, usage: 0, other: 0, discount: 0, tax: 0, total: 0 };
const REVENUE_PARTS = Object.keys(ZERO_REVENUE) as (keyof InvoiceRevenue)[];

/**
 * Invoiced revenue, credits and refunds per month (`from`..`to`, `YYYY-MM`) and currency, by
 * each entry's time (the recorder dates an invoice and its void by the invoice's creation).
 */
export const revenueMonths = (entries: readonly RevenueEntry[], from: string, to: string, currencies: readonly string[]): RevenueMonth[] => {
  if (!MONTH.test(from) || !MONTH.test(to) || from > to) throw new RangeError(`months must be YYYY-MM with from <= to, got ${from}..${to}`);
  const all = [...new Set([...currencies, ...entries.map((e) => e.currency)])].sort();
  const buckets = new Map<string, { parts: Record<keyof InvoiceRevenue, number>; invoices: number; credits: number; refunds: number }>();
  for (const entry of entries) {
    const key = `${monthOf(entry.at)}|${entry.currency}`;
    const bucket = buckets.get(key) ?? { parts: { ...ZERO_REVENUE }, invoices: 0, credits: 0, refunds: 0 };
    buckets.set(key, bucket);
    if (!('revenue' in entry)) {
      if (entry.kind === 'credit') bucket.credits += entry.amount;
      else bucket.refunds += entry.amount;
    } else {
      const sign = entry.kind === 'invoiced' ? 1 : -1;
      bucket.invoices += sign;
      for (const part of REVENUE_PARTS) bucket.parts[part] += sign * entry.revenue[part];
    }
  }
  const out: RevenueMonth[] = [];
  for (const currency of all) {
    for (let month = from; month <= to; month = nextMonth(month)) {
      const bucket = buckets.get(`${month}|${currency}`);
      out.push({
        month,
        currency,
        invoices: bucket?.invoices ?? 0,
        ...(bucket?.parts ?? ZERO_REVENUE),
        credits: bucket?.credits ?? 0,
        refunds: bucket?.refunds ?? 0,
      });
    }
  }
  return out;
};

/** One month of one currency in the revenue report (SPEC section 7): MRR movements, invoiced revenue, credits, refunds. */
export interface RevenueReportMonth {
  readonly month: string;
  readonly currency: string;
  readonly mrr: Omit<MrrMonth, 'month' | 'currency'>;
  readonly invoiced: InvoiceRevenue & { readonly invoices: number };
  readonly credits: number;
  readonly refunds: number;
}

/** The months `from`..`to` as `YYYY-MM`. */
export const monthsBetween = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let month = from; month <= to; month = nextMonth(month)) out.push(month);
  return out;
};
