import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prorationAmount } from '../../src/domain/subscription';
import { startTestApi, type TestApi } from '../support/local-api';
import { expectJson as json } from '../support/http';

interface SubscriptionBody {
  id: string;
  tenant_id: string;
  plan_id: string;
  billing_cycle: string;
  currency: string;
  status: string;
  trial_end: string | null;
  current_period_start: string;
  current_period_end: string;
  cancel_at_period_end: boolean;
  pending_change: { plan_id: string; billing_cycle: string; effective_at: string } | null;
}
interface InvoiceBody {
  id: string;
  status: string;
  total: number;
  amount_paid: number;
  currency: string;
  lines?: { kind: string; amount: number }[];
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-01-01T00:00:00Z') });
});
afterAll(async () => api.stack.stop());

const unix = (iso: string) => Date.parse(iso) / 1000;

describe('subscription lifecycle (HTTP, real Stripe SDK, local Stripe endpoint, DynamoDB Local)', () => {
  it('trial -> paid -> upgrade -> downgrade at period end -> cancel, undo, cancel now', async () => {
    const token = await api.token({ tenantId: 'org-life', userId: 'u-life' });

    // Create with the default 14-day trial.
    const created = await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/create', {
        method: 'POST',
        token,
        json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', email: 'billing@life.example', payment_method: 'pm_card_visa' },
      }),
      201,
    );
    expect(created.subscription).toMatchObject({ tenant_id: 'org-life', plan_id: 'starter', status: 'trialing', currency: 'usd' });
    expect(created.subscription.trial_end).toBe('2027-01-15T00:00:00.000Z');

    // Past the trial: the first invoice is paid and the subscription is active.
    await api.advanceTo('2027-01-16T00:00:00Z');
    const afterTrial = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200);
    expect(afterTrial.subscription.status).toBe('active');
    expect(afterTrial.subscription.current_period_start).toBe('2027-01-15T00:00:00.000Z');
    expect(afterTrial.subscription.current_period_end).toBe('2027-02-15T00:00:00.000Z');
    const invoices = await json<{ invoices: InvoiceBody[] }>(await api.call('/invoices', { token }), 200);
    const first = invoices.invoices.find((i) => i.total === 9_900);
    expect(first).toMatchObject({ status: 'paid', amount_paid: 9_900, currency: 'usd' });

    // Upgrade at exactly half the period: the prorated difference is invoiced now.
    const { current_period_start: start, current_period_end: end } = afterTrial.subscription;
    const half = new Date((Date.parse(start) + Date.parse(end)) / 2);
    await api.advanceTo(half);
    const preview = await json<{ change: { kind: string; proration_amount: number } }>(
      await api.call('/subscriptions/preview', { method: 'POST', token, json: { plan_id: 'professional' } }),
      200,
    );
    const upgraded = await json<{ subscription: SubscriptionBody; change: { kind: string; proration_amount: number; effective_at: string } }>(
      await api.call('/subscriptions/update', { method: 'POST', token, json: { plan_id: 'professional' } }),
      200,
    );
    const expected = prorationAmount({ oldPrice: 9_900, newPrice: 29_900, periodStart: unix(start), periodEnd: unix(end), at: unix(half.toISOString()) });
    expect(expected).toBe(10_000); // (29,900 - 9,900) / 2, from SPEC prices
    expect(upgraded.change).toMatchObject({ kind: 'upgrade', proration_amount: expected });
    // The preview said exactly what was then invoiced.
    expect(preview.change).toMatchObject({ kind: 'upgrade', proration_amount: expected });
    expect(upgraded.subscription.plan_id).toBe('professional');
    await api.stack.settle();
    const afterUpgrade = await json<{ invoices: InvoiceBody[] }>(await api.call('/invoices', { token }), 200);
    const proration = afterUpgrade.invoices.find((i) => i.total === expected);
    expect(proration?.status).toBe('paid');
    const detail = await json<{ invoice: InvoiceBody }>(await api.call(`/invoices/${proration?.id}`, { token }), 200);
    expect(detail.invoice.lines?.every((l) => l.kind === 'proration')).toBe(true);
    expect(detail.invoice.lines?.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-4_950, 14_950]);

    // Downgrade: effective at period end, shown as pending, applied when the clock passes it.
    const downPreview = await json<{ change: { kind: string; effective_at: string } }>(
      await api.call('/subscriptions/preview', { method: 'POST', token, json: { plan_id: 'starter' } }),
      200,
    );
    expect(downPreview.change).toEqual({ kind: 'downgrade', effective_at: end, proration_amount: 0, tax_amount: 0 });
    const downgraded = await json<{ subscription: SubscriptionBody; change: { kind: string; effective_at: string; proration_amount: number } }>(
      await api.call('/subscriptions/update', { method: 'POST', token, json: { plan_id: 'starter' } }),
      200,
    );
    expect(downgraded.change).toEqual({ kind: 'downgrade', effective_at: end, proration_amount: 0, tax_amount: 0 });
    expect(downgraded.subscription.plan_id).toBe('professional');
    expect(downgraded.subscription.pending_change).toEqual({ plan_id: 'starter', billing_cycle: 'monthly', effective_at: end });
    await api.advanceTo(new Date(Date.parse(end) + 2 * 3600_000));
    const renewed = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200);
    expect(renewed.subscription).toMatchObject({ plan_id: 'starter', status: 'active', pending_change: null, current_period_start: end });
    const renewal = (await json<{ invoices: InvoiceBody[] }>(await api.call('/invoices', { token }), 200)).invoices[0];
    expect(renewal).toMatchObject({ total: 9_900, status: 'paid' });

    // Cancel at period end, undo it, then cancel immediately.
    const cancelAtEnd = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/cancel', { method: 'POST', token, json: {} }), 200);
    expect(cancelAtEnd.subscription).toMatchObject({ cancel_at_period_end: true, status: 'active' });
    const undone = await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/update', { method: 'POST', token, json: { cancel_at_period_end: false } }),
      200,
    );
    expect(undone.subscription.cancel_at_period_end).toBe(false);
    const canceled = await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/cancel', { method: 'POST', token, json: { immediately: true } }),
      200,
    );
    expect(canceled.subscription.status).toBe('canceled');
    await api.stack.settle();
    expect((await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200)).subscription.status).toBe('canceled');

    // A tenant gets one trial in its life, and keeps its currency.
    const secondTrial = await api.call('/subscriptions/create', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 14 } });
    expect(secondTrial.status).toBe(409);
    const otherCurrency = await api.call('/subscriptions/create', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', currency: 'eur' } });
    expect(otherCurrency.status).toBe(409);
    expect(JSON.stringify(await otherCurrency.json())).toMatch(/currency/);
    const again = await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/create', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly' } }),
      201,
    );
    expect(again.subscription).toMatchObject({ status: 'active', trial_end: null });
  });
});

