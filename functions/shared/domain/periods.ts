/**
 * Usage periods (SPEC section 3 and 5): monthly plans bill usage per billing period; annual
 * plans per monthly sub-period from the billing anchor; a trial is its own, never billed,
 * period. Months step like Stripe's: from the anchor's day of month, clamped to a short
 * month's last day (anchor Jan 31 -> Feb 28 -> Mar 31).
 */
export interface Period {
  readonly start: Date;
  readonly end: Date;
  /** Usage in a trial period is tracked and shown, never billed. */
  readonly trial: boolean;
}

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/** `anchor` plus `months` calendar months, keeping the anchor's day and time where it can. */
export const addMonths = (anchor: Date, months: number): Date => {
  const total = anchor.getUTCMonth() + months;
  const year = anchor.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
  return new Date(
    Date.UTC(year, month, day, anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds()),
  );
};

/** The monthly period, stepped from `anchor`, that contains `at`. */
export const monthlyPeriodContaining = (anchor: Date, at: Date): { start: Date; end: Date } => {
  const approx = (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  for (let k = approx - 1; k <= approx + 1; k += 1) {
    const start = addMonths(anchor, k);
    const end = addMonths(anchor, k + 1);
    if (start.getTime() <= at.getTime() && at.getTime() < end.getTime()) return { start, end };
  }
  throw new Error(`no monthly period from ${anchor.toISOString()} contains ${at.toISOString()}`);
};

/** What the period arithmetic needs to know about a subscription. */
export interface PeriodBasis {
  readonly created_at: string;
  readonly trial_end: string | null;
  /** Stripe's billing cycle anchor: periods step from it. */
  readonly billing_cycle_anchor: string;
}

/**
 * The usage period containing `at`: the trial while it lasts, else the monthly step from the
 * billing anchor. A tenant without a subscription gets calendar months (tracked, not billed).
 */
export const usagePeriodAt = (basis: PeriodBasis | null, at: Date): Period => {
  if (!basis) {
    const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
    return { start, end: addMonths(start, 1), trial: false };
  }
  if (basis.trial_end && at.getTime() < Date.parse(basis.trial_end)) {
    const start = new Date(Math.min(Date.parse(basis.created_at), at.getTime()));
    return { start, end: new Date(basis.trial_end), trial: true };
  }
  return { ...monthlyPeriodContaining(new Date(basis.billing_cycle_anchor), at), trial: false };
};

/** The period right after `period`, for usage that arrives once `period` is billed. */
export const nextPeriod = (basis: PeriodBasis | null, period: Period): Period => usagePeriodAt(basis, period.end);

/** The UTC calendar date of an instant, `yyyy-mm-dd`. */
export const utcDate = (at: Date): string => at.toISOString().slice(0, 10);
