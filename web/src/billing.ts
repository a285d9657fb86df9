/**
 * What the page works out from API figures before the API does: this period's bill so far,
 * the tax on it, and what a plan change would charge. Integer minor units only; the proration
 * and the rounding are the domain's own functions, the ones the API's rules are written with.
 */
import { divideRoundHalfUp } from '../../src/domain/money';
import { classifyChange, prorationAmount, type ChangeKind } from '../../src/domain/subscription';
import { RESOURCES } from '../../src/domain/resources';
import type { BillingCycle, CurrentUsage, InvoiceSummary, Plan, Subscription } from './api/types';

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

/** The tax on an estimated bill, as the tenant's last taxed invoice suggests it. */
export type TaxEstimate =
  /** The one rate of the last invoice (percent, e.g. 20), applied to the estimate. */
  | { readonly kind: 'rate'; readonly percentage: number; readonly amount: number }
  /** The last invoice was reverse charged: the customer accounts for the VAT. */
  | { readonly kind: 'reverse_charge'; readonly amount: 0 }
  /** No invoice to go by, or one with several rates: "plus tax where applicable". */
  | { readonly kind: 'unknown' };

/** Millionths: a percentage with up to four decimals as an integer (20 -> 200_000, 8.875 -> 88_750). */
const PPM_PER_PERCENT = 10_000;

const percentToPpm = (percentage: number): number | null => {
  const ppm = Math.round(percentage * PPM_PER_PERCENT);
  return Number.isSafeInteger(ppm) && ppm >= 0 && ppm / PPM_PER_PERCENT === percentage ? ppm : null;
};

/**
 * The newest invoice on which Stripe computed tax (a void one aside): the rate the next
 * invoice is likely to carry.
 */
export const lastTaxedInvoice = <T extends Pick<InvoiceSummary, 'status' | 'created_at' | 'taxes'>>(invoices: readonly T[]): T | null =>
  [...invoices].filter((i) => i.status !== 'void' && i.taxes.length > 0).sort((a, b) => b.created_at.localeCompare(a.created_at))[0] ?? null;

/**
 * The tax on `amount` (minor units, before tax) at the rate of `last`, the tenant's last taxed
 * invoice: its rate when it has exactly one, rounded half up to a whole minor unit; 0 when it
 * was reverse charged; unknown otherwise. An estimate: Stripe Tax decides each invoice's tax.
 *
 * @example
 * estimateTax(7_900, { reverse_charge: false, taxes: [{ percentage: 20, ... }] }) // { kind: 'rate', percentage: 20, amount: 1_580 }
 */
export const estimateTax = (amount: number, last: Pick<InvoiceSummary, 'reverse_charge' | 'taxes'> | null): TaxEstimate => {
  if (last === null || last.taxes.length === 0) return { kind: 'unknown' };
  if (last.reverse_charge) return { kind: 'reverse_charge', amount: 0 };
  const rates = [...new Set(last.taxes.map((t) => t.percentage))];
  const percentage = rates.length === 1 ? (rates[0] ?? null) : null;
  const ppm = percentage === null ? null : percentToPpm(percentage);
  if (percentage === null || ppm === null) return { kind: 'unknown' };
  const tax = divideRoundHalfUp(BigInt(Math.max(0, amount)) * BigInt(ppm), BigInt(100 * PPM_PER_PERCENT));
  return { kind: 'rate', percentage, amount: Number(tax) };
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