describe('POST /subscriptions/create refusals', () => {
  it('answers 409 for a second live subscription', async () => {
    const token = await api.token({ tenantId: 'org-twice' });
    await json(await api.call('/subscriptions/create', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly' } }), 201);
    const second = await api.call('/subscriptions/create', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'business', billing_cycle: 'annual' } });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('conflict');
  });

  it.each([
    [{ plan_id: 'platinum', billing_cycle: 'monthly' }, 'plan_id'],
    [{ plan_id: 'starter', billing_cycle: 'weekly' }, 'billing_cycle'],
    [{ plan_id: 'starter', billing_cycle: 'monthly', currency: 'jpy' }, 'currency'],
    [{ plan_id: 'starter', billing_cycle: 'monthly', trial_days: 31 }, 'trial_days'],
    [{ billing_cycle: 'monthly' }, 'plan_id'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const token = await api.token({ tenantId: 'org-bad-input' });
    const res = await api.call('/subscriptions/create', { method: 'POST', token, json: body });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { details: { field: string }[] } };
    expect(error.details.map((d) => d.field)).toContain(field);
  });

  it('refuses an unknown payment method with 400 naming it, and a retry reuses the customer it left', async () => {
    const token = await api.token({ tenantId: 'org-bad-pm' });
    const customers = async () => (await api.stripe.customers.list({ limit: 100 })).data.filter((c) => c.metadata.tenant_id === 'org-bad-pm');
    const body = { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, address: { country: 'US', postal_code: '94107' } };
    const refused = await api.call('/subscriptions/create', { method: 'POST', token, json: { ...body, payment_method: 'pm_doesnotexist' } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field)).toEqual(['payment_method']);
    const left = await customers();
    expect(left).toHaveLength(1);
    expect((await api.call('/subscriptions/current', { token })).status).toBe(404);

    const created = await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/create', { method: 'POST', token, json: { ...body, payment_method: 'pm_card_visa' } }),
      201,
    );
    expect((await customers()).map((c) => c.id)).toEqual([left[0]?.id]);
    expect((await api.stripe.subscriptions.retrieve(created.subscription.id)).customer).toBe(left[0]?.id);
  });

  it('replays the first answer for a repeated Idempotency-Key and creates nothing more', async () => {
    const token = await api.token({ tenantId: 'org-idem' });
    const init = { method: 'POST', token, json: { plan_id: 'starter', billing_cycle: 'annual', address: { country: 'US', postal_code: '94107' } }, headers: { 'idempotency-key': 'create-1' } };
    const first = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/create', init), 201);
    const replay = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/create', init), 201);
    expect(replay.subscription.id).toBe(first.subscription.id);
    const customers = await api.stripe.customers.list({ limit: 100 });
    const mine = customers.data.filter((c) => c.metadata.tenant_id === 'org-idem');
    expect(mine).toHaveLength(1);
    const subs = await api.stripe.subscriptions.list({ customer: mine[0]?.id ?? '', status: 'all' });
    expect(subs.data).toHaveLength(1);
    const reused = await api.call('/subscriptions/create', { ...init, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'business', billing_cycle: 'annual' } });
    expect(reused.status).toBe(409);
  });
});

