/**
 * Discount arithmetic on invoice lines, in integer minor units. Pure: no state, no SDK calls.
 * Stripe computes a percent-off discount on the amount it applies to and allocates an invoice
 * discount across the discountable lines; it does not document how a fraction of a minor unit is
 * rounded, so the share is rounded half up (as prorations here) and the allocation hands the
 * leftover units to the lines with the largest remainders, so the lines always add up to the total.
 */

/** What a discount takes off, from its coupon. */
export interface DiscountTerms {
  /** The discount's id (`di_...`). */
  readonly discount: string;
  readonly percentOff: number | null;
  readonly amountOff: number | null;
  /** The currency of `amountOff`; an amount-off coupon in another currency takes nothing. */
  readonly currency: string | null;
  /** `currency_options`: the amount off in the coupon's other currencies. */
  readonly amountsOff?: Readonly<Record<string, number>>;
  /** `applies_to.products`: only lines of these products; null for every line. */
  readonly products: readonly string[] | null;
}

export interface DiscountableLine {
  /** The line's amount after the discounts applied before this one. */
  readonly amount: number;
  readonly discountable: boolean;
  readonly product: string | null;
}

/** Percentages are kept as exact integers of millionths of a percent (25.5 -> 25_500_000). */
const PERCENT_SCALE = 1_000_000n;

/** `base * percent / 100`, rounded half up, computed exactly (bigint). */
export const percentOf = (base: number, percent: number): number => {
  const scaled = BigInt(Math.round(percent * Number(PERCENT_SCALE)));
  const denominator = 100n * PERCENT_SCALE;
  return Number((2n * BigInt(base) * scaled + denominator) / (2n * denominator));
};

/**
 * The amount one discount takes off each line (0 for lines it does not apply to). Applies to
 * discountable lines with a positive amount (and of a listed product when the coupon is limited).
 */
export const allocateDiscount = (lines: readonly DiscountableLine[], terms: DiscountTerms, currency: string): number[] => {
  const eligible = lines.map((l) => l.discountable && l.amount > 0 && (terms.products === null || (l.product !== null && terms.products.includes(l.product))));
  const base = lines.reduce((sum, l, i) => sum + (eligible[i] ? l.amount : 0), 0);
  if (base <= 0) return lines.map(() => 0);
  let total = 0;
  if (terms.percentOff !== null) total = Math.min(base, percentOf(base, terms.percentOff));
  else if (terms.amountOff !== null && terms.currency === currency) total = Math.min(base, terms.amountOff);
  else if (terms.amountsOff?.[currency] !== undefined) total = Math.min(base, terms.amountsOff[currency]);
  return allocate(total, lines.map((l, i) => (eligible[i] ? l.amount : 0)));
};

/** Splits `total` over `weights` in proportion, largest remainders first (exact, bigint). */
export const allocate = (total: number, weights: readonly number[]): number[] => {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const shares = weights.map((w) => {
    const numerator = BigInt(total) * BigInt(w);
    return { floor: Number(numerator / BigInt(sum)), remainder: numerator % BigInt(sum) };
  });
  let left = total - shares.reduce((a, s) => a + s.floor, 0);
  const order = shares.map((s, i) => ({ i, r: s.remainder })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  const out = shares.map((s) => s.floor);
  for (const { i } of order) {
    if (left <= 0) break;
    if ((weights[i] ?? 0) <= 0) continue;
    out[i] = (out[i] ?? 0) + 1;
    left -= 1;
  }
  return out;
};
