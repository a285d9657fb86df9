/**
 * Money is always an integer number of minor units (cents, pence) with its currency beside it.
 * Nothing here uses floating point for amounts: rates finer than one minor unit are kept in
 * milli-minor units (1/1000 of a cent) and only rounded once, when an amount is produced.
 */
export const CURRENCIES = ['usd', 'eur', 'gbp'] as const;
export type Currency = (typeof CURRENCIES)[number];

export interface Money {
  readonly amount: number;
  readonly currency: Currency;
}

/** Milli-minor units in one minor unit. */
export const MILLI_PER_MINOR = 1000;

export const isCurrency = (value: string): value is Currency =>
  (CURRENCIES as readonly string[]).includes(value);

const assertMinor = (amount: number): void => {
  if (!Number.isSafeInteger(amount)) {
    throw new RangeError(`money amounts are integer minor units, got ${amount}`);
  }
};

/**
 * Builds a Money value, refusing anything that is not a safe integer.
 * @example money(9900, 'usd') // $99.00
 */
export const money = (amount: number, currency: Currency): Money => {
  assertMinor(amount);
  return { amount, currency };
};

/** Adds amounts of one currency; mixing currencies is a programming error. */
export const addMoney = (a: Money, b: Money): Money => {
  if (a.currency !== b.currency) {
    throw new RangeError(`cannot add ${a.currency} to ${b.currency}`);
  }
  return money(a.amount + b.amount, a.currency);
};

/**
 * `quantity x rate` in minor units, where the rate is given in milli-minor units per unit.
 * Rounds half up once at the end (0.8p x 1,001 calls = 800.8p -> 801p).
 * @example amountForQuantity(1001, 800) // 801
 */
export const amountForQuantity = (quantity: number, rateMilli: number): number => {
  if (!Number.isSafeInteger(quantity) || quantity < 0) {
    throw new RangeError(`quantity must be a non-negative integer, got ${quantity}`);
  }
  if (!Number.isSafeInteger(rateMilli) || rateMilli < 0) {
    throw new RangeError(`rate must be a non-negative integer of milli-minor units, got ${rateMilli}`);
  }
  const milli = BigInt(quantity) * BigInt(rateMilli);
  const per = BigInt(MILLI_PER_MINOR);
  const rounded = (milli + per / 2n) / per;
  const result = Number(rounded);
  assertMinor(result);
  return result;
};

/**
 * A rate in milli-minor units as a decimal number of minor units, for display and the API
 * (800 -> 0.8). The string is built from integers, so the number is the exact decimal.
 */
export const milliToMinor = (rateMilli: number): number => {
  const whole = Math.trunc(rateMilli / MILLI_PER_MINOR);
  const frac = rateMilli % MILLI_PER_MINOR;
  return frac === 0 ? whole : Number(`${whole}.${String(frac).padStart(3, '0')}`);
};

/** Minor units as a plain decimal string, e.g. 9900 -> "99.00", -5 -> "-0.05". */
export const toDecimalString = (amount: number): string => {
  assertMinor(amount);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
};

/**
 * Formats money for people, per locale, without converting the amount to a float.
 * @example formatMoney(money(9900, 'usd')) // "$99.00"
 */
export const formatMoney = (value: Money, locale = 'en-US'): string =>
  new Intl.NumberFormat(locale, { style: 'currency', currency: value.currency.toUpperCase() }).format(
    // Intl accepts exact decimal strings, so no float rounding is involved.
    toDecimalString(value.amount) as unknown as number,
  );
