import type { OverageLine } from '../../domain/overage';
import type { PeriodStatus } from './periods';

/** A line as recorded: billed (its Stripe items) or refused by Stripe for good (`failure_reason`). */
export interface BilledLine extends OverageLine {
  /** The plan whose quotas it was billed against. */
  readonly plan_id?: string;
  /** The first item (the line's only one unless its amount was split); null when refused. */
  readonly stripe_invoice_item_id: string | null;
  readonly stripe_invoice_item_ids?: readonly string[];
  readonly failure_reason?: string;
}

export interface DuePeriod {
  readonly tenant_id: string;
  readonly start: string;
  readonly end: string;
}

/** The overage run's state: periods moving `open -> closing -> billed`, and each billed line. */
export interface OverageStore {
  /** Ended, unbilled, billable periods (end before `before`), oldest first per shard. */
  duePeriods(before: Date, limit?: number): Promise<DuePeriod[]>;
  /** Moves a period to `closing`; returns the status it had, or null when it is already billed. */
  claim(tenantId: string, periodStart: string): Promise<PeriodStatus | null>;
  /** The lines recorded for a period, amounts and quantities exact. */
  lines(tenantId: string, periodStart: string): Promise<BilledLine[]>;
  /** Records a billed line once, adding its amount to the overview's overage revenue. */
  recordLine(tenantId: string, periodStart: string, line: BilledLine, billedAt: Date): Promise<void>;
  /** `closing -> billed`. */
  markBilled(tenantId: string, periodStart: string, at: Date): Promise<void>;
}
