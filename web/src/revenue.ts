/**
 * The Admin tab's revenue report (`GET /admin/reports/revenue`), the pure part: the range the
 * form asks for (left empty, the API's own default: the last 12 months on the business clock), the currency shown first, the MRR movements stacked into bars, the chart's
 * scales and ticks, and the table's columns. Amounts stay integer minor units; only the chart's
 * pixel positions are fractions.
 */
import { CURRENCIES } from '../../src/domain/money';
import type { RevenueReport, RevenueReportMonth } from './api/types';
import { currencyDigits, formatMoney, minorToDecimal } from './format';

/** The longest range the API reports at once. */
export const MAX_REPORT_MONTHS = 36;

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** "2027-03" -> 2027 * 12 + 2: months count from year 0 so that ranges are a subtraction. */
export const monthIndex = (month: string): number => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;

export interface RangeForm {
  readonly from: string;
  readonly to: string;
}

/**
 * What is wrong with a range typed in the form, beside the field it concerns (the API's own
 * checks, met before asking it). An empty field is allowed: the API fills it in (12 months).
 */
export const rangeProblems = ({ from, to }: RangeForm): { from?: string; to?: string } => {
  const problems: { from?: string; to?: string } = {};
  if (from && !MONTH.test(from)) problems.from = 'Enter a month as YYYY-MM.';
  if (to && !MONTH.test(to)) problems.to = 'Enter a month as YYYY-MM.';
  if (problems.from || problems.to || !from || !to) return problems;
  if (to < from) problems.to = 'Choose a month from the first one on.';
  else if (monthIndex(to) - monthIndex(from) >= MAX_REPORT_MONTHS) problems.to = `Choose at most ${MAX_REPORT_MONTHS} months.`;
  return problems;
};

/** The report's query for a range from the form: the fields given (none: the API's last 12 months). */
export const rangeQuery = ({ from, to }: RangeForm): { from?: string; to?: string } => ({ ...(from ? { from } : {}), ...(to ? { to } : {}) });

/** Whether a row has any figure other than 0. */
export const hasFigures = (row: RevenueReportMonth): boolean =>
  [...Object.values(row.mrr), ...Object.values(row.invoiced), row.credits, row.refunds].some((v) => v !== 0);

const currencyOrder = (currency: string): number => {
  const i = (CURRENCIES as readonly string[]).indexOf(currency);
  return i === -1 ? CURRENCIES.length : i;
};

/** The currencies of the report that have a figure other than 0, in the catalog's order (USD, EUR, GBP). */
export const currenciesWithData = (months: readonly RevenueReportMonth[]): string[] =>
  [...new Set(months.filter(hasFigures).map((r) => r.currency))].sort((a, b) => currencyOrder(a) - currencyOrder(b) || a.localeCompare(b));

/** The currency shown until one is chosen: the first with data, else USD. */
export const defaultCurrency = (months: readonly RevenueReportMonth[]): string => currenciesWithData(months)[0] ?? CURRENCIES[0];

/** The currencies the select offers: the catalog's, then any other the rows have (the API's enum may grow before the page does). */
export const currencyChoices = (months: readonly { readonly currency: string }[]): string[] =>
  [...new Set([...CURRENCIES, ...months.map((r) => r.currency)])].sort((a, b) => currencyOrder(a) - currencyOrder(b) || a.localeCompare(b));

/** The rows of one currency, month by month. */
export const rowsOf = (report: RevenueReport, currency: string): RevenueReportMonth[] =>
  report.months.filter((r) => r.currency === currency).sort((a, b) => a.month.localeCompare(b.month));

// ---------------------------------------------------------------------------------------------
// The chart

export type Movement = 'new' | 'expansion' | 'reactivation' | 'contraction' | 'churn';

/** The movements in stacking order: the first three add MRR (above the axis), the last two take it away (below). */
export const MOVEMENTS: readonly { readonly kind: Movement; readonly label: string; readonly sign: 1 | -1 }[] = [
  { kind: 'new', label: 'New', sign: 1 },
  { kind: 'expansion', label: 'Expansion', sign: 1 },
  { kind: 'reactivation', label: 'Reactivation', sign: 1 },
  { kind: 'contraction', label: 'Contraction', sign: -1 },
  { kind: 'churn', label: 'Churn', sign: -1 },
];

