import { findPlan, type BillingCycle } from '../../../domain/catalog';
import type { Currency } from '../../../domain/money';
import { isLive, type Subscription } from '../../../domain/subscription';
import { Conflict, InvalidInput } from '../../errors';
import { saveBillingDetails, type BillingDetailsInput } from '../customer';
import type { Actor } from '../../ports/billing-events';
import { subscriptionView } from '../views';
import { redeemablePromotionCode } from './promotion';
import { mirrorSubscription, record, type SubscriptionDeps } from './steps';

export const DEFAULT_TRIAL_DAYS = 14;

export interface CreateSubscriptionInput {
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly currency?: Currency;
  readonly trial_days?: number;
  readonly email?: string;
  readonly name?: string;
  readonly address?: BillingDetailsInput['address'];
  readonly tax_ids?: BillingDetailsInput['tax_ids'];
  readonly payment_method?: string;
  /** A promotion code the customer typed; its discount applies from the first invoice. */
  readonly promotion_code?: string;
}

export type CreateSubscriptionDeps = Pick<SubscriptionDeps, 'provider' | 'tenants' | 'subscriptions' | 'mirror' | 'publisher' | 'entitlements' | 'clock'>;

/**
 * Subscribes a tenant that has no live subscription: one trial per tenant, one currency per
 * tenant, the Stripe customer made once and reused.
 * @example await createSubscription.execute('org-1', actor, { plan_id: 'starter', billing_cycle: 'monthly' })
 */
export class CreateSubscription {
  constructor(private readonly deps: CreateSubscriptionDeps) {}

  async execute(tenantId: string, actor: Actor, input: CreateSubscriptionInput): Promise<Subscription> {
    const result = await this.apply(tenantId, actor, input);
    await this.deps.entitlements.announce(tenantId);
    return result;
  }

  private async apply(tenantId: string, actor: Actor, input: CreateSubscriptionInput): Promise<Subscription> {
    const { provider, tenants, subscriptions } = this.deps;
    const plan = findPlan(input.plan_id);
    if (!plan) throw new InvalidInput('Unknown plan', [{ field: 'plan_id', message: `no plan ${input.plan_id}` }]);
    const profile = await tenants.get(tenantId);
    if (profile.current_subscription_id) {
      const existing = await subscriptions.get(tenantId, profile.current_subscription_id);
      if (existing && isLive(existing.status)) {
        throw new Conflict('This tenant already has a live subscription; change or cancel it instead');
      }
    }
    const currency = input.currency ?? profile.currency ?? 'usd';
    if (profile.currency && currency !== profile.currency) {
      throw new Conflict(`This tenant is billed in ${profile.currency}; its currency cannot change`, {
        details: [{ field: 'currency', message: `must be ${profile.currency}` }],
      });
    }
    const trialDays = input.trial_days ?? (profile.trial_used ? 0 : DEFAULT_TRIAL_DAYS);
    if (trialDays > 0 && profile.trial_used) {
      throw new Conflict('This tenant has already had its trial', {
        details: [{ field: 'trial_days', message: 'a tenant gets one trial; use 0' }],
      });
    }

    // A code that cannot be used is refused before anything is made.
    const promo = input.promotion_code ? await redeemablePromotionCode(provider, input.promotion_code, currency, this.deps.clock.now()) : null;

    // Tax is computed from the billing address, so it is needed before anything is made.
    const { email, name, address, tax_ids } = input;
    const detailsInput = { ...(email ? { email } : {}), ...(name ? { name } : {}), ...(address ? { address } : {}), ...(tax_ids ? { tax_ids } : {}) };
    // The customer is made (and recorded) before the payment method is attached, so a create
    // refused for its payment method (400) or card (402) leaves it, and the next create reuses it.
    const { customerId } = await saveBillingDetails(this.deps, profile, actor, detailsInput, { requireLocation: true });
    // The n-th create of a tenant has one Stripe key: a retry after a crash finds the same objects.
    const n = profile.subscriptions_created;
    if (input.payment_method) {
      await provider.attachPaymentMethod(customerId, input.payment_method, `payment-method:${tenantId}:${n}:${input.payment_method}`);
    }
    const readAt = new Date();
    const sub = await provider.createSubscription({
      tenantId,
      customerId,
      planId: plan.id,
      cycle: input.billing_cycle,
      currency,
      trialDays,
      ...(promo ? { promotionCodeId: promo.id } : {}),
      // A create with a code has a key of its own: a retry with another code (or none) is another request.
      idempotencyKey: promo ? `subscription:${tenantId}:${n}:${promo.id}` : `subscription:${tenantId}:${n}`,
    });
    const stored = await mirrorSubscription(this.deps, tenantId, sub, readAt);
    await subscriptions.recordCreated(stored, { expectedCount: n, trialUsed: profile.trial_used || trialDays > 0 });
    await record(
      this.deps,
      tenantId,
      actor,
      'subscription.created',
      {
        subscription_id: sub.id,
        plan_id: plan.id,
        billing_cycle: input.billing_cycle,
        currency,
        trial_days: trialDays,
        status: sub.status,
        ...(promo ? { promotion_code: promo.code, coupon_id: promo.coupon.id } : {}),
      },
      { id: `subscription.created:${sub.id}`, at: sub.createdAt },
    );
    return subscriptionView(stored);
  }
}
