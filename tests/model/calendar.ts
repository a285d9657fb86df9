/** UTC calendar arithmetic for billing periods (milliseconds since the epoch). */

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const daysInMonth = (year: number, monthIndex: number): number => new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();

/**
 * The anchor moved by `months` calendar months: the anchor's day of month, clamped to the
 * target month's last day, at the anchor's time of day. Always computed from the anchor,
 * so Jan 31 -> Feb 28 -> Mar 31.
 */
export const addMonths = (anchor: number, months: number): number => {
  const a = new Date(anchor);
  const total = a.getUTCFullYear() * 12 + a.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const day = Math.min(a.getUTCDate(), daysInMonth(year, month));
  return Date.UTC(year, month, day, a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
};

/** The first boundary `addMonths(anchor, k * step)` strictly after `t` (k >= 1 when t >= anchor). */
export const nextBoundary = (anchor: number, stepMonths: number, t: number): number => {
  let k = 1;
  // Periods are at most a year here; the loop is short.
  while (addMonths(anchor, k * stepMonths) <= t) k += 1;
  return addMonths(anchor, k * stepMonths);
};

/** The boundary at or before `t` (the start of the step containing t). */
export const boundaryAtOrBefore = (anchor: number, stepMonths: number, t: number): number => {
  let k = 0;
  while (addMonths(anchor, (k + 1) * stepMonths) <= t) k += 1;
  return addMonths(anchor, k * stepMonths);
};

/** The first full UTC hour at or after `t` (when the hourly overage run sees work due at t). */
export const ceilHour = (t: number): number => Math.ceil(t / HOUR) * HOUR;

export const iso = (t: number): string => new Date(t).toISOString();
