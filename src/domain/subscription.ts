import type { BillingCycle } from './catalog';
import type { SubscriptionDiscount } from './coupons';
import { divideRoundHalfUp, type Currency } from './money';

/** Stripe's subscription states, mirrored (SPEC section 4). */
export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** A tenant has at most one subscription in these states. */
export const LIVE_STATUSES: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due', 'unpaid', 'incomplete', 'paused'];

export const isLive = (status: SubscriptionStatus): boolean => LIVE_STATUSES.includes(status);

export interface PendingChange {
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly effective_at: string;
}

/** Our copy of a subscription: the SPEC section 8 shape. Stripe is the source of truth. */
export interface Subscription {
  readonly id: string;
  readonly tenant_id: string;
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly currency: Currency;
  readonly status: SubscriptionStatus;
  readonly trial_end: string | null;
  readonly current_period_start: string;
  readonly current_period_end: string;
  readonly cancel_at_period_end: boolean;
  readonly canceled_at: string | null;
  readonly pending_change: PendingChange | null;
  readonly created_at: string;
  /** The promotion code's discount running on it, if any (absent on copies stored before discounts). */
  readonly discount?: SubscriptionDiscount | null;
}

export type ChangeKind = 'upgrade' | 'downgrade' | 'none';

/**
 * SPEC section 4: a move to a higher price is an upgrade (now, prorated), to a lower price a
 * downgrade (at period end, no credit). "Price" is the amount charged per billing period, so
 * monthly -> annual is an upgrade and annual -> monthly waits for the end of the paid year.
 * @example classifyChange(9900, 29900) // 'upgrade'
 */
export const classifyChange = (currentPrice: number, nextPrice: number, samePrice: boolean): ChangeKind => {
  if (samePrice) return 'none';
  return nextPrice > currentPrice ? 'upgrade' : 'downgrade';
};

/**
 * The amount Stripe invoices for a mid-period price change with `always_invoice`: a credit for
 * the unused time on the old price and a charge for the remaining time on the new one, each
 * rounded half up to a minor unit on its own (as Stripe rounds each proration line).
 * @example prorationAmount({ oldPrice: 9900, newPrice: 29900, periodStart: 0, periodEnd: 100, at: 50 }) // 10000
 */
export const prorationAmount = (input: {
  oldPrice: number;
  newPrice: number;
  /** Unix seconds. */
  periodStart: number;
  periodEnd: number;
  at: number;
}): number => {
  const total = input.periodEnd - input.periodStart;
  if (total <= 0) throw new RangeError('period must have a positive length');
  const remaining = Math.min(Math.max(input.periodEnd - input.at, 0), total);
  const part = (price: number) => Number(divideRoundHalfUp(BigInt(price) * BigInt(remaining), BigInt(total)));
  return part(input.newPrice) - part(input.oldPrice);
};
