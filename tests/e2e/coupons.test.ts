import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';
import { expectJson as json } from '../support/http';

/**
 * Promotion codes end to end: HTTP API, the real Stripe SDK, the local Stripe endpoint (the
 * discount catalog synced at start, as `npm start` does), DynamoDB Local and the simulated clock.
 * Every expected amount is worked out by hand from SPEC prices and the catalog's terms.
 */

interface Discount {
  code: string | null;
  coupon_id: string;
  name: string | null;
  percent_off?: number;
  amount_off?: number;
  duration: string;
  ends_at: string | null;
}
interface SubscriptionBody {
  id: string;
  currency: string;
  current_period_end: string;
  discount: Discount | null;
}
interface InvoiceBody {
  id: string;
  billing_reason: string;
  status: string;
  subtotal: number;
  total_discount: number;
  discounts: { name: string | null; code: string | null; amount: number }[];
  tax: number;
  total: number;
  amount_paid: number;
  period_start: string;
  created_at: string;
  lines?: { kind: string; amount: number; discount_amount: number }[];
}
interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-01-01T00:00:00Z') });
});
afterAll(async () => api.stack.stop());

const US = { country: 'US', postal_code: '94107' };
const GB = { country: 'GB', postal_code: 'SW1A 1AA' };

const create = (token: string, body: Record<string, unknown>, key?: string) =>
  api.call('/subscriptions/create', {
    method: 'POST',
    token,
    json: { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa', address: US, ...body },
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  });

/** The tenant's invoices in the order they were made, with their lines (`GET /invoices/{id}`). */
const invoicesOf = async (token: string): Promise<InvoiceBody[]> => {
  const list = await json<{ invoices: InvoiceBody[] }>(await api.call('/invoices?limit=50', { token }), 200);
  const sorted = [...list.invoices].sort((a, b) => Date.parse(a.period_start) - Date.parse(b.period_start) || Date.parse(a.created_at) - Date.parse(b.created_at));
  return Promise.all(sorted.map(async (i) => (await json<{ invoice: InvoiceBody }>(await api.call(`/invoices/${i.id}`, { token }), 200)).invoice));
};

const timesRedeemed = async (code: string): Promise<number> => (await api.stripe.promotionCodes.list({ code })).data[0]?.times_redeemed ?? -1;

/** Past a renewal: Stripe's draft is finalized an hour after the period ends, then paid. */
const pastRenewal = async (token: string): Promise<void> => {
  const { subscription } = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200);
  await api.advanceTo(new Date(Date.parse(subscription.current_period_end) + 2 * 3_600_000));
};

const refusedField = async (res: Response): Promise<{ field: string | undefined; message: string }> => {
  const body = await json<ErrorBody>(res, 400);
  return { field: body.error.details?.[0]?.field, message: body.error.details?.[0]?.message ?? body.error.message };
};

