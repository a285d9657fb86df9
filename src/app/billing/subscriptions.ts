import type { Clock } from '../../platform/clock';
import { logger } from '../../platform/logger';
import { findPlan, planPrice, type BillingCycle } from '../../domain/catalog';
import type { Currency } from '../../domain/money';
import { classifyChange, isLive, type ChangeKind, type Subscription } from '../../domain/subscription';
import { Conflict, InvalidInput, NotFound, ServiceUnavailable } from '../errors';
import type { PaymentProvider, ProviderSubscription } from '../ports/payments';
import { randomUUID } from 'node:crypto';
import type { EventPublisher } from '../events/publisher';
import type { Actor } from '../ports/billing-events';
import type { InvoiceStore } from '../ports/invoices';
import type { StoredSubscription, SubscriptionStore } from '../ports/subscriptions';
import type { TenantStore } from '../ports/tenants';
import type { ChangeBilling } from '../ports/change-billing';
import type { SubscriptionMirror } from './mirror';
import { subscriptionView } from './views';

export interface SubscriptionDeps {
  readonly provider: PaymentProvider;
  readonly tenants: TenantStore;
  readonly subscriptions: SubscriptionStore;
  readonly invoices: InvoiceStore;
  readonly mirror: SubscriptionMirror;
  readonly changes: ChangeBilling;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
}

export interface CreateInput {
  readonly plan_id: string;
  readonly billing_cycle: BillingCycle;
  readonly currency?: Currency;
  readonly trial_days?: number;
  readonly email?: string;
  readonly name?: string;
  readonly payment_method?: string;
}

export interface UpdateInput {
  readonly plan_id?: string;
  readonly billing_cycle?: BillingCycle;
  readonly cancel_at_period_end?: boolean;
}

export interface Change {
  readonly kind: ChangeKind;
  readonly effective_at: string | null;
  /** What the change itself invoices now (prorations; for a new cycle, the new period too). */
  readonly proration_amount: number;
  /** Overage of the usage period the change closed, on the same invoice (upgrades only). */
  readonly overage_amount?: number;
}



export const DEFAULT_TRIAL_DAYS = 14;

/**
 * The subscription use cases (SPEC section 4). Stripe is the source of truth: every change is
 * made in Stripe first, with a deterministic idempotency key, and the answer is mirrored.
 */
export class SubscriptionService {
  constructor(private readonly deps: SubscriptionDeps) {}

  async current(tenantId: string): Promise<StoredSubscription> {
    const profile = await this.deps.tenants.get(tenantId);
    const sub = profile.current_subscription_id
      ? await this.deps.subscriptions.get(tenantId, profile.current_subscription_id)
      : null;
    if (!sub) throw new NotFound('This tenant has no subscription');
    return sub;
  }

