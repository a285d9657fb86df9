import { describe, expect, it } from 'vitest';
import type { AuditEvent, InvoiceSummary, Subscription, TenantSummary } from '../../../web/src/api/types';
import {
  actionErrors,
  actionRequest,
  attemptFor,
  balanceText,
  confirmQuestion,
  eventSummary,
  formError,
  keepKeyAfter,
  paymentRow,
  reasonProblem,
  refundDefault,
  refundedSoFar,
  searchCriteria,
  sentence,
  tenantName,
  trialDefaultDay,
  trialEndOn,
  type ActionForm,
} from '../../../web/src/admin';
import { formatDate } from '../../../web/src/format';

// The Admin tab's own logic (web/src/admin.ts): amounts typed in major units become integer minor
// units without a float, each action is checked as the API checks it, and the API's errors land
// beside the fields they name.

const tenant = (over: Partial<TenantSummary> = {}): TenantSummary => ({
  tenant_id: 'org-acme',
  name: 'Acme Networks',
  email: 'billing@acme.example',
  country: 'US',
  status: 'active',
  access: 'full',
  plan_id: 'starter',
  billing_cycle: 'monthly',
  currency: 'usd',
  mrr: 9_900,
  open_balance: 0,
  ...over,
});

const invoice = (over: Partial<InvoiceSummary> = {}): InvoiceSummary => ({
  id: 'in_paid',
  number: 'ACME-0001',
  status: 'paid',
  currency: 'usd',
  subtotal: 9_900,
  total_excluding_tax: 9_900,
  tax: 0,
  total: 9_900,
  taxes: [],
  reverse_charge: false,
  amount_paid: 9_900,
  amount_due: 9_900,
  period_start: '2027-10-01T00:00:00.000Z',
  period_end: '2027-11-01T00:00:00.000Z',
  hosted_invoice_url: null,
  invoice_pdf: null,
  created_at: '2027-10-01T00:00:00.000Z',
  subscription_id: 'sub_1',
  billing_reason: 'subscription_cycle',
  total_discount: 0,
  discounts: [],
  attempt_count: 1,
  next_payment_attempt: null,
  ...over,
});
const paid = invoice();
const open = invoice({ id: 'in_open', number: 'ACME-0002', status: 'open', amount_paid: 0, amount_due: 12_000, total: 12_000 });

const trialing: Subscription = {
  id: 'sub_1',
  tenant_id: 'org-acme',
  plan_id: 'starter',
  billing_cycle: 'monthly',
  currency: 'usd',
  status: 'trialing',
  trial_end: '2027-10-15T00:30:00.000Z',
  current_period_start: '2027-10-01T00:30:00.000Z',
  current_period_end: '2027-10-15T00:30:00.000Z',
  cancel_at_period_end: false,
  canceled_at: null,
  pending_change: null,
  created_at: '2027-10-01T00:30:00.000Z',
} as Subscription;

/** What `ApiError` (web/src/api/client.ts) carries: the HTTP status, 0 when no answer came. */
const apiError = (status: number, message: string) => Object.assign(new Error(message), { status });

const form = (over: Partial<ActionForm> = {}): ActionForm => ({ amount: '', currency: '', invoice_id: '', date: '', reason: '', ...over });
const ctx = { tenant: tenant(), subscription: null, invoices: [paid, open] };

const event = (type: string, data: Record<string, unknown>, over: Partial<AuditEvent> = {}): AuditEvent => ({
  id: `${type}:1`,
  tenant_id: 'org-acme',
  type,
  actor: { type: 'system' },
  occurred_at: '2027-10-02T10:00:00.000Z',
  data,
  ...over,
});

describe('the tenant search', () => {
  it('sends only the criteria given, the query trimmed', () => {
    expect(searchCriteria({ query: '  Acme ', status: '', plan_id: '' })).toEqual({ query: 'Acme' });
    expect(searchCriteria({ query: '   ', status: 'trialing', plan_id: 'starter' })).toEqual({ status: 'trialing', plan_id: 'starter' });
    expect(searchCriteria({ query: '', status: 'bogus', plan_id: '' })).toEqual({});
    expect(searchCriteria({ query: 'x'.repeat(300), status: '', plan_id: '' }).query).toHaveLength(200);
  });

  it('names a tenant by its billing name, else its id', () => {
    expect(tenantName(tenant())).toBe('Acme Networks');
    expect(tenantName(tenant({ name: null }))).toBe('org-acme');
    expect(tenantName(tenant({ name: '  ' }))).toBe('org-acme');
  });
});

