/**
 * Stripe's proration, to the second: the share of a period's price for the time from `at` to
 * the period's end, `round(unitAmount * remaining / period)`. A price change bills the new
 * price's share and credits the old one's, each rounded on its own.
 *
 * @example
 * // 9900 -> 29900 at exactly half of the period: credit -4950, charge +14950, net 10000.
 * prorate(9900, start + half, start, end) // 4950
 */
export const prorate = (unitAmount: number, at: number, periodStart: number, periodEnd: number): number => {
  const length = periodEnd - periodStart;
  if (length <= 0) return 0;
  const remaining = Math.min(length, Math.max(0, periodEnd - at));
  return Math.round((unitAmount * remaining) / length);
};
