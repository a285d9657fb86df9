/**
 * What the page makes of `GET /entitlements` (SPEC section 4b): the access state to show and
 * its tone, a "Pay now" link for an unpaid invoice, each resource's headroom in words, and the
 * spend-cap form's amount (typed in major units, sent as integer minor units, converted with
 * string arithmetic: no amount goes through a float) and its errors.
 */
import type { Entitlements, EntitlementReason, FieldIssue, Headroom, InvoiceSummary, Resource } from './api/types';
import { formatDate, formatMoney, formatNumber, formatRate, resourceLabels } from './format';
import { safeUrl } from './urls';

// ---------------------------------------------------------------------------------------------
// The amount typed in the spend-cap form

export type ParsedAmount = { readonly ok: true; readonly minor: number } | { readonly ok: false; readonly message: string };

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whole and fraction digits of `text` with `decimal` before the fraction and the other separator grouping thousands. */
const readDecimal = (text: string, decimal: '.' | ','): { whole: string; fraction: string } | null => {
  const group = decimal === '.' ? ',' : '.';
  const match = new RegExp(`^(\\d{1,3}(?:${escapeRegExp(group)}\\d{3})+|\\d*)(?:${escapeRegExp(decimal)}(\\d*))?$`).exec(text);
  if (!match) return null;
  const whole = (match[1] ?? '').split(group).join('');
  const fraction = match[2] ?? '';
  if (whole === '' && fraction === '') return null;
  return { whole: whole === '' ? '0' : whole, fraction };
};

/**
 * An amount as a person types it, in major units ("50", "1,250.5", "€ 12,50"), as integer minor
 * units of a currency with `digits` decimals. Read with the browser's `decimal` separator first
 * (the other one groups thousands), then with the other convention, so "12,50" in an en-US
 * browser is still 12.50. Exact: the digits are put together as a string, never multiplied.
 *
 * @example parseMajorUnits('1,250.5', 2) // { ok: true, minor: 125_050 }
 * @example parseMajorUnits('12.345', 2) // { ok: false, message: 'Use at most 2 decimal places.' }
 */
export const parseMajorUnits = (input: string, digits: number, decimal: '.' | ',' = '.'): ParsedAmount => {
  const text = input
    .replace(/[\s\u00a0\u202f]/g, '')
    .replace(/^[$€£]/, '')
    .replace(/[$€£]$/, '');
  const example = `for example 50 or 50${decimal}00`;
  if (text === '') return { ok: false, message: `Enter an amount, ${example}.` };
  if (/^[-\u2212]/.test(text)) return { ok: false, message: 'Enter an amount of 0 or more.' };
  const read = readDecimal(text, decimal) ?? readDecimal(text, decimal === '.' ? ',' : '.');
  if (!read) return { ok: false, message: `Enter the amount in digits, ${example}.` };
  // "10.500" is 10.50; "10.505" asks for a fraction of a cent.
  if (/[^0]/.test(read.fraction.slice(digits))) {
    return { ok: false, message: digits === 0 ? 'Enter a whole amount.' : `Use at most ${digits} decimal place${digits === 1 ? '' : 's'}.` };
  }
  const minor = BigInt(`${read.whole}${read.fraction.slice(0, digits).padEnd(digits, '0')}`);
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: 'That amount is too large.' };
  return { ok: true, minor: Number(minor) };
};

/** The spend-cap form's errors: `amount` beside the field, `form` for what names no field. */
export interface SpendCapErrors {
  readonly amount?: string;
  readonly form?: string;
}

/** The API's words for a refused amount, in the units the person typed (its limits are in minor units). */
const amountMessage = (message: string, currency: string): string => {
  const max = /at most (\d+) minor units/i.exec(message) ?? /too big.*<=\s*(\d+)/i.exec(message);
  if (max?.[1] !== undefined) return `The cap can be at most ${formatMoney(Number(max[1]), currency)}.`;
  if (/too small|0 or more/i.test(message)) return 'Enter an amount of 0 or more.';
  return message;
};

/**
 * The API's field errors (`error.details` of a 400) on the spend-cap form: `amount` beside the
 * amount; `currency` too, as the amount is in the billing currency the form names; the rest
 * for the form.
 */
export const spendCapErrors = (issues: readonly FieldIssue[], currency: string): SpendCapErrors => {
  const amount: string[] = [];
  const form: string[] = [];
  for (const { field, message } of issues) {
    if (field === 'amount') amount.push(amountMessage(message, currency));
    else if (field === 'currency') amount.push(`Currency: ${message}.`);
    else form.push(message);
  }
  return { ...(amount.length > 0 ? { amount: amount.join(' ') } : {}), ...(form.length > 0 ? { form: form.join(' ') } : {}) };
};

