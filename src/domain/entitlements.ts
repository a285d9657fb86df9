import { DEFAULT_DUNNING, findPlan, overageRateMilli, type Access, type BillingCycle, type Catalog, type DunningPolicy, type Limits } from './catalog';
import { emptyTally, quantityOf, billableQuantity, type Quantity, type Tally } from './metering';
import { milliToMinor, type Currency } from './money';
import { computeOverages } from './overage';
import { RESOURCES, type Resource } from './resources';
import type { SubscriptionStatus } from './subscription';
import { effectiveTimeline, usagePeriodAt, type SubscriptionFacts, type Timeline } from './timeline';

const DAY_MS = 86_400_000;

/** Spend-cap alert thresholds, in percent of the cap (SPEC section 4b). */
export const SPEND_CAP_THRESHOLDS = [80, 100] as const;

/** An open invoice whose payment failed, as the entitlement item keeps it. */
export interface UnpaidInvoice {
  readonly id: string;
  readonly number: string | null;
  readonly hosted_invoice_url: string | null;
  /** Stripe's `billing_reason`: `subscription_*` for the plan itself, `manual` for an overage invoice. */
  readonly billing_reason: string | null;
  readonly amount_due: number;
  /** When we first saw it unpaid. */
  readonly since: string;
}

/**
 * Everything the answer is computed from, as one DynamoDB item holds it (kept current by the
 * writers of its inputs, in their own transactions): the current subscription and plan
 * timeline, usage per usage period, the spend cap and the unpaid invoices.
 */
export interface EntitlementFacts {
  readonly subscription: (SubscriptionFacts & { readonly past_due_since: string | null }) | null;
  readonly timeline: Timeline;
  /** Usage per usage period start: counter sums and gauge peaks. */
  readonly usage: ReadonlyMap<string, Tally>;
  /** Maximum overage per period, integer minor units in the subscription's currency; null: no cap. */
  readonly spend_cap: { readonly amount: bigint; readonly currency: Currency } | null;
  readonly unpaid: readonly UnpaidInvoice[];
}

export interface Reason {
  readonly code: string;
  readonly message: string;
  readonly since: string | null;
  /** The unpaid invoice the reason is about, where to pay it. */
  readonly invoice?: { readonly id: string; readonly number: string | null; readonly hosted_invoice_url: string | null };
}

export interface Headroom {
  /** Units left in the included quantity before the next one costs money; null without a plan. */
  readonly remaining: bigint | null;
  /** What the next unit past the quota costs, minor units (possibly fractional, 0.8p); 0 while it would not be billed. */
  readonly next_unit_price: number;
}

export interface Entitlements {
  readonly status: SubscriptionStatus | null;
  readonly access: Access;
  readonly plan_id: string | null;
  readonly billing_cycle: BillingCycle | null;
  readonly currency: Currency | null;
  readonly period: { readonly start: string; readonly end: string; readonly trial: boolean } | null;
  readonly limits: Limits | null;
  readonly usage: Record<Resource, Quantity>;
  readonly allowed: Record<Resource, boolean>;
  readonly headroom: Record<Resource, Headroom>;
  /** This period's overage so far, as it would be billed (integer minor units). */
  readonly overage_amount: bigint;
  readonly spend_cap: { readonly amount: bigint; readonly currency: Currency; readonly spent: bigint; readonly percent_used: number; readonly reached: boolean } | null;
  readonly reasons: readonly Reason[];
  /** The next instant the answer changes with time alone (a grace period ending, a capped period ending). */
  readonly changes_at: string | null;
}

const allResources = <T>(f: (r: Resource) => T): Record<Resource, T> => Object.fromEntries(RESOURCES.map((r) => [r, f(r)])) as Record<Resource, T>;

const isSubscriptionInvoice = (invoice: UnpaidInvoice): boolean => (invoice.billing_reason ?? '').startsWith('subscription');

const day = (iso: string): string => iso.slice(0, 10);

const invoiceOf = (invoices: readonly UnpaidInvoice[]): Pick<Reason, 'invoice'> => {
  const first = invoices[0];
  return first ? { invoice: { id: first.id, number: first.number, hosted_invoice_url: first.hosted_invoice_url } } : {};
};

