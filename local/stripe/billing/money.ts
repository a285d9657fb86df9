const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const SYMBOLS: Readonly<Record<string, string>> = { usd: '$', eur: '€', gbp: '£', cad: 'CA$', aud: 'A$', jpy: '¥' };

/** `9900, 'usd'` -> `$99.00`, the way Stripe writes amounts in line descriptions. */
export const formatAmount = (amount: number, currency: string): string => {
  const zero = ZERO_DECIMAL.has(currency);
  const value = zero ? String(Math.abs(amount)) : (Math.abs(amount) / 100).toFixed(2);
  const sign = amount < 0 ? '-' : '';
  return `${sign}${SYMBOLS[currency] ?? `${currency.toUpperCase()} `}${value}`;
};

/** `1 Jan 2026`, the date format of Stripe's proration descriptions. */
export const formatDate = (unixSeconds: number): string => {
  const d = new Date(unixSeconds * 1000);
  const month = d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' });
  return `${d.getUTCDate()} ${month} ${d.getUTCFullYear()}`;
};