describe('promotion codes on subscriptions (HTTP, real Stripe SDK, local Stripe endpoint, DynamoDB Local)', () => {
  it('WELCOME20 takes 20% off the first three monthly invoices; the fourth is in full', async () => {
    const token = await api.token({ tenantId: 'org-welcome', userId: 'u-welcome' });
    const before = await timesRedeemed('WELCOME20');
    const created = await json<{ subscription: SubscriptionBody }>(await create(token, { promotion_code: 'welcome20' }, 'create-welcome'), 201);
    expect(created.subscription.discount).toEqual({
      code: 'WELCOME20',
      coupon_id: 'welcome20',
      name: 'Welcome: 20% off for 3 months',
      percent_off: 20,
      duration: 'repeating',
      ends_at: '2027-04-01T00:00:00.000Z',
    });
    // A replay of the same request (same Idempotency-Key) answers the same and redeems nothing more.
    const replay = await json<{ subscription: SubscriptionBody }>(await create(token, { promotion_code: 'welcome20' }, 'create-welcome'), 201);
    expect(replay.subscription.id).toBe(created.subscription.id);
    await api.stack.settle();
    expect(await timesRedeemed('WELCOME20')).toBe(before + 1);

    for (let i = 0; i < 3; i += 1) await pastRenewal(token);
    const invoices = await invoicesOf(token);
    // Starter USD 9,900 a month; 20% of 9,900 = 1,980; no US tax (SPEC 4a).
    expect(invoices.map((i) => [i.subtotal, i.total_discount, i.total, i.amount_paid])).toEqual([
      [9_900, 1_980, 7_920, 7_920],
      [9_900, 1_980, 7_920, 7_920],
      [9_900, 1_980, 7_920, 7_920],
      [9_900, 0, 9_900, 9_900],
    ]);
    expect(invoices[0]?.discounts).toEqual([{ name: 'Welcome: 20% off for 3 months', code: 'WELCOME20', amount: 1_980 }]);
    expect(invoices[0]?.lines?.map((l) => [l.kind, l.amount, l.discount_amount])).toEqual([['subscription', 9_900, 1_980]]);
    expect(invoices[3]?.discounts).toEqual([]);
    const after = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200);
    expect(after.subscription.discount).toBeNull();
  });

  it('LAUNCH takes 50.00 off the first invoice once, before tax, in the tenant currency (GBP)', async () => {
    const token = await api.token({ tenantId: 'org-launch', userId: 'u-launch' });
    const created = await json<{ subscription: SubscriptionBody }>(
      await create(token, { currency: 'gbp', address: GB, promotion_code: 'LAUNCH' }),
      201,
    );
    // Without a trial the first invoice is made at once and uses the `once` discount up (as in Stripe).
    expect(created.subscription.discount).toBeNull();
    await pastRenewal(token);
    const [first, second] = await invoicesOf(token);
    // Starter GBP 7,900 - 5,000 = 2,900; UK VAT 20% of 2,900 = 580; total 3,480.
    expect(first).toMatchObject({ subtotal: 7_900, total_discount: 5_000, tax: 580, total: 3_480, amount_paid: 3_480 });
    expect(first?.discounts).toEqual([{ name: 'Launch: 50 off the first invoice', code: 'LAUNCH', amount: 5_000 }]);
    // Used up: 7,900 + 20% VAT 1,580 = 9,480.
    expect(second).toMatchObject({ billing_reason: 'subscription_cycle', subtotal: 7_900, total_discount: 0, tax: 1_580, total: 9_480 });
    const after = await json<{ subscription: SubscriptionBody }>(await api.call('/subscriptions/current', { token }), 200);
    expect(after.subscription.discount).toBeNull();
  });

  it('keeps a once code through a trial, for the first paid invoice', async () => {
    const token = await api.token({ tenantId: 'org-launch-trial', userId: 'u-launch-trial' });
    const created = await json<{ subscription: SubscriptionBody }>(await create(token, { trial_days: 7, promotion_code: 'LAUNCH' }), 201);
    expect(created.subscription.discount).toEqual({ code: 'LAUNCH', coupon_id: 'launch', name: 'Launch: 50 off the first invoice', amount_off: 5_000, duration: 'once', ends_at: null });
    await pastRenewal(token);
    const [trial, firstPaid] = await invoicesOf(token);
    expect(trial).toMatchObject({ total: 0, total_discount: 0 });
    // Starter USD 9,900 - 5,000 = 4,900 (no US tax).
    expect(firstPaid).toMatchObject({ subtotal: 9_900, total_discount: 5_000, total: 4_900, amount_paid: 4_900 });
  });

  it('refuses an unknown code with a 400 naming promotion_code, and creates nothing', async () => {
    const token = await api.token({ tenantId: 'org-unknown-code', userId: 'u-unknown' });
    expect(await refusedField(await create(token, { promotion_code: 'NOSUCHCODE' }))).toEqual({ field: 'promotion_code', message: 'no promotion code NOSUCHCODE' });
    expect(await refusedField(await create(token, { promotion_code: 'no spaces!' }))).toMatchObject({ field: 'promotion_code' });
    await json<ErrorBody>(await api.call('/subscriptions/current', { token }), 404);
    const subscriptions = await api.stripe.subscriptions.list({ status: 'all', limit: 100 });
    expect(subscriptions.data.filter((s) => s.metadata['tenant_id'] === 'org-unknown-code')).toEqual([]);
  });

  it('refuses a code whose amount is in another currency (SUMMIT100 is USD only) for a GBP tenant', async () => {
    const token = await api.token({ tenantId: 'org-summit-gbp', userId: 'u-summit' });
    const before = await timesRedeemed('SUMMIT100');
    const refused = await refusedField(await create(token, { currency: 'gbp', address: GB, promotion_code: 'SUMMIT100' }));
    expect(refused).toEqual({ field: 'promotion_code', message: 'SUMMIT100 cannot be used in GBP; it takes an amount off in USD only' });
    await json<ErrorBody>(await api.call('/subscriptions/current', { token }), 404);
    expect(await timesRedeemed('SUMMIT100')).toBe(before);
  });

  it('applies a code on update from the next invoice; a replay changes nothing', async () => {
    const token = await api.token({ tenantId: 'org-partner', userId: 'u-partner' });
    await json<{ subscription: SubscriptionBody }>(await create(token, {}), 201);
    const before = await timesRedeemed('PARTNER10');
    const update = () =>
      api.call('/subscriptions/update', { method: 'POST', token, json: { promotion_code: 'partner10' }, headers: { 'idempotency-key': 'apply-partner' } });
    const applied = await json<{ subscription: SubscriptionBody; change: { kind: string; proration_amount: number } }>(await update(), 200);
    expect(applied.change).toMatchObject({ kind: 'none', proration_amount: 0 });
    expect(applied.subscription.discount).toMatchObject({ code: 'PARTNER10', coupon_id: 'partner10', percent_off: 10, duration: 'forever', ends_at: null });
    expect((await json<{ subscription: SubscriptionBody }>(await update(), 200)).subscription.discount?.code).toBe('PARTNER10');
    expect(await timesRedeemed('PARTNER10')).toBe(before + 1);
    // An unknown code on update is refused the same way.
    expect(
      await refusedField(await api.call('/subscriptions/update', { method: 'POST', token, json: { promotion_code: 'NOPE' } })),
    ).toMatchObject({ field: 'promotion_code' });

    await pastRenewal(token);
    await pastRenewal(token);
    const [first, second, third] = await invoicesOf(token);
    // The first invoice was made before the code: in full. Then 10% of 9,900 = 990 off each month.
    expect(first).toMatchObject({ subtotal: 9_900, total_discount: 0, total: 9_900 });
    expect(second).toMatchObject({ subtotal: 9_900, total_discount: 990, total: 8_910, amount_paid: 8_910 });
    expect(third).toMatchObject({ subtotal: 9_900, total_discount: 990, total: 8_910 });
  });
});
