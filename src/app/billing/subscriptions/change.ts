import type { ChangeKind, Subscription } from '../../../domain/subscription';
import { Conflict, InvalidInput } from '../../errors';
import type { Actor } from '../../ports/billing-events';
import type { PriceTarget } from '../../ports/payments';
import type { StoredSubscription } from '../../ports/subscriptions';
import { subscriptionView } from '../views';
import { redeemablePromotionCode } from './promotion';
import { findLive, mirrorSubscription, orResync, planChange, record, type Change, type PlanChangeInput, type SubscriptionDeps } from './steps';

export interface ChangeSubscriptionInput extends PlanChangeInput {
  readonly cancel_at_period_end?: boolean;
  /** A promotion code the customer typed: its discount replaces the subscription's from the next invoice. */
  readonly promotion_code?: string;
}

export interface ChangeSubscriptionResult {
  readonly subscription: Subscription;
  readonly change: Change;
}

export type ChangeSubscriptionDeps = Pick<SubscriptionDeps, 'provider' | 'tenants' | 'subscriptions' | 'mirror' | 'changes' | 'publisher' | 'entitlements' | 'clock'>;

/**
 * Changes the live subscription: its plan or cycle (an upgrade now, a downgrade at period end,
 * the current plan drops a pending downgrade), or whether it ends at period end. One at a time.
 * @example await changeSubscription.execute('org-1', actor, { plan_id: 'professional' })
 */
export class ChangeSubscription {
  constructor(private readonly deps: ChangeSubscriptionDeps) {}

  async execute(tenantId: string, actor: Actor, input: ChangeSubscriptionInput): Promise<ChangeSubscriptionResult> {
    const result = await this.apply(tenantId, actor, input);
    await this.deps.entitlements.announce(tenantId);
    return result;
  }

  private async apply(tenantId: string, actor: Actor, input: ChangeSubscriptionInput): Promise<ChangeSubscriptionResult> {
    const current = await findLive(this.deps, tenantId);
    const wantsPlanChange = input.plan_id !== undefined || input.billing_cycle !== undefined;
    if (wantsPlanChange && input.cancel_at_period_end !== undefined) {
      throw new InvalidInput('Change the plan and the cancellation in separate requests', [
        { field: 'cancel_at_period_end', message: 'not allowed together with plan_id or billing_cycle' },
      ]);
    }
    if (input.promotion_code !== undefined && input.cancel_at_period_end !== undefined) {
      throw new InvalidInput('Apply a promotion code and change the cancellation in separate requests', [
        { field: 'promotion_code', message: 'not allowed together with cancel_at_period_end' },
      ]);
    }
    if (!wantsPlanChange && input.cancel_at_period_end === undefined && input.promotion_code === undefined) {
      throw new InvalidInput('Nothing to change', [{ field: 'body', message: 'give plan_id, billing_cycle, cancel_at_period_end or promotion_code' }]);
    }
    if (input.cancel_at_period_end !== undefined) return this.cancelAtPeriodEnd(tenantId, actor, current, input.cancel_at_period_end);

    // The plan change is checked (and the code with it) before the code is redeemed.
    const { target, kind } = planChange(current, input);
    const withCode = input.promotion_code === undefined ? current : await this.applyCode(tenantId, actor, current, input.promotion_code);
    if (!wantsPlanChange) return { subscription: subscriptionView(withCode), change: { kind: 'none', effective_at: null, proration_amount: 0, tax_amount: 0 } };
    return this.changePlan(tenantId, actor, withCode, target, kind);
  }

  private changePlan(tenantId: string, actor: Actor, current: StoredSubscription, target: PriceTarget, kind: ChangeKind): Promise<ChangeSubscriptionResult> {
    if (kind === 'none') return this.keep(tenantId, actor, current);
    if (kind === 'upgrade') return this.upgrade(tenantId, actor, current, target);
    return this.downgrade(tenantId, actor, current, target);
  }

  /**
   * Redeems a promotion code into the subscription's discount (from the next invoice, no
   * proration). The code already running is left as it is. The Stripe key names the discount it
   * replaces, so a retry after a crash replays the same redemption instead of making a second.
   */
  private async applyCode(tenantId: string, actor: Actor, current: StoredSubscription, typed: string): Promise<StoredSubscription> {
    if (current.status !== 'active' && current.status !== 'trialing') {
      throw new Conflict(`A promotion code cannot be applied to a ${current.status} subscription; settle the open invoice first`);
    }
    const promo = await redeemablePromotionCode(this.deps.provider, typed, current.currency, this.deps.clock.now());
    if (current.discount?.code === promo.code) return current;
    const readAt = new Date();
    const replaces = current.discount ? `${current.discount.coupon_id}:${current.discount.code ?? ''}` : 'none';
    const sub = await this.deps.provider.applyPromotionCode(current.id, promo.id, `promotion:${current.id}:${promo.id}:replacing:${replaces}`);
    const stored = await mirrorSubscription(this.deps, tenantId, sub, readAt);
    await record(this.deps, tenantId, actor, 'subscription.discount_applied', {
      subscription_id: sub.id,
      promotion_code: promo.code,
      coupon_id: promo.coupon.id,
      replaced: current.discount?.code ?? null,
    });
    return stored;
  }