describe('invoices', () => {
  it('answers 404 for another tenant\'s invoice id, never its data', async () => {
    const owner = await api.token({ tenantId: 'org-owner' });
    const other = await api.token({ tenantId: 'org-other' });
    await json(await api.call('/subscriptions/create', { method: 'POST', token: owner, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' } }), 201);
    await api.stack.settle();
    const { invoices } = await json<{ invoices: InvoiceBody[] }>(await api.call('/invoices', { token: owner }), 200);
    const id = invoices[0]?.id ?? '';
    expect(id).toMatch(/^in_/);
    const res = await api.call(`/invoices/${id}`, { token: other });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(id.slice(3));
    expect((await json<{ invoices: InvoiceBody[] }>(await api.call('/invoices', { token: other }), 200)).invoices).toEqual([]);
  });

  it('pages with a cursor and refuses another tenant\'s cursor', async () => {
    const token = await api.token({ tenantId: 'org-owner' });
    // An upgrade gives the owner a second invoice.
    await json(await api.call('/subscriptions/update', { method: 'POST', token, json: { plan_id: 'business' } }), 200);
    const page = await json<{ invoices: InvoiceBody[]; next_cursor: string | null }>(await api.call('/invoices?limit=1', { token }), 200);
    expect(page.invoices).toHaveLength(1);
    expect(page.next_cursor).toEqual(expect.any(String));
    const next = await json<{ invoices: InvoiceBody[] }>(await api.call(`/invoices?limit=1&cursor=${page.next_cursor}`, { token }), 200);
    expect(next.invoices).toHaveLength(1);
    expect(next.invoices[0]?.id).not.toBe(page.invoices[0]?.id);
    const other = await api.token({ tenantId: 'org-other' });
    expect((await api.call(`/invoices?limit=1&cursor=${page.next_cursor}`, { token: other })).status).toBe(400);
  });
});
