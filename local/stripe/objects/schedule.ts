import type Stripe from 'stripe';

export interface PhaseInput {
  readonly price: Stripe.Price;
  readonly startDate: number;
  readonly endDate: number;
  readonly prorationBehavior: Stripe.SubscriptionSchedule.Phase.ProrationBehavior;
  readonly metadata: Record<string, string>;
  readonly quantity?: number;
  readonly trialEnd?: number | null;
  /** Stripe Tax computes the tax of the invoices made during the phase. */
  readonly automaticTax?: boolean;
  /** `phases[i][discounts]`: what the subscription's discounts become in the phase. */
  readonly discounts?: readonly Stripe.SubscriptionSchedule.Phase.Discount[];
}

/** `automatic_tax` of a phase or of a schedule's default settings. */
const automaticTaxOf = (enabled: boolean): Stripe.SubscriptionSchedule.Phase.AutomaticTax => ({
  disabled_reason: null,
  enabled,
  liability: enabled ? { type: 'self' } : null,
});

export const newPhase = (input: PhaseInput): Stripe.SubscriptionSchedule.Phase => ({
  add_invoice_items: [],
  application_fee_percent: null,
  automatic_tax: automaticTaxOf(input.automaticTax ?? false),
  billing_cycle_anchor: null,
  billing_thresholds: null,
  collection_method: null,
  currency: input.price.currency,
  default_payment_method: null,
  default_tax_rates: [],
  description: null,
  discounts: [...(input.discounts ?? [])],
  end_date: input.endDate,
  invoice_settings: null,
  items: [{ billing_thresholds: null, discounts: [], metadata: {}, plan: input.price.id, price: input.price.id, quantity: input.quantity ?? 1, tax_rates: [] }],
  metadata: input.metadata,
  on_behalf_of: null,
  proration_behavior: input.prorationBehavior,
  start_date: input.startDate,
  transfer_data: null,
  trial_end: input.trialEnd ?? null,
});

export const newSchedule = (input: {
  id: string;
  customer: string;
  subscription: string | null;
  testClock: string | null;
  /** Default `active`; `not_started` for a schedule whose start lies ahead. */
  status?: Stripe.SubscriptionSchedule.Status;
  endBehavior?: Stripe.SubscriptionSchedule.EndBehavior;
  phases: Stripe.SubscriptionSchedule.Phase[];
  defaultPaymentMethod: string | null;
  metadata: Record<string, string>;
  now: number;
  /** `default_settings[automatic_tax][enabled]`, what phases without their own setting use. */
  automaticTax?: boolean;
}): Stripe.SubscriptionSchedule => ({
  id: input.id,
  object: 'subscription_schedule',
  application: null,
  billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible', updated_at: input.now },
  canceled_at: null,
  completed_at: null,
  created: input.now,
  current_phase: currentPhaseOf(input.phases, input.now),
  customer: input.customer,
  customer_account: null,
  default_settings: {
    application_fee_percent: null,
    automatic_tax: automaticTaxOf(input.automaticTax ?? false),
    billing_cycle_anchor: 'automatic',
    billing_thresholds: null,
    collection_method: 'charge_automatically',
    default_payment_method: input.defaultPaymentMethod,
    description: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, days_until_due: null, description: null, footer: null, issuer: { type: 'self' } },
    on_behalf_of: null,
    transfer_data: null,
  },
  end_behavior: input.endBehavior ?? 'release',
  livemode: false,
  metadata: input.metadata,
  pause_schedules: [],
  phases: input.phases,
  released_at: null,
  released_subscription: null,
  status: input.status ?? 'active',
  subscription: input.subscription,
  test_clock: input.testClock,
});

export const currentPhaseOf = (phases: readonly Stripe.SubscriptionSchedule.Phase[], now: number): Stripe.SubscriptionSchedule.CurrentPhase | null => {
  const phase = phases.find((p) => p.start_date <= now && now < p.end_date);
  return phase ? { start_date: phase.start_date, end_date: phase.end_date } : null;
};

export const phaseQuantityOf = (phase: Stripe.SubscriptionSchedule.Phase): number => phase.items[0]?.quantity ?? 1;

export const phaseAutomaticTaxOf = (phase: Stripe.SubscriptionSchedule.Phase): boolean => phase.automatic_tax?.enabled ?? false;

export const phasePriceOf = (phase: Stripe.SubscriptionSchedule.Phase): string | null => {
  const price = phase.items[0]?.price;
  return price === undefined ? null : typeof price === 'string' ? price : price.id;
};
