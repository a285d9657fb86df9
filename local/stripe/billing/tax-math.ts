/**
 * Tax arithmetic on invoice lines, in integer minor units. Pure: no state, no SDK calls.
 * Tax is computed per line on the line's amount after discounts and rounded to the minor unit
 * half up, away from zero for negative (credit) lines, so a credit is the mirror of a debit.
 * Rates are handled as integer basis points (25.5% -> 2550), so the arithmetic is exact.
 */

/** 20 -> 2000, 25.5 -> 2550. */
export const basisPoints = (percentage: number): number => Math.round(percentage * 100);

/** `numerator / denominator` rounded half away from zero (both integers, denominator > 0). */
const divideRounded = (numerator: number, denominator: number): number => {
  const magnitude = Math.abs(numerator);
  const rounded = Math.floor((2 * magnitude + denominator) / (2 * denominator));
  return numerator < 0 ? -rounded : rounded;
};

/** The tax added on top of `amount` (exclusive tax behavior). */
export const exclusiveTax = (amount: number, bp: number): number => divideRounded(amount * bp, 10_000);

/** The tax contained in `amount` (inclusive tax behavior): amount × rate / (1 + rate). */
export const inclusiveTax = (amount: number, bp: number): number => divideRounded(amount * bp, 10_000 + bp);

/** How one invoice line is taxed: the rate applied (basis points) and whether its amount contains the tax. */
export interface LineTax {
  /** The `tax_rate` object (`txr_...`). */
  readonly taxRate: string;
  readonly basisPoints: number;
  readonly reason: 'standard_rated' | 'reverse_charge' | 'not_collecting';
  readonly behavior: 'exclusive' | 'inclusive';
}

export type LineTaxer<Line> = (line: Line) => LineTax;
