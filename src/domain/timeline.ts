import type { BillingCycle } from './catalog';
import type { Currency } from './money';
import { addMonths, monthlyPeriodContaining } from './periods';
import { isLive, type SubscriptionStatus } from './subscription';

/**
 * A tenant's plan timeline (SPEC section 5): which plan was in force when. Usage is billed
 * against the quotas of the segment that contains it, whatever the mirror says when a record
 * arrives. Segments never overlap and are ordered by start; time outside every segment is a
 * gap (no subscription): tracked, never billed.
 */
export interface PlanSegment {
  readonly start: string;
  /** Exclusive; null while the segment is open (the subscription's present). */
  readonly end: string | null;
  readonly subscription_id: string;
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly currency: Currency;
  /** Usage periods step monthly from here (Stripe's billing cycle anchor). */
  readonly anchor: string;
  /** Usage before this instant is trial usage: one period, never billed. */
  readonly trial_end: string | null;
  /**
   * When our own code wrote this segment (wall-clock ms, like a mirror's read time): a read of
   * Stripe that started before then is older than the change and must not undo it.
   */
  readonly since?: number;
}

export type Timeline = readonly PlanSegment[];

/**
 * A usage period takes records until its end plus this grace (records in flight land in it);
 * after that it is closed and later records go to the next open period, marked late.
 */
export const PERIOD_CLOSE_GRACE_MS = 5 * 60 * 1000;

/** What the timeline needs of a subscription mirror. */
export interface SubscriptionFacts {
  readonly id: string;
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly currency: Currency;
  readonly status: SubscriptionStatus;
  readonly created_at: string;
  readonly trial_end: string | null;
  readonly current_period_start: string;
  readonly current_period_end: string;
  readonly billing_cycle_anchor: string;
  readonly cancel_at_period_end: boolean;
  /** When the subscription actually ended (canceled, expired); null while it lives. */
  readonly ended_at: string | null;
  readonly pending_change: { readonly plan_id: string; readonly billing_cycle: BillingCycle; readonly effective_at: string } | null;
}

/** A usage period: where a record's quantity is summed, and under which plan it is billed. */
export interface UsagePeriod {
  readonly start: Date;
  readonly end: Date;
  /** Trial usage is tracked and shown, never billed. */
  readonly trial: boolean;
  /** Null in a gap (no subscription). */
  readonly segment: PlanSegment | null;
}

const ms = (iso: string): number => Date.parse(iso);
const iso = (at: number): string => new Date(at).toISOString();
const endMs = (s: PlanSegment): number => (s.end === null ? Number.POSITIVE_INFINITY : ms(s.end));

const samePlan = (s: PlanSegment, sub: SubscriptionFacts): boolean => s.plan_id === sub.plan_id && s.billing_cycle === sub.billing_cycle;

const segmentOf = (sub: SubscriptionFacts, start: string): PlanSegment => ({
  start,
  end: null,
  subscription_id: sub.id,
  plan_id: sub.plan_id,
  billing_cycle: sub.billing_cycle,
  currency: sub.currency,
  anchor: sub.billing_cycle_anchor,
  trial_end: sub.trial_end,
});

const withEnd = (s: PlanSegment, end: string): PlanSegment => ({ ...s, end: ms(end) <= ms(s.start) ? s.start : end });

/**
 * Brings the stored timeline up to date with a newer read of a subscription. `changeAt` is the
 * instant our own code changed the plan (an upgrade); without it a plan change that Stripe made
 * at a period boundary (a scheduled downgrade) starts at `current_period_start`, and a plan
 * that differs with no later boundary corrects the segment in place (an upgrade that Stripe
 * did not take, or a stale read being overtaken). An ended subscription closes its segment.
 * @example reconcile([], sub) // [{ start: sub.created_at, end: null, plan_id: sub.plan_id, ... }]
 */
export const reconcile = (timeline: Timeline, sub: SubscriptionFacts, changeAt?: Date, readAt?: number): PlanSegment[] => {
  const olderThan = (s: PlanSegment): boolean => readAt !== undefined && s.since !== undefined && readAt < s.since;
  const segments = [...timeline];
  const own = segments.filter((s) => s.subscription_id === sub.id);
  const ended = !isLive(sub.status) ? (sub.ended_at ?? sub.current_period_end) : null;
  if (own.length === 0) {
    // A new subscription: whatever is still open of an earlier one ends where this one starts.
    const start = sub.created_at;
    const closed = segments.map((s) => (s.end === null ? withEnd(s, start) : s));
    const fresh = segmentOf(sub, start);
    return [...closed, ended ? withEnd(fresh, ended) : fresh];
  }
  const last = own[own.length - 1] as PlanSegment;
  const index = segments.lastIndexOf(last);
  if (last.end !== null) {
    // Closed by us (cancel now) or by Stripe. A live, newer read means the close did not happen.
    if (ended || olderThan(last) || segments.some((s) => ms(s.start) >= endMs(last) && s.subscription_id !== sub.id)) return segments;
    segments.push(segmentOf(sub, last.end));
    return segments;
  }
  let current = last;
  if (!samePlan(current, sub)) {
    const boundary = changeAt ? changeAt.getTime() : ms(sub.current_period_start);
    if (boundary > ms(current.start)) {
      segments[index] = withEnd(current, iso(boundary));
      current = segmentOf(sub, iso(boundary));
      segments.push(current);
    } else if (!olderThan(current)) {
      current = { ...current, plan_id: sub.plan_id, billing_cycle: sub.billing_cycle, anchor: sub.billing_cycle_anchor, trial_end: sub.trial_end };
      segments[index] = current;
    }
  } else if (!olderThan(current) && (current.anchor !== sub.billing_cycle_anchor || current.trial_end !== sub.trial_end)) {
    current = { ...current, anchor: sub.billing_cycle_anchor, trial_end: sub.trial_end };
    segments[index] = current;
  }
  if (ended) segments[segments.lastIndexOf(current)] = withEnd(current, ended);
  return segments;
};

