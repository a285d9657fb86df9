import type { BillingCycle } from './catalog';
import { isLive, type SubscriptionStatus } from './subscription';

/** What one subscription adds to the admin overview's maintained figures. */
export interface SubscriptionFigures {
  readonly currency: string;
  readonly plan_id: string;
  readonly status: SubscriptionStatus;
  readonly billing_cycle: BillingCycle;
  /** The price of one billing period, minor units. */
  readonly unit_amount: number;
  readonly created_at: string;
  readonly canceled_at: string | null;
}

/** Counter name -> amount to add. Counters live on one item; a change adds its delta. */
export type Counters = Readonly<Record<string, number>>;

/** Paying subscriptions count toward recurring revenue; trials and unpaid ones do not. */
const PAYING: readonly SubscriptionStatus[] = ['active', 'past_due'];

const month = (iso: string): string => iso.slice(0, 7);

/**
 * The counters one subscription contributes: ARR in minor units (annual price, or 12 x the
 * monthly one, so MRR = ARR / 12 stays exact until it is shown), live subscriptions by plan,
 * subscriptions by status, new per creation month, churned per cancellation month.
 */
export const countersOf = (sub: SubscriptionFigures | null): Counters => {
  if (!sub) return {};
  const counters: Record<string, number> = { [`status#${sub.status}`]: 1, [`new#${month(sub.created_at)}`]: 1 };
  if (isLive(sub.status)) counters[`plan#${sub.plan_id}`] = 1;
  if (PAYING.includes(sub.status)) {
    counters[`arr#${sub.currency}`] = sub.billing_cycle === 'annual' ? sub.unit_amount : sub.unit_amount * 12;
  }
  if (!isLive(sub.status) && sub.canceled_at) counters[`churned#${month(sub.canceled_at)}`] = 1;
  return counters;
};

/** What to add to the counters when a subscription changes from `before` to `after`. */
export const counterDelta = (before: SubscriptionFigures | null, after: SubscriptionFigures | null): Counters => {
  const a = countersOf(before);
  const b = countersOf(after);
  const delta: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[key] ?? 0) - (a[key] ?? 0);
    if (d !== 0) delta[key] = d;
  }
  return delta;
};

/** MRR from ARR, rounded half up to a minor unit. */
export const mrrOf = (arr: number): number => Math.floor((arr * 2 + 12) / 24);

/** A subscription's contribution to MRR, minor units: its ARR / 12 rounded half up (0 unless paying). */
export const mrrContribution = (sub: SubscriptionFigures | null): number => (sub ? mrrOf(countersOf(sub)[`arr#${sub.currency}`] ?? 0) : 0);

/**
 * When an MRR change took effect, from the subscription's own dates rather than when we heard of
 * it: the instant our code changed the plan; for a stop, when it ended; for a start or a change
 * Stripe made, the start of the period it began (a trial's end, a scheduled change's boundary).
 */
export const mrrChangedAt = (
  after: SubscriptionFigures & { readonly current_period_start: string; readonly ended_at: string | null },
  to: number,
  changeAt: Date | undefined,
  now: Date,
): Date => {
  if (changeAt) return changeAt;
  const at = to === 0 ? (after.ended_at ?? now.toISOString()) : after.current_period_start;
  const ms = Date.parse(at);
  return Number.isFinite(ms) && ms <= now.getTime() ? new Date(ms) : now;
};