const invoiceName = (invoices: readonly UnpaidInvoice[]): string => {
  const first = invoices[0];
  if (!first) return 'an invoice';
  return first.number ? `invoice ${first.number}` : 'an invoice';
};

/** Access from status and the dunning policy, with its reason. */
const accessOf = (
  facts: EntitlementFacts,
  policy: DunningPolicy,
  now: Date,
): { access: Access; reasons: Reason[]; changesAt: number | null } => {
  const sub = facts.subscription;
  if (!sub) return { access: 'blocked', reasons: [{ code: 'no_subscription', message: 'No subscription: choose a plan to start.', since: null }], changesAt: null };
  const unpaidPlan = facts.unpaid.filter(isSubscriptionInvoice);
  const unpaidOverage = facts.unpaid.filter((i) => !isSubscriptionInvoice(i));
  // An annual plan is paid in advance: an overdue overage invoice is chased, not enforced.
  const prepaidOnly = sub.billing_cycle === 'annual' && !policy.annual_overage_restricts && unpaidPlan.length === 0 && unpaidOverage.length > 0;
  const chased: Reason[] = prepaidOnly
    ? [{ code: 'overage_invoice_unpaid', message: `${invoiceName(unpaidOverage)} (overage) is unpaid: pay it to settle your account.`, since: unpaidOverage[0]?.since ?? null, ...invoiceOf(unpaidOverage) }]
    : [];
  const overdue = unpaidPlan.length > 0 ? unpaidPlan : facts.unpaid;
  switch (sub.status) {
    case 'trialing':
    case 'active':
      return { access: 'full', reasons: chased, changesAt: null };
    case 'past_due': {
      if (prepaidOnly) return { access: 'full', reasons: chased, changesAt: null };
      const since = sub.past_due_since ?? now.toISOString();
      const graceEnd = Date.parse(since) + policy.grace_days * DAY_MS;
      if (now.getTime() < graceEnd) {
        return {
          access: 'full',
          reasons: [{ code: 'past_due_grace', message: `Payment failed: ${invoiceName(overdue)} is unpaid. Access becomes ${policy.after_grace.replace('_', '-')} on ${day(new Date(graceEnd).toISOString())} unless it is paid.`, since, ...invoiceOf(overdue) }],
          changesAt: graceEnd,
        };
      }
      return {
        access: policy.after_grace,
        reasons: [{ code: 'past_due', message: `${policy.after_grace === 'full' ? 'Payment overdue' : `${policy.after_grace === 'read_only' ? 'Read-only' : 'Blocked'} since ${day(new Date(graceEnd).toISOString())}`}: ${invoiceName(overdue)} is unpaid; pay now.`, since: new Date(graceEnd).toISOString(), ...invoiceOf(overdue) }],
        changesAt: null,
      };
    }
    case 'unpaid':
      if (prepaidOnly) return { access: 'full', reasons: chased, changesAt: null };
      return { access: policy.unpaid, reasons: [{ code: 'unpaid', message: `Every payment attempt failed: ${invoiceName(overdue)} is unpaid; pay it to restore access.`, since: sub.past_due_since, ...invoiceOf(overdue) }], changesAt: null };
    case 'canceled':
    case 'incomplete_expired':
      return { access: policy.canceled, reasons: [{ code: 'canceled', message: 'The subscription has ended: subscribe again to restore access.', since: sub.ended_at }], changesAt: null };
    case 'incomplete':
      return { access: policy.incomplete, reasons: [{ code: 'incomplete', message: `The first payment is not complete: ${invoiceName(overdue)} waits for it.`, since: sub.created_at, ...invoiceOf(overdue) }], changesAt: null };
    case 'paused':
      return { access: 'read_only', reasons: [{ code: 'paused', message: 'The subscription is paused.', since: null }], changesAt: null };
  }
};

/**
 * The one answer to "may this tenant do that?" (SPEC section 4b) at `now`, from the facts one
 * item holds: access from the subscription's status and its plan's dunning policy, this usage
 * period's usage against the plan's quotas, the overage so far against the spend cap, and for
 * each resource the headroom and the price of the next unit. Pure: the time comes in.
 * @example entitlementsAt(facts, new Date()).allowed.devices // false once the spend cap is reached
 */