/**
 * Ends the open segment at `at` and, with a `next` plan, starts that plan there: what our code
 * does at the instant of an upgrade or an immediate cancel, before it asks Stripe.
 */
export const cut = (
  timeline: Timeline,
  at: Date,
  next: Pick<PlanSegment, 'plan_id' | 'billing_cycle' | 'anchor'> | null,
  writtenAt: number,
): PlanSegment[] => {
  const segments = [...timeline];
  const open = segments.findIndex((s) => s.end === null);
  const current = segments[open];
  if (!current) return segments;
  const boundary = at.toISOString();
  segments[open] = { ...withEnd(current, boundary), since: writtenAt };
  if (next) segments.push({ ...current, ...next, start: boundary, end: null, since: writtenAt });
  return segments;
};

/**
 * The timeline as it stands at any instant: the stored segments, with the open one projected
 * by what the mirror already knows is coming (a scheduled change, a cancel at period end), so
 * that usage after such a boundary is never billed by the old plan while a webhook is late.
 */
export const effectiveTimeline = (timeline: Timeline, sub: (SubscriptionFacts & { readonly synced_at?: number }) | null): PlanSegment[] => {
  const segments = sub ? reconcile(timeline, sub, undefined, sub.synced_at) : [...timeline];
  const open = segments.findIndex((s) => s.end === null);
  const current = segments[open];
  if (!sub || !current || current.subscription_id !== sub.id) return segments;
  // A change our own code made after this mirror was read (an upgrade's cut) replaced the
  // scheduled one the mirror still shows: the upgrade releases the schedule in Stripe. Projected
  // onto the new plan, it would end that plan's first usage period at the old period end (an
  // annual plan's anchor restarts at the upgrade) until the upgrade's own read is saved.
  const superseded = sub.synced_at !== undefined && current.since !== undefined && sub.synced_at < current.since;
  if (sub.pending_change && !superseded && ms(sub.pending_change.effective_at) > ms(current.start)) {
    const at = sub.pending_change.effective_at;
    const cycleChanges = sub.pending_change.billing_cycle !== current.billing_cycle;
    segments[open] = withEnd(current, at);
    segments.push({
      ...current,
      start: at,
      plan_id: sub.pending_change.plan_id,
      billing_cycle: sub.pending_change.billing_cycle,
      anchor: cycleChanges ? at : current.anchor,
    });
  }
  // Likewise its cancel at period end names the old period's end, which an upgrade to another
  // cycle moves; the upgrade's own read projects the cancel at the right end.
  if (sub.cancel_at_period_end && !superseded) {
    const last = segments.length - 1;
    const tail = segments[last] as PlanSegment;
    if (tail.end === null) segments[last] = withEnd(tail, sub.current_period_end);
  }
  return segments.filter((s) => s.end === null || ms(s.end) > ms(s.start));
};

const calendarMonth = (at: number): { start: number; end: number } => {
  const d = new Date(at);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return { start, end: addMonths(new Date(start), 1).getTime() };
};

/**
 * The usage period containing `at`: in a segment, its trial, else the monthly step from its
 * anchor, clipped to the segment (an upgrade's instant ends one period and starts the next);
 * in a gap, the calendar month clipped to the neighbouring segments.
 * @example usagePeriodAt(timeline, new Date()).segment?.plan_id // 'starter'
 */
export const usagePeriodAt = (timeline: Timeline, at: Date): UsagePeriod => {
  const t = at.getTime();
  const segment = timeline.find((s) => ms(s.start) <= t && t < endMs(s));
  if (!segment) {
    const before = timeline.filter((s) => endMs(s) <= t).reduce((m, s) => Math.max(m, endMs(s)), Number.NEGATIVE_INFINITY);
    const after = timeline.filter((s) => ms(s.start) > t).reduce((m, s) => Math.min(m, ms(s.start)), Number.POSITIVE_INFINITY);
    const month = calendarMonth(t);
    return { start: new Date(Math.max(month.start, before)), end: new Date(Math.min(month.end, after)), trial: false, segment: null };
  }
  const start = ms(segment.start);
  const end = endMs(segment);
  const trialEnd = segment.trial_end === null ? start : ms(segment.trial_end);
  if (t < trialEnd) {
    // One trial period per subscription, whatever plan changes it saw.
    const own = timeline.filter((s) => s.subscription_id === segment.subscription_id);
    const first = Math.min(...own.map((s) => ms(s.start)));
    const last = Math.max(...own.map(endMs));
    return { start: new Date(first), end: new Date(Math.min(trialEnd, last)), trial: true, segment };
  }
  const paidFrom = Math.max(start, trialEnd);
  const step = monthlyPeriodContaining(new Date(segment.anchor), at);
  return {
    start: new Date(Math.max(step.start.getTime(), paidFrom)),
    end: new Date(Math.min(step.end.getTime(), end)),
    trial: false,
    segment,
  };
};

/** Whether usage in the period is billed: a paid part of a subscription's segment. */
export const isBillable = (period: UsagePeriod): boolean => period.segment !== null && !period.trial;