describe('a credit', () => {
  it('reads the amount in dollars as integer cents, and asks to confirm amount, tenant and reason', () => {
    const checked = actionRequest('credit', form({ amount: '25', reason: ' outage ' }), ctx);
    expect(checked).toEqual({ ok: true, request: { kind: 'credit', body: { amount: 2_500, currency: 'usd', reason: 'outage' } } });
    if (!checked.ok) throw new Error('refused');
    expect(confirmQuestion(checked.request, 'Acme Networks')).toBe('Credit $25.00 to Acme Networks? Reason: outage');
    expect(actionRequest('credit', form({ amount: '1,234.56', reason: 'goodwill' }), ctx)).toMatchObject({ ok: true, request: { body: { amount: 123_456 } } });
    // 0.1 + 0.2 would be 0.30000000000000004 in floats; typed "0.30" is 30 cents exactly.
    expect(actionRequest('credit', form({ amount: '0.30', reason: 'goodwill' }), ctx)).toMatchObject({ ok: true, request: { body: { amount: 30 } } });
  });

  it('refuses a missing reason, a zero or malformed amount, beside each field', () => {
    expect(actionRequest('credit', form({ amount: '25' }), ctx)).toEqual({ ok: false, errors: { reason: expect.stringMatching(/^Say why/) } });
    expect(actionRequest('credit', form({ amount: '25', reason: 'ok' }), ctx)).toEqual({ ok: false, errors: { reason: 'Say why in at least 3 characters.' } });
    expect(actionRequest('credit', form({ amount: '0', reason: 'outage' }), ctx)).toEqual({ ok: false, errors: { amount: 'Enter an amount of more than 0.' } });
    expect(actionRequest('credit', form({ amount: '12.345', reason: 'outage' }), ctx)).toEqual({ ok: false, errors: { amount: 'Use at most 2 decimal places.' } });
    expect(actionRequest('credit', form({ amount: '', reason: '' }), ctx)).toMatchObject({ ok: false, errors: { amount: expect.any(String), reason: expect.any(String) } });
  });

  it('asks for the currency of a tenant not billed in one yet', () => {
    const none = { ...ctx, tenant: tenant({ currency: null }) };
    expect(actionRequest('credit', form({ amount: '10', reason: 'goodwill' }), none)).toEqual({ ok: false, errors: { currency: 'Choose the currency of the credit.' } });
    expect(actionRequest('credit', form({ amount: '10', currency: 'eur', reason: 'goodwill' }), none)).toMatchObject({ ok: true, request: { body: { amount: 1_000, currency: 'eur' } } });
  });
});

describe('a refund', () => {
  it('refunds part of a paid invoice, never more than was paid', () => {
    const checked = actionRequest('refund', form({ invoice_id: 'in_paid', amount: '40', reason: 'partial outage' }), ctx);
    expect(checked).toMatchObject({ ok: true, request: { kind: 'refund', body: { invoice_id: 'in_paid', amount: 4_000, reason: 'partial outage' } } });
    if (!checked.ok) throw new Error('refused');
    expect(confirmQuestion(checked.request, 'Acme Networks')).toBe('Refund $40.00 of invoice ACME-0001 (paid $99.00) to Acme Networks? Reason: partial outage');
    expect(actionRequest('refund', form({ invoice_id: 'in_paid', amount: '99.01', reason: 'too much' }), ctx)).toEqual({
      ok: false,
      errors: { amount: 'Enter at most $99.00, what was paid.' },
    });
    // An open invoice is not refundable.
    expect(actionRequest('refund', form({ invoice_id: 'in_open', amount: '10', reason: 'nope' }), ctx)).toEqual({ ok: false, errors: { invoice_id: 'Choose a paid invoice.' } });
  });

  it('starts from what was paid, less the refunds the audit trail shows', () => {
    const events = [
      event('admin.refund_issued', { invoice_id: 'in_paid', amount: 4_000 }),
      event('admin.refund_issued', { invoice_id: 'in_other', amount: 1_000 }),
      event('admin.credit_granted', { amount: 500 }),
    ];
    expect(refundedSoFar('in_paid', events)).toBe(4_000);
    expect(refundDefault(paid, events)).toBe(5_900);
    expect(refundDefault(paid, [])).toBe(9_900);
    expect(refundDefault(paid, [event('admin.refund_issued', { invoice_id: 'in_paid', amount: 20_000 })])).toBe(0);
  });
});

