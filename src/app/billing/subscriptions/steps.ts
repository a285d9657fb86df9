import { randomUUID } from 'node:crypto';
import { findPlan, planPrice, type BillingCycle } from '../../../domain/catalog';
import { classifyChange, isLive, type ChangeKind } from '../../../domain/subscription';
import type { Clock } from '../../../platform/clock';
import { logger } from '../../../platform/logger';
import { InvalidInput, NotFound, ServiceUnavailable } from '../../errors';
import type { EventPublisher } from '../../events/publisher';
import type { Actor } from '../../ports/billing-events';
import type { ChangeBilling } from '../../ports/change-billing';
import type { EntitlementAnnouncer } from '../../ports/entitlements';
import type { PaymentProvider, PriceTarget, ProviderSubscription } from '../../ports/payments';
import type { StoredSubscription, SubscriptionStore } from '../../ports/subscriptions';
import type { TenantStore } from '../../ports/tenants';
import type { SubscriptionMirror } from '../mirror';

/**
 * The steps the subscription use cases (SPEC section 4) share. Each use case is a class with one
 * `execute` method that declares the deps it uses as a `Pick<SubscriptionDeps, ...>`.
 * Stripe is the source of truth: every change is made in Stripe first, with a deterministic
 * idempotency key, and the answer is mirrored.
 */
export interface SubscriptionDeps {
  readonly provider: PaymentProvider;
  readonly tenants: TenantStore;
  readonly subscriptions: SubscriptionStore;
  readonly mirror: SubscriptionMirror;
  readonly changes: ChangeBilling;
  readonly publisher: EventPublisher;
  /** Told after each change, so access changes are announced (`entitlements.updated`). */
  readonly entitlements: EntitlementAnnouncer;
  readonly clock: Clock;
}

export interface Change {
  readonly kind: ChangeKind;
  readonly effective_at: string | null;
  /** What the change itself invoices now (prorations; for a new cycle, the new period too). */
  readonly proration_amount: number;
  /** Overage of the usage period the change closed, on the same invoice (upgrades only). */
  readonly overage_amount?: number;
  /** The tax on what is invoiced now (Stripe Tax): on the proration, and on the overage for an upgrade. */
  readonly tax_amount?: number;
}

/** A plan or cycle to move to; what is not given stays as it is. */
export interface PlanChangeInput {
  readonly plan_id?: string;
  readonly billing_cycle?: BillingCycle;
}

/** The tenant's current subscription, whatever its status; `NotFound` when it has none. */
export const findCurrent = async (deps: Pick<SubscriptionDeps, 'tenants' | 'subscriptions'>, tenantId: string): Promise<StoredSubscription> => {
  const profile = await deps.tenants.get(tenantId);
  const sub = profile.current_subscription_id ? await deps.subscriptions.get(tenantId, profile.current_subscription_id) : null;
  if (!sub) throw new NotFound('This tenant has no subscription');
  return sub;
};

/** The tenant's current subscription when it is live; `NotFound` otherwise. */
export const findLive = async (deps: Pick<SubscriptionDeps, 'tenants' | 'subscriptions'>, tenantId: string): Promise<StoredSubscription> => {
  const sub = await findCurrent(deps, tenantId).catch((error: unknown) => {
    if (error instanceof NotFound) throw new NotFound('This tenant has no live subscription');
    throw error;
  });
  if (!isLive(sub.status)) throw new NotFound('This tenant has no live subscription');
  return sub;
};

/**
 * Where a plan or cycle change of `current` goes and what kind of change it is; `InvalidInput`
 * for an unknown plan.
 */
export const planChange = (current: StoredSubscription, input: PlanChangeInput): { target: PriceTarget; kind: ChangeKind } => {
  const planId = input.plan_id ?? current.plan_id;
  const cycle = input.billing_cycle ?? current.billing_cycle;
  const plan = findPlan(planId);
  if (!plan) throw new InvalidInput('Unknown plan', [{ field: 'plan_id', message: `no plan ${planId}` }]);
  const same = planId === current.plan_id && cycle === current.billing_cycle;
  return { target: { planId, cycle, currency: current.currency }, kind: classifyChange(current.unit_amount, planPrice(plan, current.currency, cycle), same) };
};

/**
 * Mirrors a subscription (and the invoice the call produced) and returns the stored copy.
 * `readAt` is when the Stripe call started (wall clock: it orders reads, it is not billing time);
 * `changeAt` the instant our own change took effect.
 */
export const mirrorSubscription = (
  deps: Pick<SubscriptionDeps, 'mirror'>,
  tenantId: string,
  sub: ProviderSubscription,
  readAt: Date,
  changeAt?: Date,
): Promise<StoredSubscription> => deps.mirror.save(tenantId, sub, readAt, changeAt ? { changeAt } : {});

/**
 * Runs a Stripe change made after the usage side moved (`closeForChange`); when Stripe does
 * not take it, the mirror is read again so the plan timeline goes back to what Stripe has.
 */
export const orResync = async (
  deps: Pick<SubscriptionDeps, 'provider' | 'mirror'>,
  tenantId: string,
  subscriptionId: string,
  call: () => Promise<ProviderSubscription>,
): Promise<ProviderSubscription> => {
  try {
    return await call();
  } catch (error) {
    // Stripe unreachable or throttled: whether it took the change is unknown, and the caller
    // is told to retry. The cut stays, so the retry (same Idempotency-Key, same Stripe key)
    // resumes at it rather than closing and billing a second part-period; the next webhook
    // re-reads Stripe either way.
    if (error instanceof ServiceUnavailable) throw error;
    const readAt = new Date();
    try {
      await mirrorSubscription(deps, tenantId, await deps.provider.getSubscription(subscriptionId), readAt);
    } catch (resync) {
      // The next webhook re-reads it anyway; the caller gets the original failure.
      logger.warn('could not re-read the subscription after a failed change', { tenant_id: tenantId, subscription_id: subscriptionId, error: resync });
    }
    throw error;
  }
};

/** Appends to the audit trail; `once` makes a retried write land on the same entry. */
export const record = async (
  deps: Pick<SubscriptionDeps, 'publisher' | 'clock'>,
  tenantId: string,
  actor: Actor,
  type: string,
  data: Record<string, unknown>,
  once?: { id: string; at: Date },
): Promise<void> => {
  await deps.publisher.publish(tenantId, {
    id: once?.id ?? randomUUID(),
    type,
    actor,
    occurredAt: once?.at ?? deps.clock.now(),
    data,
  });
};
