/**
 * What the page works out from API figures before the API does: this period's bill so far
 * and what a plan change would charge. Integer minor units only; the proration itself is the
 * domain's own function, the one the API's rules are written with.
 */
import { classifyChange, prorationAmount, type ChangeKind } from '../../src/domain/subscription';
import { RESOURCES } from '../../src/domain/resources';
import type { BillingCycle, CurrentUsage, Plan, Subscription } from './api/types';

export const planPrice = (plan: Plan, subscription: Pick<Subscription, 'currency' | 'billing_cycle'>): number =>
  plan.prices[subscription.currency][subscription.billing_cycle];

/** What paying a year monthly costs more than the annual price (two months, per SPEC). */
export const annualSaving = (plan: Plan, currency: Subscription['currency']): number =>
  plan.prices[currency].monthly * 12 - plan.prices[currency].annual;

export interface BillEstimate {
  /** The plan's price for this billing period, or null when this usage period carries none (trial, annual sub-period). */
  readonly planAmount: number | null;
  readonly overage: number;
  readonly total: number;
}

/**
 * The bill for the current usage period so far: the plan price on a monthly plan, plus the
 * overage accrued. A trial bills nothing; on an annual plan the year's price was charged at
 * renewal, so a monthly usage period's invoice is its overage alone.
 */
export const estimateBill = (usage: CurrentUsage, plan: Plan | undefined, subscription: Subscription): BillEstimate => {
  if (usage.trial) return { planAmount: null, overage: 0, total: 0 };
  const overage = RESOURCES.reduce((sum, r) => sum + (usage.usage[r]?.overage_amount ?? 0), 0);
  const planAmount = plan && subscription.billing_cycle === 'monthly' ? planPrice(plan, subscription) : null;
  return { planAmount, overage, total: (planAmount ?? 0) + overage };
};

export interface ChangePreview {
  readonly kind: ChangeKind;
  /** Upgrade: the estimated charge now (0 in a trial). */
  readonly chargeNow: number;
  /** Downgrade: when it takes effect. */
  readonly effectiveAt: string | null;
}

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/**
 * What a change to `plan`/`cycle` would do, as the API decides it (SPEC section 4): a higher
 * price per billing period is an upgrade, charged now with proration; a lower one waits for
 * the period end. A cycle change resets the period, so it charges the new price in full less
 * the unused part of the old one. An estimate: the API's answer (`proration_amount`) is what
 * is invoiced.
 */
export const previewChange = (
  subscription: Subscription,
  current: Plan,
  next: Plan,
  cycle: BillingCycle,
  now: Date = new Date(),
): ChangePreview => {
  const oldPrice = planPrice(current, subscription);
  const newPrice = next.prices[subscription.currency][cycle];
  const same = next.id === subscription.plan_id && cycle === subscription.billing_cycle;
  const kind = classifyChange(oldPrice, newPrice, same);
  if (kind === 'downgrade') return { kind, chargeNow: 0, effectiveAt: subscription.current_period_end };
  if (kind === 'none' || subscription.status === 'trialing') return { kind, chargeNow: 0, effectiveAt: null };
  const periodStart = seconds(subscription.current_period_start);
  const periodEnd = seconds(subscription.current_period_end);
  // The browser's clock, kept inside the period (the local stack's simulated clock can be elsewhere).
  const at = Math.min(Math.max(Math.floor(now.getTime() / 1000), periodStart), periodEnd);
  const span = { periodStart, periodEnd, at };
  // The unused part of what was paid for this period: the credit line of a proration.
  const unused = prorationAmount({ oldPrice: 0, newPrice: oldPrice, ...span });
  const chargeNow = cycle === subscription.billing_cycle ? prorationAmount({ oldPrice, newPrice, ...span }) : newPrice - unused;
  return { kind, chargeNow: Math.max(0, chargeNow), effectiveAt: null };
};
