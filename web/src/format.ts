/**
 * Display formatting. Amounts arrive as integer minor units and are formatted by the domain's
 * money helpers (src/domain/money.ts, the ones the backend uses): exact decimal strings handed
 * to Intl.NumberFormat, so no amount ever goes through a float.
 */
import { formatMoney as formatMinor, formatRate as formatRateMilli, minorToMilli, toDecimalString } from '../../src/domain/money';
import type { Resource } from './api/types';

/** The browser's locale. */
const locale = new Intl.NumberFormat().resolvedOptions().locale;

/** 12345, 2 -> "123.45"; -5, 2 -> "-0.05". Exact for every safe integer. */
export const minorToDecimal = (minor: number, digits: number): `${number}` => toDecimalString(minor, digits);

/** `formatMoney(9900, 'usd')` -> "$99.00" (in an en-US browser). */
export const formatMoney = (minor: number, currency: string): string => formatMinor(minor, currency, locale);

/** A per-unit rate in minor units as the API gives it, possibly finer than one minor unit (GBP API calls: 0.8p -> "£0.008"). */
export const formatRate = (minorPerUnit: number, currency: string): string => formatRateMilli(minorToMilli(minorPerUnit), currency, locale);

const numberFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
export const formatNumber = (value: number): string => numberFormat.format(value);

const percentFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 4 });
/** A tax rate as the API gives it, in percent: 20 -> "20%", 25.5 -> "25.5%". */
export const formatPercent = (percent: number): string => `${percentFormat.format(percent)}%`;

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

/** Minor units per major unit as decimal digits, as ISO 4217 has them: 2 for USD, EUR and GBP. */
export const currencyDigits = (currency: string): number =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;

/** The browser's decimal separator ("." in en-US, "," in de-DE): what a person types before the cents. */
export const decimalSeparator: '.' | ',' =
  new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value === ',' ? ',' : '.';
