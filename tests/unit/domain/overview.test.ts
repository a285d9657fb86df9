import { describe, expect, it } from 'vitest';
import { counterDelta, countersOf, mrrOf, type SubscriptionFigures } from '../../../src/domain/overview';

const sub = (over: Partial<SubscriptionFigures> = {}): SubscriptionFigures => ({
  currency: 'usd',
  plan_id: 'starter',
  status: 'active',
  billing_cycle: 'monthly',
  unit_amount: 9_900,
  created_at: '2027-01-05T00:00:00.000Z',
  canceled_at: null,
  ...over,
});

describe('countersOf', () => {
  it('counts a paying monthly subscription at 12x its price in ARR', () => {
    expect(countersOf(sub())).toEqual({ 'status#active': 1, 'new#2027-01': 1, 'plan#starter': 1, 'arr#usd': 118_800 });
  });
  it('counts an annual subscription at its price', () => {
    expect(countersOf(sub({ billing_cycle: 'annual', unit_amount: 799_000, plan_id: 'business' }))['arr#usd']).toBe(799_000);
  });
  it('leaves trials out of recurring revenue', () => {
    expect(countersOf(sub({ status: 'trialing' }))).not.toHaveProperty('arr#usd');
  });
  it('counts a cancellation as churn in its month and no longer as live', () => {
    const c = countersOf(sub({ status: 'canceled', canceled_at: '2027-02-10T00:00:00.000Z' }));
    expect(c).toMatchObject({ 'churned#2027-02': 1, 'status#canceled': 1 });
    expect(c).not.toHaveProperty('plan#starter');
  });
});

describe('counterDelta', () => {
  it('moves a subscription between plans and statuses without touching its creation month', () => {
    const before = sub();
    const after = sub({ plan_id: 'professional', unit_amount: 29_900, status: 'past_due' });
    expect(counterDelta(before, after)).toEqual({
      'status#active': -1,
      'status#past_due': 1,
      'plan#starter': -1,
      'plan#professional': 1,
      'arr#usd': (29_900 - 9_900) * 12,
    });
  });
  it('adds everything for a new subscription and nothing for an unchanged one', () => {
    expect(counterDelta(null, sub())).toEqual(countersOf(sub()));
    expect(counterDelta(sub(), sub())).toEqual({});
  });
});

describe('mrrOf', () => {
  it.each([
    [118_800, 9_900],
    [799_000, 66_583],
    [6, 1],
    [5, 0],
  ])('ARR %i -> MRR %i', (arr, mrr) => {
    expect(mrrOf(arr)).toBe(mrr);
  });
});
