import { findLive, planChange, type Change, type PlanChangeInput, type SubscriptionDeps } from './steps';

export type PreviewChangeDeps = Pick<SubscriptionDeps, 'provider' | 'tenants' | 'subscriptions' | 'clock'>;

/**
 * What `ChangeSubscription` with this plan or cycle would do, without doing it: the kind, when it
 * takes effect, and for an upgrade the amount Stripe would invoice now (a preview invoice).
 * @example await previewChange.execute('org-1', { plan_id: 'professional' }) // { kind: 'upgrade', ... }
 */
export class PreviewChange {
  constructor(private readonly deps: PreviewChangeDeps) {}

  async execute(tenantId: string, input: PlanChangeInput): Promise<Change> {
    const current = await findLive(this.deps, tenantId);
    const { target, kind } = planChange(current, input);
    if (kind === 'downgrade') return { kind, effective_at: current.current_period_end, proration_amount: 0, tax_amount: 0 };
    if (kind === 'none') return { kind, effective_at: null, proration_amount: 0, tax_amount: 0 };
    // The preview is priced at the instant it reports, to the second (Stripe's `proration_date`).
    const at = new Date(Math.floor(this.deps.clock.now().getTime() / 1000) * 1000);
    const { amount, tax } = current.status === 'trialing' ? { amount: 0, tax: 0 } : await this.deps.provider.previewPriceChange(current.id, target, at);
    return { kind, effective_at: at.toISOString(), proration_amount: amount, tax_amount: tax };
  }
}
