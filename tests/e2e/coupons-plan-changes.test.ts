import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * Promotion codes across plan changes, end to end (HTTP, the real Stripe SDK, the local Stripe
 * endpoint, DynamoDB Local, the simulated clock). A downgrade is a subscription schedule whose
 * next phase starts at the period end; a phase that names no discounts takes the customer's, not
 * the subscription's, so the code must be carried into the phases or it is lost at the switch.
 * Every amount is worked out by hand from SPEC prices (USD, US address: no tax) and the catalog's
 * terms.
 */

interface SubscriptionBody {
  plan_id: string;
  current_period_start: string;
  current_period_end: string;
  pending_change: { plan_id: string } | null;
  discount: { code: string | null; ends_at: string | null } | null;
}
interface InvoiceBody {
  id: string;
  billing_reason: string;
  subtotal: number;
  total_discount: number;
  total: number;
  amount_paid: number;
  period_start: string;
  created_at: string;
}
interface ChangeBody {
  kind: string;
  proration_amount: number;
  tax_amount: number;
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-01-01T00:00:00Z') });
});
afterAll(async () => api.stack.stop());

const json = async <T>(res: Response, status: number): Promise<T> => {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
};

const subscribe = async (token: string, planId: string, code: string): Promise<SubscriptionBody> =>
  (
    await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/create', {
        method: 'POST',
        token,
        json: { plan_id: planId, billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa', address: { country: 'US', postal_code: '94107' }, promotion_code: code },
      }),
      201,
    )
  ).subscription;

const current = async (token: string): Promise<SubscriptionBody> =>
  (await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200)).subscription;

const changePlan = async (token: string, planId: string): Promise<{ subscription: SubscriptionBody; change: ChangeBody }> =>
  json(await api.call('/subscriptions/update', { method: 'POST', token, json: { plan_id: planId } }), 200);

/** The tenant's invoices in the order they were made. */
const invoicesOf = async (token: string): Promise<InvoiceBody[]> => {
  const list = await json<{ invoices: InvoiceBody[] }>(await api.call('/invoices?limit=50', { token }), 200);
  return [...list.invoices].sort((a, b) => Date.parse(a.period_start) - Date.parse(b.period_start) || Date.parse(a.created_at) - Date.parse(b.created_at));
};

/** Past the renewal: Stripe's draft is finalized an hour after the period ends, then paid. */
const pastRenewal = async (token: string): Promise<void> => {
  await api.advanceTo(new Date(Date.parse((await current(token)).current_period_end) + 2 * 3_600_000));
};