  async create(tenantId: string, actor: Actor, input: CreateInput): Promise<Subscription> {
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

    // The customer is made (and recorded) before the payment method is attached, so a create
    // refused for its payment method (400) or card (402) leaves it, and the next create reuses it.
    const customerId =
      profile.stripe_customer_id ??
      (await tenants.setCustomer(
        tenantId,
        await provider.createCustomer({
          tenantId,
          ...(input.email ? { email: input.email } : {}),
          ...(input.name ? { name: input.name } : {}),
          idempotencyKey: `customer:${tenantId}`,
        }),
      ));
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
      idempotencyKey: `subscription:${tenantId}:${n}`,
    });
    const stored = await this.mirror(tenantId, sub, readAt);
    await subscriptions.recordCreated(stored, { expectedCount: n, trialUsed: profile.trial_used || trialDays > 0 });
    await this.record(tenantId, actor, 'subscription.created', {
      subscription_id: sub.id,
      plan_id: plan.id,
      billing_cycle: input.billing_cycle,
      currency,
      trial_days: trialDays,
      status: sub.status,
    }, { id: `subscription.created:${sub.id}`, at: sub.createdAt });
    return subscriptionView(stored);
  }

  async update(tenantId: string, actor: Actor, input: UpdateInput): Promise<{ subscription: Subscription; change: Change }> {
    const current = await this.live(tenantId);
    const wantsPlanChange = input.plan_id !== undefined || input.billing_cycle !== undefined;
    if (wantsPlanChange && input.cancel_at_period_end !== undefined) {
      throw new InvalidInput('Change the plan and the cancellation in separate requests', [
        { field: 'cancel_at_period_end', message: 'not allowed together with plan_id or billing_cycle' },
      ]);
    }
    if (!wantsPlanChange && input.cancel_at_period_end === undefined) {
      throw new InvalidInput('Nothing to change', [{ field: 'body', message: 'give plan_id, billing_cycle or cancel_at_period_end' }]);
    }

    if (input.cancel_at_period_end !== undefined) {
      const readAt = new Date();
      const sub = await this.deps.provider.setCancelAtPeriodEnd(current.id, input.cancel_at_period_end);
      const stored = await this.mirror(tenantId, sub, readAt);
      const type = input.cancel_at_period_end ? 'subscription.cancel_scheduled' : 'subscription.cancel_undone';
      await this.record(tenantId, actor, type, { subscription_id: sub.id, effective_at: stored.current_period_end });
      return { subscription: subscriptionView(stored), change: { kind: 'none', effective_at: null, proration_amount: 0 } };
    }

    const planId = input.plan_id ?? current.plan_id;
    const cycle = input.billing_cycle ?? current.billing_cycle;
    const plan = findPlan(planId);
    if (!plan) throw new InvalidInput('Unknown plan', [{ field: 'plan_id', message: `no plan ${planId}` }]);
    const target = { planId, cycle, currency: current.currency };
    const same = planId === current.plan_id && cycle === current.billing_cycle;
    const kind = classifyChange(current.unit_amount, planPrice(plan, current.currency, cycle), same);

    if (kind === 'none') {
      // Asking for the current plan drops a pending downgrade, if there is one.
      const readAt = new Date();
      const sub = current.pending_change ? await this.deps.provider.clearPendingChange(current.id) : null;
      const stored = sub ? await this.mirror(tenantId, sub, readAt) : current;
      if (sub) await this.record(tenantId, actor, 'subscription.change_canceled', { subscription_id: current.id });
      return { subscription: subscriptionView(stored), change: { kind, effective_at: null, proration_amount: 0 } };
    }
    if (kind === 'upgrade') {
      if (current.status !== 'active' && current.status !== 'trialing') {
        throw new Conflict(`A ${current.status} subscription cannot be upgraded; settle the open invoice first`);
      }
      const at = this.deps.clock.now();
      // A new cycle restarts Stripe's billing anchor now (not during a trial, which keeps its end).
      const anchor = cycle !== current.billing_cycle && current.status !== 'trialing' ? at.toISOString() : current.billing_cycle_anchor;
      await this.deps.changes.closeForChange(current, at, { plan_id: planId, billing_cycle: cycle, anchor });
      const readAt = new Date();
      const sub = await this.orResync(tenantId, current.id, () =>
        this.deps.provider.changePriceNow(
          current.id,
          target,
          `upgrade:${current.id}:${current.stripe_price_id}:${planId}:${cycle}:${current.current_period_start}`,
        ),
      );
      const stored = await this.mirror(tenantId, sub, readAt, at);
      const lines = sub.latestInvoice?.lines ?? [];
      const overage = lines.filter((l) => l.kind === 'overage').reduce((sum, l) => sum + l.amount, 0);
      const proration = lines.filter((l) => l.kind !== 'overage').reduce((sum, l) => sum + l.amount, 0);
      await this.record(tenantId, actor, 'subscription.upgraded', {
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
        change: { kind, effective_at: at.toISOString(), proration_amount: proration, overage_amount: overage },
      };
    }
    const readAt = new Date();
    const sub = await this.deps.provider.changePriceAtPeriodEnd(current.id, target);
    const stored = await this.mirror(tenantId, sub, readAt);
    await this.record(tenantId, actor, 'subscription.downgrade_scheduled', {
      subscription_id: sub.id,
      from: { plan_id: current.plan_id, billing_cycle: current.billing_cycle },
      to: { plan_id: planId, billing_cycle: cycle },
      effective_at: stored.current_period_end,
    });
    return {
      subscription: subscriptionView(stored),
      change: { kind, effective_at: stored.pending_change?.effective_at ?? stored.current_period_end, proration_amount: 0 },
    };
  }

  /**
   * What `update` with this plan or cycle would do, without doing it: the kind, when it takes
   * effect, and for an upgrade the amount Stripe would invoice now (a preview invoice).
   */
  async preview(tenantId: string, input: { plan_id?: string; billing_cycle?: BillingCycle }): Promise<Change> {
    const current = await this.live(tenantId);
    const planId = input.plan_id ?? current.plan_id;
    const cycle = input.billing_cycle ?? current.billing_cycle;
    const plan = findPlan(planId);
    if (!plan) throw new InvalidInput('Unknown plan', [{ field: 'plan_id', message: `no plan ${planId}` }]);
    const same = planId === current.plan_id && cycle === current.billing_cycle;
    const kind = classifyChange(current.unit_amount, planPrice(plan, current.currency, cycle), same);
    if (kind === 'downgrade') return { kind, effective_at: current.current_period_end, proration_amount: 0 };
    if (kind === 'none') return { kind, effective_at: null, proration_amount: 0 };
    const amount =
      current.status === 'trialing'
        ? 0
        : await this.deps.provider.previewPriceChange(current.id, { planId, cycle, currency: current.currency });
    return { kind, effective_at: this.deps.clock.now().toISOString(), proration_amount: amount };
  }

  /**
   * Cancel at period end (undo with update), or now: then the part-period's overage is billed
   * at once, on the final invoice Stripe makes of the subscription's pending items. No refund.
   */
  async cancel(tenantId: string, actor: Actor, input: { immediately?: boolean }): Promise<Subscription> {
    const current = await this.live(tenantId);
    const at = this.deps.clock.now();
    if (input.immediately) await this.deps.changes.closeForChange(current, at, null);
    const readAt = new Date();
    const sub = input.immediately
      ? await this.orResync(tenantId, current.id, () => this.deps.provider.cancelNow(current.id))
      : await this.deps.provider.setCancelAtPeriodEnd(current.id, true);
    const stored = await this.mirror(tenantId, sub, readAt);
    await this.record(tenantId, actor, input.immediately ? 'subscription.canceled' : 'subscription.cancel_scheduled', {
      subscription_id: sub.id,
      effective_at: input.immediately ? at.toISOString() : stored.current_period_end,
    });
    return subscriptionView(stored);
  }

  /**
   * Mirrors a subscription (and the invoice the call produced) and returns the stored copy.
   * `readAt` is when the Stripe call started (wall clock: it orders reads, it is not billing time);
   * `changeAt` the instant our own change took effect.
   */
  private async mirror(tenantId: string, sub: ProviderSubscription, readAt: Date, changeAt?: Date): Promise<StoredSubscription> {
    return this.deps.mirror.save(tenantId, sub, readAt, changeAt ? { changeAt } : {});
  }

  /**
   * Runs a Stripe change made after the usage side moved (`closeForChange`); when Stripe does
   * not take it, the mirror is read again so the plan timeline goes back to what Stripe has.
   */
  private async orResync(tenantId: string, subscriptionId: string, call: () => Promise<ProviderSubscription>): Promise<ProviderSubscription> {
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
        await this.mirror(tenantId, await this.deps.provider.getSubscription(subscriptionId), readAt);
      } catch (resync) {
        // The next webhook re-reads it anyway; the caller gets the original failure.
        logger.warn('could not re-read the subscription after a failed change', { tenant_id: tenantId, subscription_id: subscriptionId, error: resync });
      }
      throw error;
    }
  }

  private async live(tenantId: string): Promise<StoredSubscription> {
    const sub = await this.current(tenantId).catch((error: unknown) => {
      if (error instanceof NotFound) throw new NotFound('This tenant has no live subscription');
      throw error;
    });
    if (!isLive(sub.status)) throw new NotFound('This tenant has no live subscription');
    return sub;
  }

  /** Appends to the audit trail; `once` makes a retried write land on the same entry. */
  private async record(tenantId: string, actor: Actor, type: string, data: Record<string, unknown>, once?: { id: string; at: Date }) {
    await this.deps.publisher.publish(tenantId, {
      id: once?.id ?? randomUUID(),
      type,
      actor,
      occurredAt: once?.at ?? this.deps.clock.now(),
      data,
    });
  }
}
