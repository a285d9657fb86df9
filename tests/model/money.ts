/** Integer money arithmetic for the reference model (minor units; no floating point). */

/** round(numerator / denominator), halves up, for non-negative integers (exact, in BigInt). */
export const divRoundHalfUp = (numerator: bigint, denominator: bigint): number => {
  if (numerator < 0n || denominator <= 0n) throw new RangeError('divRoundHalfUp takes a non-negative numerator and a positive denominator');
  return Number((numerator * 2n + denominator) / (2n * denominator));
};

/**
 * One overage line's amount: units over the quota times the rate (milli-minor units per unit),
 * rounded half up once, on the line.
 * @example overageAmount(2_000, 1_000) // 2_000 cents: 2,000 API calls at $0.01
 * @example overageAmount(2_001, 800)   // 1_601 pence: 1,600.8p rounds up
 */
export const overageAmount = (overUnits: number, rateMilli: number): number => {
  if (!Number.isSafeInteger(overUnits) || overUnits < 0) throw new RangeError(`overage units must be a whole number >= 0, got ${overUnits}`);
  return divRoundHalfUp(BigInt(overUnits) * BigInt(rateMilli), 1000n);
};

/**
 * Stripe's proration share of one price for the rest of a period, to the second:
 * round_half_up(price * remaining / total), remaining = end - at, total = end - start.
 * @example prorationShare(9_900, 0, 100, 50) // 4_950
 */
export const prorationShare = (price: number, startS: number, endS: number, atS: number): number => {
  const total = endS - startS;
  const remaining = Math.min(total, Math.max(0, endS - atS));
  if (total <= 0) throw new RangeError('a period has a positive length');
  return divRoundHalfUp(BigInt(price) * BigInt(remaining), BigInt(total));
};
