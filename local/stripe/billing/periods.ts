import type Stripe from 'stripe';
import { SECONDS } from '../config';
import { invalidRequest } from '../errors';

export interface Recurrence {
  readonly interval: 'day' | 'week' | 'month' | 'year';
  readonly count: number;
}

const INTERVALS: readonly Recurrence['interval'][] = ['day', 'week', 'month', 'year'];

export const recurrenceOf = (price: Stripe.Price): Recurrence => {
  const r = price.recurring;
  if (!r) throw invalidRequest(`The price specified (${price.id}) is not recurring.`, { param: 'price' });
  const interval = INTERVALS.find((i) => i === r.interval);
  if (!interval) throw invalidRequest(`Unsupported interval ${r.interval}`);
  return { interval, count: r.interval_count };
};

export const sameRecurrence = (a: Recurrence, b: Recurrence): boolean => a.interval === b.interval && a.count === b.count;

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/** Adds calendar months to a unix time (UTC), clamping the day to the month's end (Jan 31 + 1 = Feb 28). */
export const addMonths = (at: number, months: number): number => {
  const d = new Date(at * 1000);
  const total = d.getUTCMonth() + months;
  const year = d.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month));
  return Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
};

/**
 * The k-th period boundary after a billing cycle anchor. Each boundary is computed from the
 * anchor itself, so a subscription anchored on the 31st bills on Feb 28 and then Mar 31 again.
 */
export const boundary = (anchor: number, r: Recurrence, k: number): number => {
  switch (r.interval) {
    case 'day':
      return anchor + k * r.count * SECONDS.day;
    case 'week':
      return anchor + k * r.count * 7 * SECONDS.day;
    case 'month':
      return addMonths(anchor, k * r.count);
    case 'year':
      return addMonths(anchor, k * r.count * 12);
  }
};

const APPROX_SECONDS: Readonly<Record<Recurrence['interval'], number>> = {
  day: SECONDS.day,
  week: 7 * SECONDS.day,
  month: 28 * SECONDS.day,
  year: 365 * SECONDS.day,
};

/** The end of the period that starts at `start`: the first boundary after it (the anchor itself if it lies ahead). */
export const periodEndAfter = (anchor: number, r: Recurrence, start: number): number => {
  if (anchor > start) return anchor;
  let k = Math.max(1, Math.floor((start - anchor) / (APPROX_SECONDS[r.interval] * r.count)) - 1);
  while (boundary(anchor, r, k) <= start) k += 1;
  return boundary(anchor, r, k);
};
