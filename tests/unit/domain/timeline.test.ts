import { describe, expect, it } from 'vitest';
import {
  cut,
  effectiveTimeline,
  isBillable,
  reconcile,
  usagePeriodAt,
  type PlanSegment,
  type SubscriptionFacts,
} from '../../../src/domain/timeline';

const d = (iso: string) => new Date(iso);
const iso = (s: string) => new Date(s).toISOString();

/** A starter monthly subscription created (no trial) on 2027-01-10. */
const sub = (over: Partial<SubscriptionFacts> = {}): SubscriptionFacts => ({
  id: 'sub_1',
  plan_id: 'starter',
  billing_cycle: 'monthly',
  currency: 'usd',
  status: 'active',
  created_at: iso('2027-01-10T00:00:00Z'),
  trial_end: null,
  current_period_start: iso('2027-01-10T00:00:00Z'),
  current_period_end: iso('2027-02-10T00:00:00Z'),
  billing_cycle_anchor: iso('2027-01-10T00:00:00Z'),
  cancel_at_period_end: false,
  ended_at: null,
  pending_change: null,
  ...over,
});

const plans = (timeline: readonly PlanSegment[]) => timeline.map((s) => [s.plan_id, s.start, s.end]);

describe('reconcile', () => {
  it('opens one segment from creation for a subscription seen the first time', () => {
    expect(plans(reconcile([], sub()))).toEqual([['starter', iso('2027-01-10T00:00:00Z'), null]]);
  });

  it('splits at the instant our own code changed the plan (an upgrade)', () => {
    const at = d('2027-01-20T12:00:00Z');
    const after = reconcile(reconcile([], sub()), sub({ plan_id: 'business' }), at);
    expect(plans(after)).toEqual([
      ['starter', iso('2027-01-10T00:00:00Z'), at.toISOString()],
      ['business', at.toISOString(), null],
    ]);
  });

  it('splits a change Stripe made at a period boundary (a scheduled downgrade) at that boundary', () => {
    const before = reconcile([], sub({ plan_id: 'business' }));
    const after = reconcile(before, sub({ plan_id: 'starter', current_period_start: iso('2027-02-10T00:00:00Z') }));
    expect(plans(after)).toEqual([
      ['business', iso('2027-01-10T00:00:00Z'), iso('2027-02-10T00:00:00Z')],
      ['starter', iso('2027-02-10T00:00:00Z'), null],
    ]);
  });

  it('corrects the plan in place when no later boundary explains the difference (an upgrade Stripe did not take)', () => {
    const at = d('2027-01-20T00:00:00Z');
    const cutToBusiness = cut(reconcile([], sub()), at, { plan_id: 'business', billing_cycle: 'monthly', anchor: iso('2027-01-10T00:00:00Z') }, 1_000);
    const after = reconcile(cutToBusiness, sub(), undefined, 2_000);
    expect(plans(after)).toEqual([
      ['starter', iso('2027-01-10T00:00:00Z'), at.toISOString()],
      ['starter', at.toISOString(), null],
    ]);
  });

  it('closes the segment where Stripe ended the subscription', () => {
    const after = reconcile(reconcile([], sub()), sub({ status: 'canceled', ended_at: iso('2027-01-25T00:00:00Z') }));
    expect(plans(after)).toEqual([['starter', iso('2027-01-10T00:00:00Z'), iso('2027-01-25T00:00:00Z')]]);
  });

  it('keeps our own immediate cancel when Stripe reports the end a moment later', () => {
    const closed = cut(reconcile([], sub()), d('2027-01-25T00:00:01Z'), null, 1_000);
    expect(reconcile(closed, sub({ status: 'canceled', ended_at: iso('2027-01-25T00:00:00Z') }))).toEqual(closed);
  });

  it('reopens a segment we closed when a newer read shows the subscription alive (a cancel Stripe refused)', () => {
    const closed = cut(reconcile([], sub()), d('2027-01-25T00:00:00Z'), null, 1_000);
    expect(plans(reconcile(closed, sub(), undefined, 2_000))).toEqual([
      ['starter', iso('2027-01-10T00:00:00Z'), iso('2027-01-25T00:00:00Z')],
      ['starter', iso('2027-01-25T00:00:00Z'), null],
    ]);
  });

  it('never lets a read of Stripe older than our change undo it (a webhook re-read racing an upgrade)', () => {
    const at = d('2027-01-20T00:00:00Z');
    const upgraded = cut(reconcile([], sub()), at, { plan_id: 'business', billing_cycle: 'annual', anchor: at.toISOString() }, 5_000);
    expect(reconcile(upgraded, sub(), undefined, 4_999)).toEqual(upgraded);
    const closed = cut(reconcile([], sub()), at, null, 5_000);
    expect(reconcile(closed, sub(), undefined, 4_999)).toEqual(closed);
  });

  it('ends an earlier subscription where the next one starts', () => {
    const first = reconcile([], sub());
    const second = reconcile(first, sub({ id: 'sub_2', plan_id: 'business', created_at: iso('2027-03-01T00:00:00Z') }));
    expect(plans(second)).toEqual([
      ['starter', iso('2027-01-10T00:00:00Z'), iso('2027-03-01T00:00:00Z')],
      ['business', iso('2027-03-01T00:00:00Z'), null],
    ]);
  });
});