export interface Segment {
  readonly kind: Movement;
  readonly label: string;
  /** The movement as it changes MRR: positive above the axis, negative below. */
  readonly amount: number;
  /** Where the segment starts and ends on the value axis (minor units; `y0` nearer the axis). */
  readonly y0: number;
  readonly y1: number;
}

/** One month's movements as stacked segments: additions upwards from 0, contraction then churn downwards. Zero movements have none. */
export const stackMovements = (mrr: RevenueReportMonth['mrr']): Segment[] => {
  let up = 0;
  let down = 0;
  const out: Segment[] = [];
  for (const { kind, label, sign } of MOVEMENTS) {
    const value = mrr[kind];
    if (value === 0) continue;
    const amount = sign * value;
    if (amount > 0) {
      out.push({ kind, label, amount, y0: up, y1: up + amount });
      up += amount;
    } else {
      out.push({ kind, label, amount, y0: down, y1: down + amount });
      down += amount;
    }
  }
  return out;
};

/** Round steps for an axis: 1, 2, 2.5 or 5 times a power of ten (whole minor units). */
export const niceStep = (span: number, count: number): number => {
  const raw = span / Math.max(1, count);
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
  return Math.max(1, Math.round(step));
};

export interface Axis {
  readonly min: number;
  readonly max: number;
  /** Multiples of one round step from `min` to `max`, both included (0 among them when in range). */
  readonly ticks: readonly number[];
}

/**
 * An axis covering `values` and 0, widened to whole round steps (about `count` of them); a
 * range of nothing but 0 gets one major unit (100 minor units) above it.
 */
export const niceAxis = (values: readonly number[], count = 4): Axis => {
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  if (lo === 0 && hi === 0) return { min: 0, max: 100, ticks: [0, 100] };
  const step = niceStep(hi - lo, count);
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = min; t <= max; t += step) ticks.push(t);
  return { min, max, ticks };
};

/**
 * The chart's one value axis: the highest stack above 0, the deepest below, and ending MRR (the
 * line shares the bars' scale, so that a month's bars are the line's step from the month before).
 */
export const chartAxis = (rows: readonly RevenueReportMonth[]): Axis =>
  niceAxis(rows.flatMap((r) => [r.mrr.new + r.mrr.expansion + r.mrr.reactivation, -(r.mrr.contraction + r.mrr.churn), r.mrr.ending]));

/** A linear map of `[d0, d1]` onto `[r0, r1]` (pixels); a zero-width domain maps to `r0`. */
export const linearScale =
  (d0: number, d1: number, r0: number, r1: number) =>
  (value: number): number =>
    d1 === d0 ? r0 : r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);

/** Every how many months a label fits under the axis: all of them up to `room`, then every 2nd, 3rd, ... */
export const labelEvery = (months: number, room = 12): number => Math.max(1, Math.ceil(months / room));

const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
const shortMonthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', timeZone: 'UTC' });
const monthDate = (month: string): Date => new Date(`${month}-01T00:00:00Z`);

/** "2027-03" -> "Mar 2027" (in an en-US browser). */
export const monthLabel = (month: string): string => monthFormat.format(monthDate(month));

/** An axis label: "Mar", with the year under January and under the first month shown. */
export const axisMonthLabel = (month: string, first: boolean): { month: string; year: string | null } => ({
  month: shortMonthFormat.format(monthDate(month)),
  year: first || month.endsWith('-01') ? month.slice(0, 4) : null,
});

/** A movement as it changes MRR: "+$200.00", "-$299.00". */
export const signedMoney = (amount: number, currency: string): string => (amount > 0 ? `+${formatMoney(amount, currency)}` : formatMoney(amount, currency));

/** The tooltip of one segment: "Mar 2027, expansion: +$200.00". */
export const segmentTitle = (month: string, segment: Segment, currency: string): string =>
  `${monthLabel(month)}, ${segment.label.toLowerCase()}: ${signedMoney(segment.amount, currency)}`;

