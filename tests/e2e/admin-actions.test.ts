import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';
import { expectJson as body } from '../support/http';

/**
 * An operator's actions on a tenant (SPEC section 7): credit, refund, trial extension, payment
 * retry. Each needs a reason and an Idempotency-Key, changes Stripe once however often it is
 * sent, and is recorded in the tenant's audit trail naming the admin.
 */
let api: TestApi;
let admin = '';
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-08-01T00:00:00Z') });
  admin = await api.token({ admin: true, userId: 'ops-ada' });
});
afterAll(async () => api.stack.stop());

const act = (tenantId: string, action: string, json: unknown, key: string | null = randomUUID(), token = admin) =>
  api.call(`/admin/tenants/${tenantId}/${action}`, { method: 'POST', token, json, headers: key ? { 'idempotency-key': key } : {} });

const customerOf = async (tenantId: string) => {
  const customer = (await api.stripe.customers.list({ limit: 100 })).data.find((c) => c.metadata.tenant_id === tenantId);
  if (!customer) throw new Error(`no customer for ${tenantId}`);
  return customer;
};

const trail = async (token: string, type: string) =>
  ((await (await api.call(`/events?type=${type}&limit=100`, { token })).json()) as { events: { actor: unknown; data: Record<string, unknown> }[] }).events;

interface InvoiceRow {
  id: string;
  status: string;
  total: number;
  amount_paid: number;
  amount_due: number;
  billing_reason?: string;
}
const invoices = async (token: string) => ((await (await api.call('/invoices?limit=100', { token })).json()) as { invoices: InvoiceRow[] }).invoices;

describe('POST /admin/tenants/{id}/credit', () => {
  it('credits the customer balance once per key, names the admin and the reason, and the next invoice uses it', async () => {
    const { token } = await api.subscribe('org-credit');
    const key = randomUUID();
    const first = await body<{ credit: { amount: number; ending_balance: number } }>(await act('org-credit', 'credit', { amount: 2_500, currency: 'usd', reason: 'outage on 3 Aug' }, key), 200);
    expect(first.credit).toMatchObject({ amount: 2_500, currency: 'usd', reason: 'outage on 3 Aug', ending_balance: -2_500 });
    // The same click again: the same answer, no second credit.
    expect(await body(await act('org-credit', 'credit', { amount: 2_500, currency: 'usd', reason: 'outage on 3 Aug' }, key), 200)).toEqual(first);
    expect((await customerOf('org-credit')).balance).toBe(-2_500);

    const events = await trail(token, 'admin.credit_granted');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { type: 'user', id: 'ops-ada' }, data: { amount: 2_500, reason: 'outage on 3 Aug' } });

    // The renewal: $99.00 less the $25.00 credit (US address: no tax) = $74.00 due.
    await api.advanceTo('2027-09-01T03:00:00Z');
    const renewal = (await invoices(token)).find((i) => i.total === 9_900 && i.id !== undefined && i.status === 'paid' && i.amount_paid === 7_400);
    expect(renewal, JSON.stringify(await invoices(token))).toBeDefined();
    expect((await customerOf('org-credit')).balance).toBe(0);
  });

  it('refuses what is malformed, unkeyed, not an admin, another currency or an unknown tenant', async () => {
    await api.subscribe('org-credit-refusals');
    const ok = { amount: 100, currency: 'usd', reason: 'goodwill' };
    expect(JSON.stringify(await body(await act('org-credit-refusals', 'credit', ok, null), 400))).toContain('Idempotency-Key');
    expect(JSON.stringify(await body(await act('org-credit-refusals', 'credit', { amount: 100, currency: 'usd' }), 400))).toContain('reason');
    expect(JSON.stringify(await body(await act('org-credit-refusals', 'credit', { ...ok, amount: 1.5 }), 400))).toContain('amount');
    expect(JSON.stringify(await body(await act('org-credit-refusals', 'credit', { ...ok, amount: -5 }), 400))).toContain('amount');
    expect(JSON.stringify(await body(await act('org-credit-refusals', 'credit', { ...ok, currency: 'eur' }), 400))).toContain('currency');
    await body(await act('org-credit-refusals', 'credit', ok, randomUUID(), await api.token({ tenantId: 'org-credit-refusals' })), 403);
    await body(await act('org-nobody', 'credit', ok), 404);
    expect((await customerOf('org-credit-refusals')).balance).toBe(0);
  });
});

describe('POST /admin/tenants/{id}/trial', () => {
  it('moves a trial end once a week at most, and never backwards', async () => {
    const { token } = await api.subscribe('org-trial', { trial_days: 7 });
    const sub = ((await (await api.call('/subscriptions/current', { token })).json()) as { subscription: { trial_end: string } }).subscription;
    const later = new Date(Date.parse(sub.trial_end) + 7 * 86_400_000).toISOString();

    await body(await act('org-trial', 'trial', { trial_end: new Date(Date.parse(sub.trial_end) - 86_400_000).toISOString(), reason: 'evaluation' }), 400);
    const moved = await body<{ trial_end: string }>(await act('org-trial', 'trial', { trial_end: later, reason: 'security review takes longer' }), 200);
    expect(moved.trial_end).toBe(later);
    await api.stack.settle();
    const after = ((await (await api.call('/subscriptions/current', { token })).json()) as { subscription: { trial_end: string; status: string } }).subscription;
    expect(after).toMatchObject({ status: 'trialing', trial_end: later });
    const inStripe = (await api.stripe.subscriptions.list({ customer: (await customerOf('org-trial')).id })).data[0];
    expect(inStripe?.trial_end).toBe(Date.parse(later) / 1000);

    // A second extension within the week is refused.
    const again = new Date(Date.parse(later) + 86_400_000).toISOString();
    await body(await act('org-trial', 'trial', { trial_end: again, reason: 'one more week' }), 409);
    expect(await trail(token, 'admin.trial_extended')).toHaveLength(1);
    // A subscription that is not trialing cannot have its trial extended.
    await api.subscribe('org-no-trial');
    await body(await act('org-no-trial', 'trial', { trial_end: later, reason: 'evaluation' }), 409);
  });
});