describe('effectiveTimeline', () => {
  it('projects a scheduled downgrade from its effective date, before any webhook arrives', () => {
    const mirror = sub({ plan_id: 'enterprise', pending_change: { plan_id: 'starter', billing_cycle: 'monthly', effective_at: iso('2027-02-10T00:00:00Z') } });
    const timeline = effectiveTimeline(reconcile([], mirror), mirror);
    expect(usagePeriodAt(timeline, d('2027-02-10T00:01:00Z')).segment?.plan_id).toBe('starter');
    expect(usagePeriodAt(timeline, d('2027-02-09T23:59:00Z')).segment?.plan_id).toBe('enterprise');
  });

  // Seed 3001: an upgrade to annual replaces the scheduled downgrade; the mirror read before the
  // cut still showed it, and the new plan's first usage period ended at the old period end.
  it('does not project a scheduled change read before our own upgrade cut the timeline', () => {
    const downgrade = { plan_id: 'starter', billing_cycle: 'monthly', effective_at: iso('2027-02-10T00:00:00Z') } as const;
    const mirror = { ...sub({ plan_id: 'enterprise', pending_change: downgrade }), synced_at: 1 };
    const at = d('2027-01-20T00:00:00Z');
    const upgraded = cut(reconcile([], mirror), at, { plan_id: 'enterprise', billing_cycle: 'annual', anchor: at.toISOString() }, 2);

    const p = usagePeriodAt(effectiveTimeline(upgraded, mirror), d('2027-02-15T00:00:00Z'));

    expect([p.start, p.end, p.segment?.plan_id, p.segment?.billing_cycle]).toEqual([at, d('2027-02-20T00:00:00Z'), 'enterprise', 'annual']);
    // A mirror read after the cut still projects its scheduled change.
    expect(usagePeriodAt(effectiveTimeline(upgraded, { ...mirror, synced_at: 3 }), d('2027-02-15T00:00:00Z')).segment?.plan_id).toBe('starter');
  });

  it('does not end a plan our own upgrade started at the old period end of a cancel read before it', () => {
    const mirror = { ...sub({ cancel_at_period_end: true }), synced_at: 1 };
    const at = d('2027-01-20T00:00:00Z');
    const upgraded = cut(reconcile([], mirror), at, { plan_id: 'business', billing_cycle: 'annual', anchor: at.toISOString() }, 2);

    const p = usagePeriodAt(effectiveTimeline(upgraded, mirror), d('2027-02-15T00:00:00Z'));

    expect([p.start, p.end, p.segment?.plan_id]).toEqual([at, d('2027-02-20T00:00:00Z'), 'business']);
    // A mirror read after the cut projects its cancel again.
    expect(usagePeriodAt(effectiveTimeline(upgraded, { ...mirror, synced_at: 3 }), d('2027-02-15T00:00:00Z')).segment).toBeNull();
  });

  it('ends the timeline at the period end of a cancel at period end', () => {
    const mirror = sub({ cancel_at_period_end: true });
    const timeline = effectiveTimeline([], mirror);
    expect(usagePeriodAt(timeline, d('2027-02-10T00:00:01Z')).segment).toBeNull();
  });
});

