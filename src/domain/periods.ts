/**
 * Month arithmetic of usage periods (SPEC section 3 and 5; the periods themselves come from
 * the plan timeline, `timeline.ts`). Months step like Stripe's: from the anchor's day of month,
 * clamped to a short month's last day (anchor Jan 31 -> Feb 28 -> Mar 31).
 */

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

/** The UTC calendar date of an instant, `yyyy-mm-dd`. */
export const utcDate = (at: Date): string => at.toISOString().slice(0, 10);