export const entitlementsAt = (facts: EntitlementFacts, now: Date, source?: Catalog): Entitlements => {
  const sub = facts.subscription;
  const timeline = effectiveTimeline(facts.timeline, sub ? { ...sub } : null);
  const period = usagePeriodAt(timeline, now);
  const live = sub !== null && period.segment !== null && period.segment.subscription_id === sub.id;
  const planId = live ? (period.segment?.plan_id ?? null) : (sub?.plan_id ?? null);
  const plan = planId ? findPlan(planId, source) : undefined;
  const currency = sub?.currency ?? null;
  const tally = live ? (facts.usage.get(period.start.toISOString()) ?? emptyTally()) : emptyTally();
  const policy = plan?.dunning ?? findPlan(sub?.plan_id ?? '', source)?.dunning ?? DEFAULT_DUNNING;
  const { access, reasons, changesAt } = accessOf(facts, policy, now);
  const billed = live && !period.trial && plan !== undefined && currency !== null;
  const lines = billed && plan && currency ? computeOverages(tally, plan, currency, source) : [];
  const overageAmount = lines.reduce((sum, l) => sum + l.amount, 0n);
  // A cap set before the first subscription shows as set; one in another currency than the tenant is billed in does not apply.
  const cap = facts.spend_cap && (currency === null || facts.spend_cap.currency === currency) ? facts.spend_cap : null;
  // A cap of 0 means no overage at all: reached with the first unit billed.
  const reached = cap !== null && overageAmount >= cap.amount && (cap.amount > 0n || overageAmount > 0n);
  const all: Reason[] = [...reasons];
  if (cap && reached) all.push({ code: 'spend_cap_reached', message: `This period's overage has reached the spend cap: metered resources are not allowed until ${day(period.end.toISOString())} or a higher cap.`, since: null });
  else if (cap && cap.amount > 0n && overageAmount * 100n >= cap.amount * 80n) all.push({ code: 'spend_cap_near', message: "This period's overage is at 80% or more of the spend cap.", since: null });
  const changes = [changesAt, reached ? period.end.getTime() : null].filter((t): t is number => t !== null && t > now.getTime());
  return {
    status: sub?.status ?? null,
    access,
    plan_id: planId,
    billing_cycle: live ? (period.segment?.billing_cycle ?? null) : (sub?.billing_cycle ?? null),
    currency,
    period: live ? { start: period.start.toISOString(), end: period.end.toISOString(), trial: period.trial } : null,
    limits: plan?.limits ?? null,
    usage: allResources((r) => quantityOf(tally, r)),
    allowed: allResources(() => access === 'full' && !reached),
    headroom: allResources((r) => {
      const included = plan ? BigInt(plan.limits[r]) : null;
      const used = billableQuantity(r, quantityOf(tally, r));
      return {
        remaining: included === null ? null : included > used ? included - used : 0n,
        next_unit_price: billed && currency ? milliToMinor(overageRateMilli(currency, r, source)) : 0,
      };
    }),
    overage_amount: overageAmount,
    spend_cap: cap
      ? {
          amount: cap.amount,
          currency: cap.currency,
          spent: overageAmount,
          percent_used: cap.amount === 0n ? (overageAmount > 0n ? 100 : 0) : Number((overageAmount * 1000n) / cap.amount) / 10,
          reached,
        }
      : null,
    reasons: all,
    changes_at: changes.length > 0 ? new Date(Math.min(...changes)).toISOString() : null,
  };
};

/** What an access change is judged by: the access level and what is allowed (not the wording of reasons). */
export const accessSignature = (e: Pick<Entitlements, 'access' | 'allowed'>): string =>
  `${e.access}:${RESOURCES.filter((r) => e.allowed[r]).join(',')}`;

/**
 * The spend-cap thresholds the overage so far has reached (each announced once per period).
 * @example spendCapThresholds(8_000n, 10_000n) // [80]
 */
export const spendCapThresholds = (spent: bigint, cap: bigint): number[] =>
  SPEND_CAP_THRESHOLDS.filter((t) => (cap === 0n ? spent > 0n : spent * 100n >= cap * BigInt(t)));
