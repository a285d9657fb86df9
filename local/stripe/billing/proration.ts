/**
 * Stripe's proration, to the second: the share of a period's price for the time from `at` to
 * the period's end, `unitAmount * remaining / period` rounded to a whole minor unit, half up
 * (x.5 -> x+1). A price change bills the new price's share and credits the old one's, each
 * rounded on its own (so a credit's magnitude is rounded half up too: -4950.5 -> -4951).
 *
 * Rounding rule: Stripe documents that prorations are computed to the second (docs.stripe.com
 * /billing/subscriptions/prorations) but not how the fraction of a minor unit is rounded. This
 * endpoint keeps the nearest minor unit with halves rounded up, which is what it always did
 * (`Math.round`), now computed exactly in integers. A float quotient is not exact: a 3-year
 * price of 99,999,943 prorated over 90,569,993 of its 94,694,400 seconds is 95,644,453.49999999
 * minor units, but `Math.round(99_999_943 * 90_569_993 / 94_694_400)` gives 95,644,454 (the
 * product is past 2^53). Deliberately independent of `src/domain`: this is the stand-in for
 * Stripe that the production code is checked against.
 *
 * @example
 * // 9900 -> 29900 at exactly half of the period: credit -4950, charge +14950, net 10000.
 * prorate(9900, start + half, start, end) // 4950
 */
export const prorate = (unitAmount: number, at: number, periodStart: number, periodEnd: number): number => {
  for (const [name, value] of [['unit amount', unitAmount], ['proration time', at], ['period start', periodStart], ['period end', periodEnd]] as const) {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  }
  const length = periodEnd - periodStart;
  if (length <= 0) return 0;
  const remaining = Math.min(length, Math.max(0, periodEnd - at));
  return Number(divideRoundHalfUp(BigInt(unitAmount) * BigInt(remaining), BigInt(length)));
};

/**
 * `numerator / denominator` (denominator > 0) to the nearest integer, halves toward +infinity:
 * `floor((2n + d) / 2d)`, with a floor division, so a negative numerator rounds as `Math.round` would.
 */
const divideRoundHalfUp = (numerator: bigint, denominator: bigint): bigint => {
  const top = 2n * numerator + denominator;
  const bottom = 2n * denominator;
  const quotient = top / bottom; // truncates toward zero
  return top % bottom < 0n ? quotient - 1n : quotient;
};