describe('a trial extension', () => {
  it('ends on the chosen day at the current trial end’s time of day (UTC)', () => {
    expect(trialEndOn('2027-10-22', '2027-10-15T00:30:00.000Z')).toBe('2027-10-22T00:30:00.000Z');
    expect(trialEndOn('2027-02-30', '2027-10-15T00:30:00.000Z')).toBeNull();
    expect(trialEndOn('', '2027-10-15T00:30:00.000Z')).toBeNull();
    expect(trialDefaultDay('2027-10-15T00:30:00.000Z')).toBe('2027-10-22');
  });

  it('moves the trial only later, and says from when to when', () => {
    const trial = { ...ctx, subscription: trialing };
    const checked = actionRequest('trial', form({ date: '2027-10-22', reason: 'security review' }), trial);
    expect(checked).toMatchObject({ ok: true, request: { body: { trial_end: '2027-10-22T00:30:00.000Z', reason: 'security review' } } });
    if (!checked.ok) throw new Error('refused');
    expect(confirmQuestion(checked.request, 'Acme')).toBe(
      `Extend the trial of Acme from ${formatDate('2027-10-15T00:30:00Z')} to ${formatDate('2027-10-22T00:30:00Z')}? Reason: security review`,
    );
    expect(actionRequest('trial', form({ date: '2027-10-15', reason: 'security review' }), trial)).toEqual({
      ok: false,
      errors: { trial_end: `Choose a day after the current trial end, ${formatDate('2027-10-15T00:30:00Z')}.` },
    });
    expect(actionRequest('trial', form({ date: '2027-10-22', reason: 'x' }), ctx)).toMatchObject({ ok: false, errors: { form: expect.stringContaining('trialing') } });
  });
});

describe('a payment retry', () => {
  it('charges an open invoice; the reason may be left out', () => {
    const checked = actionRequest('retry', form({ invoice_id: 'in_open' }), ctx);
    expect(checked).toEqual({ ok: true, request: { kind: 'retry', body: { invoice_id: 'in_open' }, invoice: open } });
    if (!checked.ok) throw new Error('refused');
    expect(confirmQuestion(checked.request, 'Acme')).toBe('Charge $120.00 for invoice ACME-0002 to the card Acme has on file, now?');
    expect(actionRequest('retry', form({ invoice_id: 'in_paid' }), ctx)).toEqual({ ok: false, errors: { invoice_id: 'Choose an open invoice.' } });
    expect(actionRequest('retry', form({ invoice_id: 'in_open', reason: 'no' }), ctx)).toMatchObject({ ok: false, errors: { reason: expect.any(String) } });
  });
});

describe('the API’s errors', () => {
  it('go beside the field they name, amounts in money, the rest to the form', () => {
    expect(actionErrors([{ field: 'reason', message: 'say why, in a few words' }], ['amount', 'reason'], 'usd')).toEqual({ reason: 'Say why, in a few words.' });
    expect(actionErrors([{ field: 'amount', message: 'must be between 1 and 9900, what was paid' }], ['invoice_id', 'amount', 'reason'], 'usd')).toEqual({
      amount: 'Enter at most $99.00, what was paid.',
    });
    expect(actionErrors([{ field: 'amount', message: 'at most 100000000 minor units' }], ['amount'], 'usd')).toEqual({ amount: 'Enter at most $1,000,000.00.' });
    expect(actionErrors([{ field: 'amount', message: 'Refund amount (6000) is greater than unrefunded amount on charge (5900).' }], ['amount'], 'usd')).toEqual({
      amount: 'Enter at most $59.00, what is left to refund.',
    });
    // A currency the form does not ask for is about the amount (typed in it).
    expect(actionErrors([{ field: 'currency', message: 'must be usd, the currency this tenant is billed in' }], ['amount', 'reason'], 'usd')).toEqual({
      amount: 'Currency: Must be usd, the currency this tenant is billed in.',
    });
    expect(actionErrors([{ field: 'currency', message: 'a currency code' }], ['amount', 'currency', 'reason'], 'usd')).toEqual({ currency: 'A currency code.' });
    expect(actionErrors([{ field: 'trial_end', message: 'must be after the current trial end, 2027-10-15T00:30:00.000Z' }], ['trial_end', 'reason'], 'usd')).toEqual({
      trial_end: `Must be after the current trial end, ${formatDate('2027-10-15T00:00:00Z')}.`,
    });
    expect(actionErrors([{ field: 'Idempotency-Key', message: 'required on admin actions' }], ['amount'], 'usd')).toEqual({ form: 'Idempotency-Key: required on admin actions.' });
    expect(actionErrors([{ field: 'invoice_id', message: 'required' }], ['amount', 'reason'], 'usd')).toEqual({ form: 'Invoice_id: required.' });
  });

  it('say what a 402, 409 or 404 means', () => {
    expect(formError(apiError(402, 'Your card was declined.'))).toBe('Payment declined: Your card was declined.');
    expect(formError(apiError(409, "This tenant's trial was extended in the last 7 days; once a week at most"))).toBe(
      "Not possible now: This tenant's trial was extended in the last 7 days; once a week at most.",
    );
    expect(formError(apiError(404, 'No invoice in_x of tenant org-acme'))).toBe('Not found: No invoice in_x of tenant org-acme.');
    expect(sentence('ok!')).toBe('Ok!');
  });

  it('checks a reason as the API does', () => {
    expect(reasonProblem('outage')).toBeNull();
    expect(reasonProblem('  ')).toMatch(/^Say why/);
    expect(reasonProblem('', false)).toBeNull();
    expect(reasonProblem('x'.repeat(501))).toBe('Keep the reason to 500 characters (it has 501).');
  });
});