describe('POST /admin/tenants/{id}/retry-payment', () => {
  it('pays an open invoice now with the new card (access back at once), and answers 402 when the card still fails', async () => {
    const { token } = await api.subscribe('org-retry', { trial_days: 3, payment_method: 'pm_card_chargeCustomerFail' });
    const trialEnd = ((await (await api.call('/subscriptions/current', { token })).json()) as { subscription: { trial_end: string } }).subscription.trial_end;
    await api.advanceTo(new Date(Date.parse(trialEnd) + 2 * 3_600_000));
    const open = (await invoices(token)).find((i) => i.status === 'open');
    expect(open).toBeDefined();
    const invoiceId = open?.id ?? '';

    // Still the failing card: declined, recorded, nothing paid.
    const declined = await act('org-retry', 'retry-payment', { invoice_id: invoiceId, reason: 'customer asked' });
    expect(declined.status).toBe(402);
    // Another tenant's (or no) invoice id: 404; a paid invoice cannot be paid again.
    await body(await act('org-retry', 'retry-payment', { invoice_id: 'in_nope' }), 404);

    const customer = await customerOf('org-retry');
    const visa = await api.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await api.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
    const subs = await api.stripe.subscriptions.list({ customer: customer.id });
    await api.stripe.subscriptions.update(subs.data[0]?.id ?? '', { default_payment_method: visa.id });

    const paid = await body<{ invoice: { status: string; amount_due: number } }>(await act('org-retry', 'retry-payment', { invoice_id: invoiceId, reason: 'new card on file' }), 200);
    expect(paid.invoice.status).toBe('paid');
    await api.stack.settle();
    expect(((await (await api.call('/entitlements', { token })).json()) as { access: string; status: string })).toMatchObject({ status: 'active', access: 'full' });
    await body(await act('org-retry', 'retry-payment', { invoice_id: invoiceId }), 409);
    const retried = await trail(token, 'admin.payment_retried');
    expect(retried.map((e) => e.data.outcome).sort()).toEqual(['failed', 'paid']);
  });
});

describe('POST /admin/tenants/{id}/refund', () => {
  it('refunds part of a paid invoice through a credit note, once per key, never more than was paid', async () => {
    const { token } = await api.subscribe('org-refund');
    const paid = (await invoices(token)).find((i) => i.status === 'paid' && i.amount_paid === 9_900);
    expect(paid).toBeDefined();
    const invoiceId = paid?.id ?? '';

    await body(await act('org-refund', 'refund', { invoice_id: invoiceId, amount: 9_901, reason: 'too much' }), 400);
    const key = randomUUID();
    const first = await body<{ refund: { amount: number; credit_note_id: string } }>(await act('org-refund', 'refund', { invoice_id: invoiceId, amount: 4_000, reason: 'partial outage' }, key), 200);
    expect(first.refund).toMatchObject({ amount: 4_000, invoice_id: invoiceId, currency: 'usd', reason: 'partial outage' });
    expect(await body(await act('org-refund', 'refund', { invoice_id: invoiceId, amount: 4_000, reason: 'partial outage' }, key), 200)).toEqual(first);

    const note = await api.stripe.creditNotes.retrieve(first.refund.credit_note_id);
    expect(note).toMatchObject({ invoice: invoiceId, total: 4_000 });
    const refunds = await api.stripe.refunds.list({ limit: 100 });
    expect(refunds.data.filter((r) => r.amount === 4_000)).toHaveLength(1);

    // 5,900 is left to refund: 6,000 more is refused, 5,900 is taken.
    await body(await act('org-refund', 'refund', { invoice_id: invoiceId, amount: 6_000, reason: 'the rest and more' }), 400);
    await body(await act('org-refund', 'refund', { invoice_id: invoiceId, reason: 'the rest' }), 400);
    await body(await act('org-refund', 'refund', { invoice_id: invoiceId, amount: 5_900, reason: 'the rest' }), 200);
    const events = await trail(token, 'admin.refund_issued');
    expect(events.map((e) => e.data.amount).sort()).toEqual([4_000, 5_900]);
    expect(events.every((e) => JSON.stringify(e.actor) === JSON.stringify({ type: 'user', id: 'ops-ada' }))).toBe(true);
    // Another tenant's invoice id is not found under this tenant.
    await api.subscribe('org-refund-other');
    await body(await act('org-refund-other', 'refund', { invoice_id: invoiceId, amount: 100, reason: 'wrong tenant' }), 404);
  });
});
