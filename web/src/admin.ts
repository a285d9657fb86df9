/**
 * What the Admin tab makes of the admin API (SPEC section 7): the tenant search's criteria, the
 * action forms (typed amounts in major units sent as integer minor units through
 * `parseMajorUnits`, never a float; a reason; a trial end day), the sentence each asks the
 * operator to confirm, the API's field errors placed beside the fields they name, and the
 * audit trail and payments in words.
 */
import type {
  AuditEvent,
  CreditInput,
  Currency,
  EventActor,
  FieldIssue,
  InvoiceSummary,
  RefundInput,
  RetryInput,
  Subscription,
  SubscriptionStatus,
  TenantSearch,
  TenantSummary,
  TrialInput,
} from './api/types';
import { parseMajorUnits, readableDates } from './entitlements';
import { currencyDigits, formatDate, formatMoney } from './format';
import { SUBSCRIPTION_STATUSES } from '../../src/domain/subscription';

/**
 * The HTTP status of a failed call (`ApiError.status`; 0 when no answer came), null for any other
 * error. Read structurally so that this module does not load the fetch client.
 */
const statusOf = (error: unknown): number | null => {
  const status: unknown = error instanceof Error ? (error as Error & { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : null;
};

// ---------------------------------------------------------------------------------------------
// The search

export interface SearchForm {
  readonly query: string;
  /** '' for any status. */
  readonly status: string;
  /** '' for any plan. */
  readonly plan_id: string;
}

export const EMPTY_SEARCH: SearchForm = { query: '', status: '', plan_id: '' };

const isStatus = (value: string): value is SubscriptionStatus => (SUBSCRIPTION_STATUSES as readonly string[]).includes(value);

/** The criteria the form asks for: blanks left out (the API takes a query of 1 to 200 characters). */
export const searchCriteria = (form: SearchForm): TenantSearch => {
  const query = form.query.trim().slice(0, 200);
  return {
    ...(query ? { query } : {}),
    ...(isStatus(form.status) ? { status: form.status } : {}),
    ...(form.plan_id ? { plan_id: form.plan_id } : {}),
  };
};

/** How a tenant is named to the operator: its billing name, else its id. */
export const tenantName = (tenant: Pick<TenantSummary, 'tenant_id' | 'name'>): string => tenant.name?.trim() || tenant.tenant_id;

// ---------------------------------------------------------------------------------------------
// The action forms

export type ActionKind = 'credit' | 'refund' | 'trial' | 'retry';

/** What the operator typed; each action reads the fields it has. */
export interface ActionForm {
  /** Major units as typed ("25", "1,250.50"). */
  readonly amount: string;
  /** Only asked when the tenant has no billing currency yet. */
  readonly currency: string;
  readonly invoice_id: string;
  /** The new trial end day, `YYYY-MM-DD` (UTC). */
  readonly date: string;
  readonly reason: string;
}

export type ActionField = 'amount' | 'currency' | 'invoice_id' | 'trial_end' | 'reason';

/** Errors beside the fields they name, and `form` for what names none (a 402, a 409, a field the form does not have). */
export type ActionErrors = Readonly<Partial<Record<ActionField | 'form', string>>>;

/**
 * An invoice as the actions read it: what the list of `GET /invoices` and the tenant's picture
 * (whose stored copies may lack the discount fields) both give.
 */
export type ActionInvoice = Pick<InvoiceSummary, 'id' | 'number' | 'status' | 'currency' | 'amount_paid' | 'amount_due'>;

/** A confirmed action, ready to send. */
export type ActionRequest =
  | { readonly kind: 'credit'; readonly body: CreditInput }
  | { readonly kind: 'refund'; readonly body: RefundInput; readonly invoice: ActionInvoice }
  | { readonly kind: 'trial'; readonly body: TrialInput; readonly from: string }
  | { readonly kind: 'retry'; readonly body: RetryInput; readonly invoice: ActionInvoice };

export interface ActionContext {
  readonly tenant: TenantSummary;
  readonly subscription: Subscription | null;
  readonly invoices: readonly ActionInvoice[];
  /** The browser's decimal separator. */
  readonly decimal?: '.' | ',';
}

export const CURRENCIES: readonly Currency[] = ['usd', 'eur', 'gbp'];
const isCurrency = (value: string): value is Currency => (CURRENCIES as readonly string[]).includes(value);

export const REASON_MIN = 3;
export const REASON_MAX = 500;

/** The API's rule for a reason (3 to 500 characters once trimmed); null when it passes. Optional reasons may be blank. */
export const reasonProblem = (reason: string, required = true): string | null => {
  const text = reason.trim();
  if (text === '') return required ? 'Say why, in a few words: it is kept in the tenant’s audit trail.' : null;
  if (text.length < REASON_MIN) return `Say why in at least ${REASON_MIN} characters.`;
  if (text.length > REASON_MAX) return `Keep the reason to ${REASON_MAX} characters (it has ${text.length}).`;
  return null;
};

/** The invoices a refund can be made on: paid, with something paid. */
export const refundableInvoices = <T extends ActionInvoice>(invoices: readonly T[]): T[] => invoices.filter((i) => i.status === 'paid' && i.amount_paid > 0);

/** The invoices a payment can be retried on. */
export const openInvoices = <T extends ActionInvoice>(invoices: readonly T[]): T[] => invoices.filter((i) => i.status === 'open');

/** What an open invoice still asks. */
export const leftToPay = (invoice: Pick<InvoiceSummary, 'amount_due' | 'amount_paid'>): number => Math.max(0, invoice.amount_due - invoice.amount_paid);

/** An invoice as the operator knows it: its number, else its id. */
export const invoiceLabel = (invoice: Pick<InvoiceSummary, 'id' | 'number'>): string => invoice.number ?? invoice.id;

const numberIn = (data: Readonly<Record<string, unknown>>, key: string): number | null => {
  const value = data[key];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
};
const stringIn = (data: Readonly<Record<string, unknown>>, key: string): string | null => {
  const value = data[key];
  return typeof value === 'string' && value !== '' ? value : null;
};

/**
 * What the audit trail shows refunded of an invoice so far (`admin.refund_issued` among the
 * events given). Refunds made elsewhere (the Stripe Dashboard) are not in it: the API refuses a
 * refund of more than is left, whatever the page thinks.
 */
export const refundedSoFar = (invoiceId: string, events: readonly AuditEvent[]): number =>
  events.reduce((sum, e) => (e.type === 'admin.refund_issued' && e.data.invoice_id === invoiceId ? sum + (numberIn(e.data, 'amount') ?? 0) : sum), 0);

/** The refund form's amount to start from: what was paid, less what the trail shows refunded already. */
export const refundDefault = (invoice: Pick<InvoiceSummary, 'id' | 'amount_paid'>, events: readonly AuditEvent[]): number =>
  Math.max(0, invoice.amount_paid - refundedSoFar(invoice.id, events));

/** `YYYY-MM-DD` of an instant, in UTC (the day a date input shows). */
export const utcDay = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

/**
 * The new trial end for a day chosen in the form: that day at the current trial end's time of
 * day (UTC), so a trial extended by a week ends exactly 7 days later. Null for no valid day.
 *
 * @example trialEndOn('2027-10-22', '2027-10-15T00:30:00.000Z') // '2027-10-22T00:30:00.000Z'
 */
export const trialEndOn = (day: string, currentTrialEnd: string): string | null => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const at = Date.parse(`${day}T${new Date(currentTrialEnd).toISOString().slice(11)}`);
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== day) return null;
  return new Date(at).toISOString();
};