describe('usagePeriodAt', () => {
  const trialing = sub({ trial_end: iso('2027-01-24T00:00:00Z'), billing_cycle_anchor: iso('2027-01-24T00:00:00Z') });

  it('is the trial, one period, never billable', () => {
    const p = usagePeriodAt(reconcile([], trialing), d('2027-01-20T00:00:00Z'));
    expect([p.start, p.end, p.trial, isBillable(p)]).toEqual([d('2027-01-10T00:00:00Z'), d('2027-01-24T00:00:00Z'), true, false]);
  });

  it('keeps one trial period across an upgrade during the trial', () => {
    const at = d('2027-01-15T00:00:00Z');
    const timeline = cut(reconcile([], trialing), at, { plan_id: 'business', billing_cycle: 'monthly', anchor: trialing.billing_cycle_anchor }, 1);
    const before = usagePeriodAt(timeline, d('2027-01-12T00:00:00Z'));
    const after = usagePeriodAt(timeline, d('2027-01-20T00:00:00Z'));
    expect([after.start, after.end, after.trial]).toEqual([before.start, before.end, true]);
    expect([before.start, before.end]).toEqual([d('2027-01-10T00:00:00Z'), d('2027-01-24T00:00:00Z')]);
  });

  it('steps monthly from the anchor after the trial', () => {
    const p = usagePeriodAt(reconcile([], trialing), d('2027-03-01T00:00:00Z'));
    expect([p.start, p.end, p.trial]).toEqual([d('2027-02-24T00:00:00Z'), d('2027-03-24T00:00:00Z'), false]);
  });

  it('ends a period at an upgrade and starts the next there, on the new plan, up to the old boundary', () => {
    const at = d('2027-01-20T00:00:00Z');
    const timeline = reconcile(reconcile([], sub()), sub({ plan_id: 'business' }), at);
    const before = usagePeriodAt(timeline, d('2027-01-19T00:00:00Z'));
    const after = usagePeriodAt(timeline, d('2027-01-21T00:00:00Z'));
    expect([before.start, before.end, before.segment?.plan_id]).toEqual([d('2027-01-10T00:00:00Z'), at, 'starter']);
    expect([after.start, after.end, after.segment?.plan_id]).toEqual([at, d('2027-02-10T00:00:00Z'), 'business']);
  });

  it('puts time before the first subscription in one calendar-month gap, not a period per record', () => {
    const timeline = reconcile([], sub());
    const starts = ['2027-01-02T00:00:00Z', '2027-01-05T00:00:00Z', '2027-01-09T23:00:00Z'].map((t) => usagePeriodAt(timeline, d(t)));
    expect(new Set(starts.map((p) => p.start.toISOString()))).toEqual(new Set([iso('2027-01-01T00:00:00Z')]));
    expect(starts[0]?.end).toEqual(d('2027-01-10T00:00:00Z'));
    expect(starts.every((p) => p.segment === null && !isBillable(p))).toBe(true);
  });

  it('steps annual plans monthly from the anchor', () => {
    const annual = sub({ billing_cycle: 'annual', current_period_end: iso('2028-01-10T00:00:00Z') });
    const p = usagePeriodAt(reconcile([], annual), d('2027-05-15T00:00:00Z'));
    expect([p.start, p.end]).toEqual([d('2027-05-10T00:00:00Z'), d('2027-06-10T00:00:00Z')]);
  });
});
