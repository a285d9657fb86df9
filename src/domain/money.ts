/**
 * Money is always an integer number of minor units (cents, pence) with its currency beside it.
 * Nothing here uses floating point for amounts: rates finer than one minor unit are kept in
 * milli-minor units (1/1000 of a cent) and only rounded once, when an amount is produced, and
 * amounts are shown from exact decimal strings. The backend and the billing page (web/src)
 * share these helpers.
 */
export const CURRENCIES = ['usd', 'eur', 'gbp'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** Milli-minor units in one minor unit. */
export const MILLI_PER_MINOR = 1000;

export const isCurrency = (value: string): value is Currency =>
  (CURRENCIES as readonly string[]).includes(value);

/**
 * `numerator / denominator` rounded to the nearest integer, halves up, exactly (bigint): the
 * one rounding step of every amount (overage `quantity x rate`, a proration share).
 * Both non-negative; the denominator positive.
 * @example divideRoundHalfUp(8_008n, 10n) // 801n (800.8 -> 801)
 * @example divideRoundHalfUp(9_901n, 2n) // 4951n (4950.5 -> 4951)
 */
export const divideRoundHalfUp = (numerator: bigint, denominator: bigint): bigint => {
  if (numerator < 0n) throw new RangeError(`numerator must not be negative, got ${numerator}`);
  if (denominator <= 0n) throw new RangeError(`denominator must be positive, got ${denominator}`);
  return (numerator * 2n + denominator) / (denominator * 2n);
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

/**
 * The inverse of `milliToMinor`: a rate of minor units with at most three decimals (as the API
 * gives it, 0.8) back to integer milli-minor units (800). Throws for a finer rate.
 */
export const minorToMilli = (rateMinor: number): number => {
  const milli = Math.round(rateMinor * MILLI_PER_MINOR);
  if (!Number.isSafeInteger(milli) || milliToMinor(milli) !== rateMinor) {
    throw new RangeError(`a rate has at most three decimals of a minor unit, got ${rateMinor}`);
  }
  return milli;
};

/**
 * Minor units per major unit of a currency, as ISO 4217 defines them: 2 for USD, EUR and GBP
 * (0 for JPY, 3 for KWD).
 */
const minorDigits = (currency: string): number =>
  currencyFormat('en-US', currency, 0).resolvedOptions().maximumFractionDigits ?? 2;

/**
 * Integer minor units as an exact decimal string of major units, `digits` of them after the
 * point: built from the integer's digits, so it is exact for every safe integer and bigint.
 * @example toDecimalString(9_900) // "99.00"
 * @example toDecimalString(-5) // "-0.05"
 * @example toDecimalString(1_500, 0) // "1500"
 */
export const toDecimalString = (amount: number | bigint, digits = 2): `${number}` => {
  if (typeof amount === 'number' && !Number.isSafeInteger(amount)) {
    throw new RangeError(`money amounts are integer minor units, got ${amount}`);
  }
  if (!Number.isSafeInteger(digits) || digits < 0) throw new RangeError(`digits must be a non-negative integer, got ${digits}`);
  const negative = amount < 0;
  const abs = (negative ? -BigInt(amount) : BigInt(amount)).toString().padStart(digits + 1, '0');
  const text = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return `${negative ? '-' : ''}${text}` as `${number}`;
};

const formats = new Map<string, Intl.NumberFormat>();
/** One cached `Intl.NumberFormat` per locale, currency and extra fraction digits. */
const currencyFormat = (locale: string, currency: string, extraDigits: number): Intl.NumberFormat => {
  const key = `${locale}|${currency.toUpperCase()}|${extraDigits}`;
  let format = formats.get(key);
  if (!format) {
    const code = currency.toUpperCase();
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: code,
      ...(extraDigits > 0 ? { maximumFractionDigits: minorDigits(currency) + extraDigits } : {}),
    });
    formats.set(key, format);
  }
  return format;
};

/**
 * Integer minor units of `currency` for people, per locale. The amount reaches Intl as an
 * exact decimal string, never as a float, so every digit of a large amount is kept.
 * @example formatMoney(9_900, 'usd') // "$99.00"
 * @example formatMoney(123_456, 'eur', 'de-DE') // "1.234,56 €"
 */
export const formatMoney = (amount: number | bigint, currency: string, locale = 'en-US'): string =>
  currencyFormat(locale, currency, 0).format(toDecimalString(amount, minorDigits(currency)));

/**
 * A per-unit rate in milli-minor units for people, exactly, with up to three more decimals
 * than the currency has (GBP API calls: 800 -> "£0.008").
 * @example formatRate(10, 'usd') // "$0.0001"
 */
export const formatRate = (rateMilli: number, currency: string, locale = 'en-US'): string =>
  currencyFormat(locale, currency, 3).format(toDecimalString(rateMilli, minorDigits(currency) + 3));