/** The day the trial form starts from: a week after the current trial end. */
export const trialDefaultDay = (currentTrialEnd: string): string => utcDay(new Date(Date.parse(currentTrialEnd) + 7 * 86_400_000).toISOString());

/** An amount typed in major units of `currency`, more than 0. */
const amountOf = (text: string, currency: string, decimal: '.' | ','): { ok: true; minor: number } | { ok: false; message: string } => {
  const parsed = parseMajorUnits(text, currencyDigits(currency), decimal);
  if (!parsed.ok) return parsed;
  if (parsed.minor <= 0) return { ok: false, message: 'Enter an amount of more than 0.' };
  return parsed;
};

/**
 * The action the form describes, checked as the API would check it (so that the operator meets
 * most problems before confirming), or the errors to show beside the fields.
 */
export const actionRequest = (
  kind: ActionKind,
  form: ActionForm,
  ctx: ActionContext,
): { readonly ok: true; readonly request: ActionRequest } | { readonly ok: false; readonly errors: ActionErrors } => {
  const decimal = ctx.decimal ?? '.';
  const errors: Partial<Record<ActionField | 'form', string>> = {};
  const reason = form.reason.trim();
  const reasonError = reasonProblem(form.reason, kind !== 'retry');
  if (reasonError) errors.reason = reasonError;

  switch (kind) {
    case 'credit': {
      const currency = ctx.tenant.currency ?? (isCurrency(form.currency) ? form.currency : null);
      if (!currency) errors.currency = 'Choose the currency of the credit.';
      const amount = amountOf(form.amount, currency ?? 'usd', decimal);
      if (!amount.ok) errors.amount = amount.message;
      if (Object.keys(errors).length > 0 || !amount.ok || !currency) return { ok: false, errors };
      return { ok: true, request: { kind, body: { amount: amount.minor, currency, reason } } };
    }
    case 'refund': {
      const invoice = refundableInvoices(ctx.invoices).find((i) => i.id === form.invoice_id);
      if (!invoice) errors.invoice_id = 'Choose a paid invoice.';
      const amount = amountOf(form.amount, invoice?.currency ?? ctx.tenant.currency ?? 'usd', decimal);
      if (!amount.ok) errors.amount = amount.message;
      else if (invoice && amount.minor > invoice.amount_paid) errors.amount = `Enter at most ${formatMoney(invoice.amount_paid, invoice.currency)}, what was paid.`;
      if (Object.keys(errors).length > 0 || !amount.ok || !invoice) return { ok: false, errors };
      return { ok: true, request: { kind, body: { invoice_id: invoice.id, amount: amount.minor, reason }, invoice } };
    }
    case 'trial': {
      const sub = ctx.subscription;
      if (!sub || sub.status !== 'trialing' || !sub.trial_end) return { ok: false, errors: { ...errors, form: 'Only a trialing subscription can have its trial extended.' } };
      const trialEnd = trialEndOn(form.date, sub.trial_end);
      if (!trialEnd) errors.trial_end = 'Choose the day the trial ends.';
      else if (Date.parse(trialEnd) <= Date.parse(sub.trial_end)) errors.trial_end = `Choose a day after the current trial end, ${formatDate(sub.trial_end)}.`;
      if (Object.keys(errors).length > 0 || !trialEnd) return { ok: false, errors };
      return { ok: true, request: { kind, body: { trial_end: trialEnd, reason }, from: sub.trial_end } };
    }
    case 'retry': {
      const invoice = openInvoices(ctx.invoices).find((i) => i.id === form.invoice_id);
      if (!invoice) errors.invoice_id = 'Choose an open invoice.';
      if (Object.keys(errors).length > 0 || !invoice) return { ok: false, errors };
      return { ok: true, request: { kind, body: { invoice_id: invoice.id, ...(reason ? { reason } : {}) }, invoice } };
    }
  }
};

