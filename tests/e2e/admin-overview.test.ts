import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-11-01T00:30:00Z') });
});
afterAll(async () => api.stack.stop());

interface Overview {
  mrr: Record<string, number>;
  arr: Record<string, number>;
  subscriptions: { by_plan: Record<string, number>; by_status: Record<string, number> };
  trials_ending_7d: { tenant_id: string }[];
  past_due: { tenant_id: string }[];
  overage_revenue_current_period: Record<string, number>;
  new_this_month: number;
  churned_this_month: number;
}

describe('GET /admin/overview', () => {
  it('adds up a scripted history exactly, annual plans counted /12 per currency', async () => {
    // November: tenant F goes over its API-call quota; the December 1 run bills $20.00 of overage.
    const f = (await api.subscribe('org-f', { plan_id: 'starter', trial_days: 0, payment_method: 'pm_card_visa' })).token;
    await api.stack.settle();
    expect((await api.call('/usage/track', { method: 'POST', token: f, json: { resource_type: 'api_calls', usage_amount: 12_000 } })).status).toBe(202);
    // Counted in November before the clock moves (usage that arrives after its period closed is billed late, in December).
    await api.stack.settle();
    await api.advanceTo('2027-12-01T02:30:00Z');

    const a = (await api.subscribe('org-a', { plan_id: 'starter', trial_days: 0, payment_method: 'pm_card_visa' })).token;
    await api.subscribe('org-b', { plan_id: 'business', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' });
    await api.subscribe('org-c', { plan_id: 'professional', currency: 'eur', trial_days: 5, payment_method: 'pm_card_visa' });
    await api.subscribe('org-d', { plan_id: 'starter', trial_days: 2, payment_method: 'pm_card_chargeCustomerFail' });
    const e = (await api.subscribe('org-e', { plan_id: 'starter', trial_days: 0, payment_method: 'pm_card_visa' })).token;
    await api.call('/subscriptions/cancel', { method: 'POST', token: e, json: { immediately: true } });
    await api.call('/subscriptions/update', { method: 'POST', token: a, json: { plan_id: 'professional' } });
    await api.advanceTo('2027-12-04T00:00:00Z');

    const admin = await api.token({ admin: true });
    const res = await api.call('/admin/overview', { token: admin });
    expect(res.status).toBe(200);
    const o = (await res.json()) as Overview;
    // ARR: professional monthly 29,900 x 12 + business annual 799,000 + two starters at 9,900 x 12
    // (F active, D past due); C's trial and E's cancellation count for nothing.
    expect(o.arr).toEqual({ usd: 29_900 * 12 + 799_000 + 2 * 9_900 * 12 });
    expect(o.mrr).toEqual({ usd: 116_283 });
    expect(o.subscriptions.by_plan).toEqual({ professional: 2, business: 1, starter: 2 });
    expect(o.subscriptions.by_status).toEqual({ active: 3, trialing: 1, past_due: 1, canceled: 1 });
    expect(o.trials_ending_7d.map((t) => t.tenant_id)).toEqual(['org-c']);
    expect(o.past_due.map((t) => t.tenant_id)).toEqual(['org-d']);
    expect(o.new_this_month).toBe(5);
    expect(o.churned_this_month).toBe(1);
    expect(o.overage_revenue_current_period).toEqual({ usd: 2_000 });
  });

  it('answers 403 to a tenant token', async () => {
    const token = await api.token({ tenantId: 'org-a' });
    expect((await api.call('/admin/overview', { token })).status).toBe(403);
  });
});

describe('GET /events', () => {
  it('lists the tenant\'s audit trail newest first, by type, and never another tenant\'s', async () => {
    const token = await api.token({ tenantId: 'org-a' });
    const res = await api.call('/events?limit=100', { token });
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as { events: { type: string; tenant_id: string; actor: { type: string } }[] };
    expect(events.every((e) => e.tenant_id === 'org-a')).toBe(true);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['subscription.created', 'subscription.upgraded']));
    const upgraded = (await (await api.call('/events?type=subscription.upgraded', { token })).json()) as { events: { actor: { type: string; id?: string } }[] };
    expect(upgraded.events).toHaveLength(1);
    expect(upgraded.events[0]?.actor).toEqual({ type: 'user', id: 'user-org-a' });
    expect((await api.call('/events?cursor=bm9wZQ', { token })).status).toBe(400);
    expect((await api.call('/events?type=DROP TABLE', { token })).status).toBe(400);
  });
});