describe('the Idempotency-Key of a confirmed action', () => {
  it('is kept to send the same action again when no answer came, and new otherwise', () => {
    let n = 0;
    const key = () => `key-${++n}`;
    const first = attemptFor(null, 'credit 2500', key);
    expect(first).toEqual({ what: 'credit 2500', key: 'key-1' });
    expect(attemptFor(first, 'credit 2500', key)).toBe(first);
    expect(attemptFor(first, 'credit 3000', key).key).toBe('key-2');

    expect(keepKeyAfter(apiError(0, 'unreachable'))).toBe(true);
    expect(keepKeyAfter(apiError(502, 'bad gateway'))).toBe(true);
    expect(keepKeyAfter(apiError(409, 'A request with this Idempotency-Key is still in progress'))).toBe(true);
    expect(keepKeyAfter(apiError(402, 'declined'))).toBe(false);
    expect(keepKeyAfter(apiError(409, 'Only an open invoice can be paid'))).toBe(false);
    expect(keepKeyAfter(apiError(400, 'Invalid refund'))).toBe(false);
  });
});

describe('events and payments in words', () => {
  it('summarises an admin event with its amount, invoice, balance and reason', () => {
    expect(eventSummary(event('admin.credit_granted', { amount: 2_500, currency: 'usd', reason: 'outage', ending_balance: -2_500 }), [], 'usd')).toBe(
      '$25.00 · balance $25.00 in credit · reason: outage',
    );
    expect(eventSummary(event('admin.refund_issued', { invoice_id: 'in_paid', amount: 4_000, currency: 'usd', reason: 'partial outage' }), [paid], 'usd')).toBe(
      '$40.00 · invoice ACME-0001 · reason: partial outage',
    );
    expect(eventSummary(event('stripe.invoice.paid', { object_id: 'in_paid', stripe_event_id: 'evt_1' }), [paid], 'usd')).toBe('invoice ACME-0001');
    expect(eventSummary(event('entitlements.updated', { access: 'full' }), [], 'usd')).toBe('');
  });

  it('reads a payment, a failure and an admin retry with its outcome', () => {
    expect(paymentRow(event('stripe.invoice.payment_succeeded', { object_id: 'in_paid' }), [paid])).toMatchObject({ label: 'Paid', tone: 'good', amount: '$99.00', invoice: 'ACME-0001' });
    expect(paymentRow(event('stripe.invoice.payment_failed', { object_id: 'in_open' }), [open])).toMatchObject({ label: 'Failed', tone: 'bad', amount: '$120.00' });
    expect(
      paymentRow(
        event('admin.payment_retried', { invoice_id: 'in_open', outcome: 'failed', amount_due: 12_000, failure: 'Your card was declined.', reason: 'asked' }, { actor: { type: 'user', id: 'ops-1' } }),
        [open],
      ),
    ).toMatchObject({ label: 'Retried: declined', tone: 'bad', amount: '$120.00', detail: 'by ops-1 · Your card was declined. · reason: asked' });
    expect(balanceText(-2_500, 'usd')).toBe('$25.00 in credit');
    expect(balanceText(300, 'usd')).toBe('$3.00 owed');
  });
});