describe('promotion codes across plan changes (HTTP, real Stripe SDK, local Stripe endpoint)', () => {
  it('keeps PARTNER10 (10% forever) through a downgrade at the period end', async () => {
    const token = await api.token({ tenantId: 'org-partner-down', userId: 'u-partner-down' });
    await subscribe(token, 'professional', 'PARTNER10');
    const down = await changePlan(token, 'starter');
    expect(down.change.kind).toBe('downgrade');
    expect(down.subscription).toMatchObject({ plan_id: 'professional', pending_change: { plan_id: 'starter' }, discount: { code: 'PARTNER10' } });

    await pastRenewal(token);
    await pastRenewal(token);
    expect(await current(token)).toMatchObject({ plan_id: 'starter', pending_change: null, discount: { code: 'PARTNER10', ends_at: null } });
    // Professional 29,900 - 10% (2,990) = 26,910; then Starter 9,900 - 10% (990) = 8,910, every month.
    expect((await invoicesOf(token)).map((i) => [i.billing_reason, i.subtotal, i.total_discount, i.total, i.amount_paid])).toEqual([
      ['subscription_create', 29_900, 2_990, 26_910, 26_910],
      ['subscription_cycle', 9_900, 990, 8_910, 8_910],
      ['subscription_cycle', 9_900, 990, 8_910, 8_910],
    ]);
  });

  it('keeps a code applied while a downgrade is pending, past the switch', async () => {
    const token = await api.token({ tenantId: 'org-code-after-down', userId: 'u-code-after-down' });
    const sub = await subscribe(token, 'professional', 'WELCOME20');
    await changePlan(token, 'starter');
    // PARTNER10 replaces WELCOME20 after the downgrade was scheduled: the schedule must carry it.
    const applied = await json<{ subscription: SubscriptionBody }>(
      await api.call('/subscriptions/update', { method: 'POST', token, json: { promotion_code: 'PARTNER10' } }),
      200,
    );
    expect(applied.subscription).toMatchObject({ pending_change: { plan_id: 'starter' }, discount: { code: 'PARTNER10' } });
    await api.advanceTo(new Date(Date.parse(sub.current_period_end) + 2 * 3_600_000));
    expect(await current(token)).toMatchObject({ plan_id: 'starter', discount: { code: 'PARTNER10' } });
    // Starter 9,900 - 10% (990) = 8,910.
    expect((await invoicesOf(token)).at(-1)).toMatchObject({ billing_reason: 'subscription_cycle', subtotal: 9_900, total_discount: 990, total: 8_910 });
  });

  it('keeps WELCOME20 (20% for 3 months) on the new price after a downgrade, to its own end', async () => {
    const token = await api.token({ tenantId: 'org-welcome-down', userId: 'u-welcome-down' });
    const created = await subscribe(token, 'professional', 'WELCOME20');
    const endsAt = created.discount?.ends_at;
    // Downgrade during month 1: months 2 and 3 are Starter, still within the code's 3 months.
    await api.advanceTo(new Date(Date.parse(created.current_period_start) + 10 * 86_400_000));
    await changePlan(token, 'starter');

    for (let i = 0; i < 3; i += 1) await pastRenewal(token);
    // The discount kept its own end (three months after it was redeemed): the renewal made then is in full.
    const invoices = await invoicesOf(token);
    expect(Date.parse(invoices[3]?.created_at ?? '')).toBe(Date.parse(endsAt ?? ''));
    // Professional 29,900 - 20% (5,980) = 23,920; Starter 9,900 - 20% (1,980) = 7,920 twice; then Starter in full.
    expect(invoices.map((i) => [i.subtotal, i.total_discount, i.total, i.amount_paid])).toEqual([
      [29_900, 5_980, 23_920, 23_920],
      [9_900, 1_980, 7_920, 7_920],
      [9_900, 1_980, 7_920, 7_920],
      [9_900, 0, 9_900, 9_900],
    ]);
    expect((await current(token)).discount).toBeNull();
  });

  it('previews an upgrade with the discount in its prorations, and invoices what it previewed', async () => {
    const token = await api.token({ tenantId: 'org-partner-up', userId: 'u-partner-up' });
    const sub = await subscribe(token, 'starter', 'PARTNER10');
    const half = new Date((Date.parse(sub.current_period_start) + Date.parse(sub.current_period_end)) / 2);
    await api.advanceTo(half);

    const preview = await json<{ change: ChangeBody }>(await api.call('/subscriptions/preview', { method: 'POST', token, json: { plan_id: 'professional' } }), 200);
    // Flexible billing (proration discounts included): each proration is net of the 10%.
    // Credit: half of what the period debited, 9,900 - 990 = 8,910 -> -4,455.
    // Charge: half of Professional net of 10%, 29,900 - 2,990 = 26,910 -> 13,455. Net 9,000
    // (without the discount it would be (29,900 - 9,900) / 2 = 10,000).
    expect(preview.change).toEqual({ kind: 'upgrade', effective_at: half.toISOString(), proration_amount: 9_000, tax_amount: 0 });

    const upgraded = await changePlan(token, 'professional');
    expect(upgraded.change).toMatchObject({ kind: 'upgrade', proration_amount: 9_000 });
    await api.stack.settle();
    const invoices = await invoicesOf(token);
    expect(invoices.map((i) => [i.billing_reason, i.total, i.amount_paid])).toEqual([
      ['subscription_create', 8_910, 8_910],
      ['subscription_update', 9_000, 9_000],
    ]);
  });
});