  private async cancelAtPeriodEnd(tenantId: string, actor: Actor, current: StoredSubscription, cancel: boolean): Promise<ChangeSubscriptionResult> {
    const readAt = new Date();
    const sub = await this.deps.provider.setCancelAtPeriodEnd(current.id, cancel);
    const stored = await mirrorSubscription(this.deps, tenantId, sub, readAt);
    const type = cancel ? 'subscription.cancel_scheduled' : 'subscription.cancel_undone';
    await record(this.deps, tenantId, actor, type, { subscription_id: sub.id, effective_at: stored.current_period_end });
    return { subscription: subscriptionView(stored), change: { kind: 'none', effective_at: null, proration_amount: 0, tax_amount: 0 } };
  }

  /** Asking for the current plan drops a pending downgrade, if there is one. */
  private async keep(tenantId: string, actor: Actor, current: StoredSubscription): Promise<ChangeSubscriptionResult> {
    const readAt = new Date();
    const sub = current.pending_change ? await this.deps.provider.clearPendingChange(current.id) : null;
    const stored = sub ? await mirrorSubscription(this.deps, tenantId, sub, readAt) : current;
    if (sub) await record(this.deps, tenantId, actor, 'subscription.change_canceled', { subscription_id: current.id });
    return { subscription: subscriptionView(stored), change: { kind: 'none', effective_at: null, proration_amount: 0, tax_amount: 0 } };
  }

  private async upgrade(tenantId: string, actor: Actor, current: StoredSubscription, target: PriceTarget): Promise<ChangeSubscriptionResult> {
    const { planId, cycle } = target;
    if (current.status !== 'active' && current.status !== 'trialing') {
      throw new Conflict(`A ${current.status} subscription cannot be upgraded; settle the open invoice first`);
    }
    const at = this.deps.clock.now();
    // A new cycle restarts Stripe's billing anchor now (not during a trial, which keeps its end).
    const anchor = cycle !== current.billing_cycle && current.status !== 'trialing' ? at.toISOString() : current.billing_cycle_anchor;
    // Stripe prorates from the instant usage was cut (a retry resumes at the first attempt's cut,
    // so its request, and idempotency key, are the same).
    const cutAt = await this.deps.changes.closeForChange(current, at, { plan_id: planId, billing_cycle: cycle, anchor });
    const readAt = new Date();
    const sub = await orResync(this.deps, tenantId, current.id, () =>
      this.deps.provider.changePriceNow(
        current.id,
        target,
        `upgrade:${current.id}:${current.stripe_price_id}:${planId}:${cycle}:${current.current_period_start}`,
        cutAt,
      ),
    );
    const stored = await mirrorSubscription(this.deps, tenantId, sub, readAt, cutAt);
    const lines = sub.latestInvoice?.lines ?? [];
    const overage = lines.filter((l) => l.kind === 'overage').reduce((sum, l) => sum + l.amount, 0);
    const proration = lines.filter((l) => l.kind !== 'overage').reduce((sum, l) => sum + l.amount, 0);
    await record(this.deps, tenantId, actor, 'subscription.upgraded', {
      subscription_id: sub.id,
      from: { plan_id: current.plan_id, billing_cycle: current.billing_cycle },
      to: { plan_id: planId, billing_cycle: cycle },
      proration_amount: proration,
      overage_amount: overage,
      currency: current.currency,
      invoice_id: sub.latestInvoice?.id ?? null,
    });
    return {
      subscription: subscriptionView(stored),
      change: { kind: 'upgrade', effective_at: cutAt.toISOString(), proration_amount: proration, overage_amount: overage, tax_amount: sub.latestInvoice?.tax ?? 0 },
    };
  }

  private async downgrade(tenantId: string, actor: Actor, current: StoredSubscription, target: PriceTarget): Promise<ChangeSubscriptionResult> {
    const readAt = new Date();
    const sub = await this.deps.provider.changePriceAtPeriodEnd(current.id, target);
    const stored = await mirrorSubscription(this.deps, tenantId, sub, readAt);
    await record(this.deps, tenantId, actor, 'subscription.downgrade_scheduled', {
      subscription_id: sub.id,
      from: { plan_id: current.plan_id, billing_cycle: current.billing_cycle },
      to: { plan_id: target.planId, billing_cycle: target.cycle },
      effective_at: stored.current_period_end,
    });
    return {
      subscription: subscriptionView(stored),
      change: { kind: 'downgrade', effective_at: stored.pending_change?.effective_at ?? stored.current_period_end, proration_amount: 0, tax_amount: 0 },
    };
  }
}
