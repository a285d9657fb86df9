/**
 * Display formatting. Amounts arrive as integer minor units and are handed to
 * Intl.NumberFormat as exact decimal strings, so no amount ever goes through a float.
 */
import type { Resource } from './api/types';

const locale: string | undefined = undefined; // the browser's

const currencyFormats = new Map<string, Intl.NumberFormat>();
const currencyFormat = (currency: string): Intl.NumberFormat => {
  const key = currency.toUpperCase();
  let format = currencyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: key });
    currencyFormats.set(key, format);
  }
  return format;
};

/** Minor units per major unit as the currency defines them (2 for USD, EUR, GBP; 0 for JPY). */
export const minorDigits = (currency: string): number => currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;

/** 12345, 2 -> "123.45"; -5, 2 -> "-0.05". Exact for every safe integer. */
export const minorToDecimal = (minor: number, digits: number): `${number}` => {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`money amounts are integer minor units, got ${minor}`);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
  const text = digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return text as `${number}`;
};

/** `formatMoney(9900, 'usd')` -> "$99.00" (in an en-US browser). */
export const formatMoney = (minor: number, currency: string): string =>
  currencyFormat(currency).format(minorToDecimal(minor, minorDigits(currency)));

/** A per-unit rate in minor units, possibly finer than one minor unit (GBP API calls: 0.8p). */
export const formatRate = (minorPerUnit: number, currency: string): string => {
  const digits = minorDigits(currency);
  // Display only: a rate is never added to anything here.
  return new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase(), maximumFractionDigits: digits + 3 }).format(
    minorPerUnit / 10 ** digits,
  );
};

const numberFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
export const formatNumber = (value: number): string => numberFormat.format(value);

export const resourceLabels: Record<Resource, { readonly name: string; readonly unit: string; readonly one: string; readonly quota: string }> = {
  users: { name: 'Users', unit: 'users', one: 'user', quota: 'users' },
  devices: { name: 'Devices', unit: 'devices', one: 'device', quota: 'devices' },
  storage_gb: { name: 'Storage', unit: 'GB', one: 'GB', quota: 'GB storage' },
  api_calls: { name: 'API calls', unit: 'calls', one: 'call', quota: 'API calls / month' },
  alerts: { name: 'Alerts', unit: 'alerts', one: 'alert', quota: 'alerts / month' },
};

export const formatQuantity = (value: number, resource: Resource): string => `${formatNumber(value)} ${resourceLabels[resource].unit}`;

const dateFormat = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat(locale, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** Billing dates are UTC instants; shown as UTC so that a period reads the same for everyone. */
export const formatDate = (iso: string): string => dateFormat.format(new Date(iso));
export const formatDateTime = (iso: string): string => dateTimeFormat.format(new Date(iso));
export const formatPeriod = (start: string, end: string): string => `${formatDate(start)} – ${formatDate(end)}`;

export const currencyLabel = (currency: string): string => currency.toUpperCase();
