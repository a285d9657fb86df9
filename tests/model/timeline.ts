import type { Currency, Cycle, PlanId, Resource } from './catalog';
import type { Country, TaxIdInput } from './tax';

/**
 * A concrete timeline: what happens, when, to whom. Times are ISO 8601 UTC. Each step first
 * moves the one simulated clock to `at` (everything due on the way happens), then does its
 * action as the tenant (or nothing, for `advance`). Steps are in time order, `at` strictly
 * increasing, so no two actions share an instant.
 */
export interface Timeline {
  /** Where the clock stands when the timeline begins. */
  readonly start: string;
  readonly tenants: readonly TimelineTenant[];
  readonly steps: readonly Step[];
}

export interface TimelineTenant {
  readonly id: string;
  /** Independent of the country: a German customer may pay in GBP. */
  readonly currency: Currency;
  /** The billing address's country, sent on create; absent: the US (untaxed), as timelines were before tax. */
  readonly country?: Country;
  /** Tax IDs sent on create (an `eu_vat` one may make the tenant reverse charged). */
  readonly tax_ids?: readonly TaxIdInput[];
}

export interface UsageRecordInput {
  readonly resource_type: Resource;
  /** Counters: whole units. Gauges: the level (storage may have two decimals). */
  readonly usage_amount: number;
  /** Absent: receipt time. */
  readonly timestamp?: string;
}

export type Step =
  | { readonly at: string; readonly do: 'advance' }
  | {
      readonly at: string;
      readonly tenant: string;
      readonly do: 'create';
      readonly plan_id: PlanId;
      readonly billing_cycle: Cycle;
      readonly trial_days: number;
      readonly payment_method: 'pm_card_visa' | 'pm_card_chargeCustomerFail';
    }
  | { readonly at: string; readonly tenant: string; readonly do: 'usage'; readonly records: readonly UsageRecordInput[] }
  | { readonly at: string; readonly tenant: string; readonly do: 'change'; readonly plan_id: PlanId; readonly billing_cycle: Cycle }
  | { readonly at: string; readonly tenant: string; readonly do: 'cancel_at_period_end' }
  | { readonly at: string; readonly tenant: string; readonly do: 'undo_cancel' }
  | { readonly at: string; readonly tenant: string; readonly do: 'cancel_now' }
  | { readonly at: string; readonly tenant: string; readonly do: 'fix_card' };

export type TenantStep = Exclude<Step, { do: 'advance' }>;