/** The question the operator answers with Confirm, naming the amount and the reason. */
export const confirmQuestion = (request: ActionRequest, name: string): string => {
  const why = request.body.reason ? ` Reason: ${request.body.reason}` : '';
  switch (request.kind) {
    case 'credit':
      return `Credit ${formatMoney(request.body.amount, request.body.currency)} to ${name}?${why}`;
    case 'refund': {
      const amount = request.body.amount ?? request.invoice.amount_paid;
      return `Refund ${formatMoney(amount, request.invoice.currency)} of invoice ${invoiceLabel(request.invoice)} (paid ${formatMoney(request.invoice.amount_paid, request.invoice.currency)}) to ${name}?${why}`;
    }
    case 'trial':
      return `Extend the trial of ${name} from ${formatDate(request.from)} to ${formatDate(request.body.trial_end)}?${why}`;
    case 'retry':
      return `Charge ${formatMoney(leftToPay(request.invoice), request.invoice.currency)} for invoice ${invoiceLabel(request.invoice)} to the card ${name} has on file, now?${why}`;
  }
};

/** "must be more than 0" -> "Must be more than 0." */
export const sentence = (message: string): string => {
  const text = message.trim();
  if (text === '') return text;
  const capital = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

/** The API's words for a refused amount, in money rather than minor units. */
const amountMessage = (message: string, currency: string): string => {
  const between = /between (\d+) and (\d+)/i.exec(message);
  if (between?.[2] !== undefined) return `Enter at most ${formatMoney(Number(between[2]), currency)}, what was paid.`;
  // Stripe's refusal of more than the charge has left: "... greater than unrefunded amount on charge (5900)".
  const left = /unrefunded amount[^(]*\((\d+)\)/i.exec(message);
  if (left?.[1] !== undefined) return `Enter at most ${formatMoney(Number(left[1]), currency)}, what is left to refund.`;
  const max = /at most (\d+) minor units/i.exec(message);
  if (max?.[1] !== undefined) return `Enter at most ${formatMoney(Number(max[1]), currency)}.`;
  if (/more than 0|too small/i.test(message)) return 'Enter an amount of more than 0.';
  if (/integer minor units/i.test(message)) return `Use at most ${currencyDigits(currency)} decimal places.`;
  return sentence(message);
};

/**
 * The API's field errors (`error.details` of a 400) on an action form: beside `amount`,
 * `reason`, `trial_end`, `invoice_id` when the form has that field, `currency` beside its select
 * or else beside the amount (the amount is in that currency); the rest for the form.
 */
export const actionErrors = (issues: readonly FieldIssue[], fields: readonly ActionField[], currency: string): ActionErrors => {
  const found: Partial<Record<ActionField | 'form', string[]>> = {};
  const add = (key: ActionField | 'form', message: string) => (found[key] ??= []).push(message);
  for (const { field, message } of issues) {
    if (field === 'amount' && fields.includes('amount')) add('amount', amountMessage(message, currency));
    else if (field === 'currency' && fields.includes('currency')) add('currency', sentence(message));
    else if (field === 'currency' && fields.includes('amount')) add('amount', `Currency: ${sentence(message)}`);
    else if (field === 'trial_end' && fields.includes('trial_end')) add('trial_end', sentence(readableDates(message)));
    else if ((field === 'reason' || field === 'invoice_id') && fields.includes(field)) add(field, sentence(message));
    else add('form', sentence(field && field !== 'body' ? `${field}: ${message}` : message));
  }
  return Object.fromEntries(Object.entries(found).map(([k, v]) => [k, v.join(' ')]));
};

/** The fields each action's form has. */
export const ACTION_FIELDS: Readonly<Record<ActionKind, readonly ActionField[]>> = {
  credit: ['amount', 'currency', 'reason'],
  refund: ['invoice_id', 'amount', 'reason'],
  trial: ['trial_end', 'reason'],
  retry: ['invoice_id', 'reason'],
};

/** A refusal that is not about a field: a decline (402), a conflict (409), an unknown tenant or invoice (404), or no answer. */
export const formError = (error: unknown): string => {
  const status = statusOf(error);
  const message = error instanceof Error ? sentence(error.message) : String(error);
  if (status === 402) return `Payment declined: ${message}`;
  if (status === 409) return `Not possible now: ${message}`;
  if (status === 404) return `Not found: ${message}`;
  return message;
};

// ---------------------------------------------------------------------------------------------
// Idempotency: one key per confirmed action

export interface Attempt {
  /** What was confirmed (tenant, action, body). */
  readonly what: string;
  readonly key: string;
}

/**
 * The `Idempotency-Key` for a confirmed action: the previous attempt's when it sends the same
 * thing again (its answer never came), else a new one.
 */
export const attemptFor = (previous: Attempt | null, what: string, newKey: () => string): Attempt =>
  previous?.what === what ? previous : { what, key: newKey() };

/**
 * Whether a failed attempt's key is kept for sending the same action again: only when the API
 * may have done it without us hearing (no answer, a 5xx, the same key still in progress). Any
 * other answer is final (a decline included: a retry later is a new attempt, with a new key).
 */
export const keepKeyAfter = (error: unknown): boolean => {
  const status = statusOf(error);
  if (status === null || status === 0 || status >= 500) return true;
  return status === 409 && error instanceof Error && /idempotency-key.*in progress/i.test(error.message);
};

// ---------------------------------------------------------------------------------------------
// What happened: actors, events, payments

export const actorLabel = (actor: EventActor): string => {
  if (actor.type === 'user') return actor.id;
  return actor.type === 'stripe' ? 'Stripe' : 'System';
};

const EVENT_LABELS: Readonly<Record<string, string>> = {
  'admin.credit_granted': 'Credit granted',
  'admin.refund_issued': 'Refund issued',
  'admin.trial_extended': 'Trial extended',
  'admin.payment_retried': 'Payment retried',
  'stripe.invoice.payment_succeeded': 'Payment succeeded',
  'stripe.invoice.payment_failed': 'Payment failed',
  'stripe.invoice.payment_action_required': 'Payment needs authentication',
  'stripe.invoice.paid': 'Invoice paid',
  'stripe.invoice.finalized': 'Invoice finalized',
  'stripe.invoice.created': 'Invoice created',
  'stripe.invoice.updated': 'Invoice updated',
  'stripe.customer.subscription.created': 'Subscription created',
  'stripe.customer.subscription.updated': 'Subscription updated',
  'stripe.customer.subscription.deleted': 'Subscription ended',
  'stripe.customer.subscription.trial_will_end': 'Trial ends soon',
  'billing_details.updated': 'Billing details updated',
  'payment_method.updated': 'Card updated',
  'entitlements.updated': 'Access changed',
  'spend_cap.updated': 'Spend cap changed',
};

/** An audit-trail type in words ("admin.credit_granted" -> "Credit granted"); an unknown type as it is. */
export const eventLabel = (type: string): string => EVENT_LABELS[type] ?? type;

type InvoiceRef = Pick<InvoiceSummary, 'id' | 'number' | 'currency' | 'total' | 'amount_paid' | 'amount_due'>;

const invoiceNamed = (id: string | null, invoices: readonly InvoiceRef[]): string | null => {
  if (!id) return null;
  const invoice = invoices.find((i) => i.id === id);
  return invoice ? invoiceLabel(invoice) : id;
};

/** An event's data in a line: amount, invoice, trial dates, outcome, reason (what it has of them). */
export const eventSummary = (event: AuditEvent, invoices: readonly InvoiceRef[], currency: string | null): string => {
  const d = event.data;
  const parts: string[] = [];
  const money = numberIn(d, 'amount') ?? numberIn(d, 'amount_due');
  const cur = stringIn(d, 'currency') ?? invoices.find((i) => i.id === (stringIn(d, 'invoice_id') ?? stringIn(d, 'object_id')))?.currency ?? currency;
  if (money !== null && cur && event.type.startsWith('admin.')) parts.push(formatMoney(money, cur));
  const invoice = invoiceNamed(stringIn(d, 'invoice_id') ?? (event.type.startsWith('stripe.invoice.') ? stringIn(d, 'object_id') : null), invoices);
  if (invoice) parts.push(`invoice ${invoice}`);
  const from = stringIn(d, 'from');
  const to = stringIn(d, 'to');
  if (event.type === 'admin.trial_extended' && from && to) parts.push(`trial end ${formatDate(from)} → ${formatDate(to)}`);
  const outcome = stringIn(d, 'outcome');
  if (outcome) parts.push(outcome);
  const failure = stringIn(d, 'failure');
  if (failure) parts.push(failure);
  const endingBalance = numberIn(d, 'ending_balance');
  if (event.type === 'admin.credit_granted' && endingBalance !== null && cur) parts.push(`balance ${balanceText(endingBalance, cur)}`);
  const reason = stringIn(d, 'reason');
  if (reason) parts.push(`reason: ${reason}`);
  return parts.join(' · ');
};

/** A Stripe customer balance: negative is credit the next invoices use. */
export const balanceText = (balance: number, currency: string): string =>
  balance < 0 ? `${formatMoney(-balance, currency)} in credit` : balance > 0 ? `${formatMoney(balance, currency)} owed` : formatMoney(0, currency);

export type PaymentTone = 'good' | 'warn' | 'bad';

export interface PaymentRow {
  readonly id: string;
  readonly at: string;
  readonly label: string;
  readonly tone: PaymentTone;
  readonly invoice: string | null;
  readonly amount: string | null;
  readonly detail: string | null;
}

/** One payment or attempt at one, from its audit-trail entry and the invoice it is about. */
export const paymentRow = (event: AuditEvent, invoices: readonly InvoiceRef[]): PaymentRow => {
  const d = event.data;
  const invoiceId = stringIn(d, 'invoice_id') ?? stringIn(d, 'object_id');
  const invoice = invoices.find((i) => i.id === invoiceId);
  const base = { id: event.id, at: event.occurred_at, invoice: invoiceNamed(invoiceId, invoices) };
  const money = (minor: number | null | undefined) => (minor !== null && minor !== undefined && invoice ? formatMoney(minor, invoice.currency) : null);
  switch (event.type) {
    case 'stripe.invoice.payment_succeeded':
      return { ...base, label: 'Paid', tone: 'good', amount: money(invoice?.amount_paid || invoice?.total), detail: null };
    case 'stripe.invoice.payment_failed':
      return { ...base, label: 'Failed', tone: 'bad', amount: money(invoice?.amount_due), detail: null };
    case 'stripe.invoice.payment_action_required':
      return { ...base, label: 'Needs authentication', tone: 'warn', amount: money(invoice?.amount_due), detail: null };
    case 'admin.payment_retried': {
      const paid = stringIn(d, 'outcome') === 'paid';
      const by = actorLabel(event.actor);
      const why = stringIn(d, 'reason');
      return {
        ...base,
        label: paid ? 'Retried: paid' : 'Retried: declined',
        tone: paid ? 'good' : 'bad',
        amount: money(numberIn(d, 'amount_due')),
        detail: [by ? `by ${by}` : null, stringIn(d, 'failure'), why ? `reason: ${why}` : null].filter(Boolean).join(' · ') || null,
      };
    }
    default:
      return { ...base, label: eventLabel(event.type), tone: 'warn', amount: null, detail: null };
  }
};