/** The tooltip of one month's bar: its movements and ending MRR. */
export const monthTitle = (row: RevenueReportMonth): string => {
  const moves = stackMovements(row.mrr).map((s) => `${s.label.toLowerCase()} ${signedMoney(s.amount, row.currency)}`);
  return `${monthLabel(row.month)}: ${moves.length > 0 ? moves.join(', ') : 'no movement'}; ending MRR ${formatMoney(row.mrr.ending, row.currency)}`;
};

/** The chart in a sentence, for screen readers: the range, MRR from start to end, and each movement's sum. */
export const chartSummary = (rows: readonly RevenueReportMonth[], currency: string): string => {
  const first = rows[0];
  const last = rows.at(-1);
  if (!first || !last) return `MRR movements in ${currency.toUpperCase()}: no months.`;
  const sums = MOVEMENTS.map(({ kind, label, sign }) => `${label.toLowerCase()} ${signedMoney(sign * rows.reduce((s, r) => s + r.mrr[kind], 0), currency)}`);
  return (
    `MRR movements in ${currency.toUpperCase()} per month, ${monthLabel(first.month)} to ${monthLabel(last.month)}: ` +
    `MRR ${formatMoney(first.mrr.starting, currency)} at the start, ${formatMoney(last.mrr.ending, currency)} at the end; ${sums.join(', ')}.`
  );
};

// ---------------------------------------------------------------------------------------------
// The table

export interface RevenueColumn {
  readonly key: string;
  readonly group: 'mrr' | 'invoiced' | 'other';
  readonly label: string;
  /** The figure as shown: what takes away (contraction, churn, discount) is negative. */
  readonly value: (row: RevenueReportMonth) => number;
}

const negative = (amount: number): number => (amount === 0 ? 0 : -amount);

export const REVENUE_COLUMNS: readonly RevenueColumn[] = [
  { key: 'mrr.starting', group: 'mrr', label: 'Starting', value: (r) => r.mrr.starting },
  { key: 'mrr.new', group: 'mrr', label: 'New', value: (r) => r.mrr.new },
  { key: 'mrr.expansion', group: 'mrr', label: 'Expansion', value: (r) => r.mrr.expansion },
  { key: 'mrr.contraction', group: 'mrr', label: 'Contraction', value: (r) => negative(r.mrr.contraction) },
  { key: 'mrr.churn', group: 'mrr', label: 'Churn', value: (r) => negative(r.mrr.churn) },
  { key: 'mrr.reactivation', group: 'mrr', label: 'Reactivation', value: (r) => r.mrr.reactivation },
  { key: 'mrr.ending', group: 'mrr', label: 'Ending', value: (r) => r.mrr.ending },
  { key: 'invoiced.subscription', group: 'invoiced', label: 'Subscription', value: (r) => r.invoiced.subscription },
  { key: 'invoiced.proration', group: 'invoiced', label: 'Proration', value: (r) => r.invoiced.proration },
  { key: 'invoiced.usage', group: 'invoiced', label: 'Usage (overage)', value: (r) => r.invoiced.usage },
  { key: 'invoiced.other', group: 'invoiced', label: 'Other', value: (r) => r.invoiced.other },
  { key: 'invoiced.discount', group: 'invoiced', label: 'Discount', value: (r) => negative(r.invoiced.discount) },
  { key: 'invoiced.tax', group: 'invoiced', label: 'Tax', value: (r) => r.invoiced.tax },
  { key: 'invoiced.total', group: 'invoiced', label: 'Total', value: (r) => r.invoiced.total },
  { key: 'credits', group: 'other', label: 'Credits', value: (r) => r.credits },
  { key: 'refunds', group: 'other', label: 'Refunds', value: (r) => r.refunds },
];

/** The columns shown: all, but "Other" invoiced lines only when a month has some (so that each row still adds up to its total). */
export const revenueColumns = (rows: readonly RevenueReportMonth[]): RevenueColumn[] =>
  REVENUE_COLUMNS.filter((c) => c.key !== 'invoiced.other' || rows.some((r) => r.invoiced.other !== 0));

/** A tick label, short: 20,000 minor units of USD -> "$200", 1,250,000 -> "$12.5K" (in an en-US browser). */
export const axisMoney = (minor: number, currency: string): string =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase(), notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(
    Number(minorToDecimal(minor, currencyDigits(currency))),
  );