// ---------------------------------------------------------------------------------------------
// Access and its reasons

export type AccessTone = 'good' | 'warn' | 'bad';

export interface AccessSummary {
  /** "Full access", "Read-only", "Blocked", or "Limited" when full access allows no metered resource (spend cap reached). */
  readonly label: string;
  readonly tone: AccessTone;
  /** Plain full access: nothing to say beyond one line. */
  readonly plain: boolean;
}

export const accessSummary = (e: Pick<Entitlements, 'access' | 'allowed' | 'reasons'>): AccessSummary => {
  if (e.access === 'blocked') return { label: 'Blocked', tone: 'bad', plain: false };
  if (e.access === 'read_only') return { label: 'Read-only', tone: 'bad', plain: false };
  const limited = Object.values(e.allowed).some((allowed) => !allowed);
  if (limited) return { label: 'Limited', tone: 'warn', plain: false };
  return e.reasons.length > 0 ? { label: 'Full access', tone: 'warn', plain: false } : { label: 'Full access', tone: 'good', plain: true };
};

/**
 * A reason's message with its dates as the page writes dates ("2027-05-15" -> "May 15, 2027"
 * in an en-US browser); the rest of the API's wording as it is.
 */
export const readableDates = (message: string): string =>
  message.replace(/\b(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z)?\b/g, (text, date: string) => {
    const at = Date.parse(`${date}T00:00:00Z`);
    return Number.isNaN(at) ? text : formatDate(`${date}T00:00:00Z`);
  });

/** The reasons that name an unpaid invoice. */
const PAYABLE = new Set(['past_due_grace', 'past_due', 'unpaid', 'incomplete', 'overage_invoice_unpaid']);

export interface PayLink {
  readonly url: string;
  readonly label: string;
}

/**
 * Where to pay the invoice a reason names: its `invoice` (the API's own link), else Stripe's
 * hosted invoice page of the open invoice whose number the message gives, or of the only open
 * invoice when the message names none of them.
 */
export const payLink = (
  reason: Pick<EntitlementReason, 'code' | 'message' | 'invoice'>,
  invoices: readonly Pick<InvoiceSummary, 'id' | 'number' | 'status' | 'hosted_invoice_url'>[],
): PayLink | null => {
  if (!PAYABLE.has(reason.code)) return null;
  const own = safeUrl(reason.invoice?.hosted_invoice_url);
  if (reason.invoice && own) return { url: own, label: reason.invoice.number ?? reason.invoice.id };
  const open = invoices.filter((i) => i.status === 'open' && safeUrl(i.hosted_invoice_url) !== null);
  const named = open.find((i) => i.number !== null && new RegExp(`invoice ${escapeRegExp(i.number)}(?![\\w-])`).test(reason.message));
  const invoice = named ?? (open.length === 1 ? open[0] : undefined);
  const url = safeUrl(invoice?.hosted_invoice_url);
  return invoice && url ? { url, label: invoice.number ?? invoice.id } : null;
};

// ---------------------------------------------------------------------------------------------
// Headroom and the spend cap

const quantity = (value: number, resource: Resource): string => {
  const label = resourceLabels[resource];
  return `${formatNumber(value)} ${value === 1 ? label.one : label.unit}`;
};

/**
 * One resource's headroom in words: "12 calls left in plan, then $0.01 each"; null without a plan.
 * A next unit that would not be billed (a trial) has no price to give.
 */
export const headroomText = (resource: Resource, headroom: Headroom, currency: string): string | null => {
  if (headroom.remaining === null) return null;
  const label = resourceLabels[resource];
  const price = headroom.next_unit_price > 0 ? `${formatRate(headroom.next_unit_price, currency)} ${label.one === label.unit ? `per ${label.one}` : 'each'}` : null;
  if (headroom.remaining > 0) return `${quantity(headroom.remaining, resource)} left in plan${price ? `, then ${price}` : ''}`;
  return price ? `None left in plan: ${price} from here` : 'None left in plan';
};

export type SpendTone = 'normal' | 'warn' | 'over';

/** The spend cap's bar: at 80% a warning, at the cap over. */
export const spendTone = (cap: { readonly percent_used: number; readonly reached: boolean }): SpendTone =>
  cap.reached ? 'over' : cap.percent_used >= 80 ? 'warn' : 'normal';
